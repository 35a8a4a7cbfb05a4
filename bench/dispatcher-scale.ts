import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ScenarioResult } from '../local/scenario.ts';

/** What the dispatcher's scale table prints per fleet (the child leaves out the per-export lists). */
type FleetRun = Omit<ScenarioResult, 'exports' | 'notifications'> & { seconds: number; cpuSeconds: number; maxRssMb: number };

export const SCALE_FLEETS = [50, 200, 1000, 2000];
/** Exports of 10 min to 4 h, quota 5, the default 30-day slot wait limit. */
const SCALE_SCENARIO = { quota: 5, exportSecondsRange: [600, 14400], seed: 4, slotWaitLimitSeconds: 30 * 86400 };

const CHILD = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

export async function runFleet(fleet: number, options: Record<string, unknown> = {}): Promise<FleetRun> {
  const { stdout } = await promisify(execFile)(TSX, [CHILD, JSON.stringify({ ...SCALE_SCENARIO, fleet, ...options })], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as FleetRun;
}

/**
 * The slot dispatcher at scale: DynamoDB items read and request units per execution must stay flat
 * across fleet sizes (what a dispatch reads is bounded by the free slots, not by the queue; what
 * the hourly sweep reads, by the snapshots of its window), and the 2,000-fleet runs locally in
 * under 2 minutes and 1 GB. Each fleet runs in its own process.
 */
export async function dispatcherScaleTable(printTable: (header: string[], rows: string[][]) => void): Promise<void> {
  console.log('\nSlot dispatcher at scale: fleets created at once, exports of 10 min - 4 h, quota 5, 30-day slot wait limit, the hourly sweep on (each fleet in its own process)');
  console.log('DynamoDB metered as billed: reads per 4 KB (half when eventually consistent), writes per 1 KB; per execution');
  console.log(`targets: items, RRU and WRU per execution within 1.5x across sizes; 2,000-fleet < ${WALL_TARGET_SECONDS} s wall and < ${RSS_TARGET_MB} MB peak RSS; peak <= 5; ratio <= 1.05 when the queue drains`);
  console.log('wall s is what this run took; CPU s (user + system) is what it takes on a machine nobody else uses\n');
  const runs: Array<[number, FleetRun]> = [];
  for (const fleet of SCALE_FLEETS) runs.push([fleet, await runFleet(fleet)]);
  printTable(
    ['fleet', 'exported', 'TIMED_OUT in queue', 'items/exec', 'RRU/exec', 'WRU/exec', 'Queries/exec', 'peak', 'makespan ratio', 'wall s', 'CPU s', 'peak RSS MB'],
    runs.map(([fleet, run]) => [
      fleet.toLocaleString('en-US'),
      `${run.exportsStarted}/${run.executions}`,
      String(run.timedOutInQueue),
      run.dynamodb.perExecution.items.toFixed(2),
      run.dynamodb.perExecution.rru.toFixed(2),
      run.dynamodb.perExecution.wru.toFixed(2),
      ((run.apiCalls['DynamoDB.Query'] ?? 0) / run.executions).toFixed(2),
      String(run.peakConcurrentExports),
      // With exports left in the queue at the limit, the lower bound (all exports) does not apply.
      run.timedOutInQueue === 0 && run.makespanSeconds !== null ? (run.makespanSeconds / run.lowerBoundSeconds).toFixed(3) : 'n/a',
      run.seconds.toFixed(1),
      run.cpuSeconds.toFixed(1),
      run.maxRssMb.toFixed(0),
    ]),
  );
  const spread = (pick: (run: FleetRun) => number) => Math.max(...runs.map(([, r]) => pick(r))) / Math.min(...runs.map(([, r]) => pick(r)));
  console.log(
    `\nspread across sizes (max / min per execution): items ${spread((r) => r.dynamodb.perExecution.items).toFixed(2)}x, RRU ${spread((r) => r.dynamodb.perExecution.rru).toFixed(2)}x, WRU ${spread((r) => r.dynamodb.perExecution.wru).toFixed(2)}x (target <= 1.5x)`,
  );
  const [, largest] = runs.at(-1)!;
  console.log(
    `${SCALE_FLEETS.at(-1)!.toLocaleString('en-US')}-fleet: ${largest.seconds.toFixed(1)} s wall (target < ${WALL_TARGET_SECONDS}), ${largest.cpuSeconds.toFixed(1)} s CPU, ${largest.maxRssMb.toFixed(0)} MB peak RSS (target < ${RSS_TARGET_MB})`,
  );

  console.log('\nThe hourly reconciliation sweep in those runs: what one run costs (an hour: the schedule is rate(1 hour))');
  console.log('RDS calls: the snapshot listing, 100 a page (RDS has no created-since filter), and the export tasks when a snapshot of the window is neither queued nor holding a slot');
  console.log('StartExecution: only for a selected snapshot of the window that has neither an execution the table knows nor an export task (no event lost here: 0 is right)\n');
  printTable(
    ['fleet', 'sweeps', 'StartExecution / h', 'RDS calls / h', 'DynamoDB calls / h', 'StartExecution in all', 'RDS calls in all'],
    runs.map(([fleet, run]) => {
      const perRun = (calls: number) => (run.sweep.runs > 0 ? (calls / run.sweep.runs).toFixed(2) : 'n/a');
      return [fleet.toLocaleString('en-US'), String(run.sweep.runs), perRun(run.sweep.startExecutions), perRun(run.sweep.rdsCalls), perRun(run.sweep.dynamoDbCalls), String(run.sweep.startExecutions), String(run.sweep.rdsCalls)];
    }),
  );

  for (const [fleet, run] of runs.filter(([, r]) => r.timedOutInQueue > 0)) {
    // The lower bound of the whole fleet: every export back to back at the quota (no schedule can beat it).
    const days = run.lowerBoundSeconds / 86400;
    const limitDays = SCALE_SCENARIO.slotWaitLimitSeconds / 86400;
    const beyond = Math.round(fleet * Math.max(0, 1 - limitDays / days));
    console.log(
      `\n${run.timedOutInQueue} of ${fleet.toLocaleString('en-US')} ended TIMED_OUT in the queue: the limit working, not a bug. All ${fleet.toLocaleString('en-US')} exports need at least ${days.toFixed(1)} days at ${SCALE_SCENARIO.quota} at a time`,
    );
    console.log(
      `(the sum of their durations / the quota: a lower bound), past the ${limitDays}-day slot wait limit, so about ${beyond} (${((1 - limitDays / days) * 100).toFixed(0)} % of the fleet) cannot start within it: each was notified TIMED_OUT, nothing started, none exported twice (${run.snapshotsExportedTwice}).`,
    );
  }
}

const WALL_TARGET_SECONDS = 120;
const RSS_TARGET_MB = 1024;
