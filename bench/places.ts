import { RDS_REQUESTS_PER_SECOND } from '../shared/runtime/pacing.ts';
import { runFleet } from './dispatcher-scale.ts';

/**
 * One deployment over many accounts and regions (issue 14): each place has its own export slots.
 * Every snapshot exported once, no place above its quota, the makespan held to the slowest place's
 * lower bound, each account's RDS calls per second within the API's budget, the local run's time
 * and memory. Each run in its own process.
 */
interface PlacesRow {
  label: string;
  fleet: number;
  accounts: number;
  regions: string[];
  exportSecondsRange: [number, number];
}

const QUOTA = 5;
const THREE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
/** Nightly snapshots of alike databases: exports of 110-130 min. */
const ALIKE: [number, number] = [6600, 7800];
/** A mixed estate: exports of 10 min to 4 h. */
const MIXED: [number, number] = [600, 14400];

const ROWS: PlacesRow[] = [
  { label: '5 x 2, alike', fleet: 200, accounts: 5, regions: THREE_REGIONS.slice(0, 2), exportSecondsRange: ALIKE },
  { label: '5 x 2, mixed', fleet: 200, accounts: 5, regions: THREE_REGIONS.slice(0, 2), exportSecondsRange: MIXED },
  { label: '50 x 3, alike', fleet: 3000, accounts: 50, regions: THREE_REGIONS, exportSecondsRange: ALIKE },
];

const WALL_TARGET_SECONDS = 180;
const RSS_TARGET_MB = 1536;
const MAKESPAN_TARGET = 1.05;

export async function placesTable(printTable: (header: string[], rows: string[][]) => void): Promise<void> {
  console.log(`\nMany accounts and regions: a fleet spread over every (account, region), created at once, quota ${QUOTA} per place, the trigger, the dispatcher tick and the hourly sweep on (each run in its own process)`);
  console.log(`targets: each snapshot exported once; peak per place <= ${QUOTA}; makespan <= ${MAKESPAN_TARGET} x the largest per-place lower bound (its longest export, or its exports' sum / ${QUOTA});`);
  console.log(`RDS calls of one account within one second <= ${RDS_REQUESTS_PER_SECOND} (all our callers that name a place; the trigger's DescribeDBSnapshots are paced per account on their own); 3,000 snapshots < ${WALL_TARGET_SECONDS} s wall and < ${RSS_TARGET_MB} MB peak RSS`);
  console.log('zero-latency makespan: first come, first served with no delay at all, in the order the run started them: the run minus it is the dispatcher\'s own delay; it minus the bound is the order\'s (no dispatcher knows an export\'s length before it ends)\n');
  const runs = [];
  for (const row of ROWS) runs.push([row, await runFleet(row.fleet, { accounts: row.accounts, regions: row.regions, quota: QUOTA, exportSecondsRange: row.exportSecondsRange })] as const);
  const hours = (seconds: number) => (seconds / 3600).toFixed(2);
  printTable(
    ['places', 'exports', 'snapshots', 'exported once', 'peak/place', 'makespan h', 'bound h', 'ratio', 'zero-latency h', 'RDS calls/acct/s peak', 'of which dispatcher', 'items/exec', 'RRU/exec', 'WRU/exec', 'wall s', 'CPU s', 'peak RSS MB'],
    runs.map(([row, run]) => {
      const places = run.places!;
      const bound = places.largestLowerBoundSeconds;
      return [
        `${row.label} (${places.count})`,
        `${(row.exportSecondsRange[0] / 60).toFixed(0)}-${(row.exportSecondsRange[1] / 60).toFixed(0)} min`,
        row.fleet.toLocaleString('en-US'),
        `${run.snapshotsExported - run.snapshotsExportedTwice}/${run.snapshotsAnnounced}`,
        `${places.peakConcurrentExportsPerPlace} (over: ${places.placesOverQuota})`,
        run.makespanSeconds === null ? 'n/a' : hours(run.makespanSeconds),
        hours(bound),
        run.makespanSeconds === null ? 'n/a' : (run.makespanSeconds / bound).toFixed(3),
        `${hours(places.zeroLatencyMakespanSeconds)} (${(places.zeroLatencyMakespanSeconds / bound).toFixed(3)})`,
        String(places.peakRdsCallsPerAccountPerSecond),
        String(places.dispatcherPeakRdsCallsPerAccountPerSecond),
        run.dynamodb.perExecution.items.toFixed(2),
        run.dynamodb.perExecution.rru.toFixed(2),
        run.dynamodb.perExecution.wru.toFixed(2),
        run.seconds.toFixed(1),
        run.cpuSeconds.toFixed(1),
        run.maxRssMb.toFixed(0),
      ];
    }),
  );
  const [row, big] = runs.at(-1)!;
  const places = big.places!;
  const checks = [
    ['every snapshot exported once', big.snapshotsExported === row.fleet && big.snapshotsExportedTwice === 0],
    [`peak per place <= ${QUOTA}`, places.placesOverQuota === 0 && places.peakConcurrentExportsPerPlace <= QUOTA],
    [`makespan <= ${MAKESPAN_TARGET} x bound`, big.makespanSeconds !== null && big.makespanSeconds <= MAKESPAN_TARGET * places.largestLowerBoundSeconds],
    [`RDS calls per account per second <= ${RDS_REQUESTS_PER_SECOND}`, places.peakRdsCallsPerAccountPerSecond <= RDS_REQUESTS_PER_SECOND],
    [`wall < ${WALL_TARGET_SECONDS} s`, big.seconds < WALL_TARGET_SECONDS],
    [`peak RSS < ${RSS_TARGET_MB} MB`, big.maxRssMb < RSS_TARGET_MB],
  ] as const;
  console.log(`\n${row.fleet.toLocaleString('en-US')} snapshots over ${row.accounts} accounts x ${row.regions.length} regions: ${checks.map(([name, met]) => `${name}: ${met ? 'met' : 'NOT met'}`).join('; ')}`);
  console.log(`the mixed row shows the order's share: with exports of 10 min - 4 h, the last exports of a place can be its longest, and first come, first served ends above the bound whatever the dispatcher does (see its zero-latency makespan)`);
}
