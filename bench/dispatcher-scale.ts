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
 * across fleet sizes (what a dispatch reads is bounded by the free slots, not by the queue), and
 * the 2,000-fleet runs locally in under 2 minutes and 1 GB. Each fleet runs in its own process.
 */
export async function dispatcherScaleTable(printTable: (header: string[], rows: string[][]) => void): Promise<void> {
  console.log('\nSlot dispatcher at scale: fleets created at once, exports of 10 min - 4 h, quota 5, 30-day slot wait limit (each fleet in its own process)');
  console.log('DynamoDB metered as billed: reads per 4 KB (strongly consistent), writes per 1 KB; per execution');
  console.log('targets: items, RRU and WRU per execution within 1.5x across sizes; 2,000-fleet < 120 s and < 1024 MB peak RSS; peak <= 5; ratio <= 1.05 when the queue drains');
  console.log('runtime is wall time; CPU s (user + system) is what it takes on a machine nobody else uses\n');
  const runs: Array<[string, FleetRun]> = [];
  for (const fleet of SCALE_FLEETS) runs.push([String(fleet), await runFleet(fleet)]);
  // The hourly reconciliation sweep lists every snapshot of the account each hour (RDS has no
  // created-since filter): over a 30-day backlog that is the one cost that grows with n², so the
  // 2,000-fleet is also shown without it, the dispatcher's own figure.
  const withoutSweep = await runFleet(2000, { sweepSeconds: 0 });
  printTable(
    ['fleet', 'exported', 'TIMED_OUT in queue', 'items/exec', 'RRU/exec', 'WRU/exec', 'Queries/exec', 'peak', 'makespan ratio', 'runtime s', 'CPU s', 'peak RSS MB'],
    [...runs, ['2000, sweep off', withoutSweep] as [string, FleetRun]].map(([fleet, run]) => [
      fleet,
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
}
