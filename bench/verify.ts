import type { EventLog } from '../local/step-functions-simulator.ts';
import { parseScenario, runScenario } from '../local/scenario.ts';
import { PRICES } from './cost.ts';

/**
 * `npm run bench`, the verify step (issue 12): what verifying and cataloguing an RDS export adds
 * (state transitions, Lambda time, S3, KMS and Glue requests) beside a Glue crawler run over the
 * same export, at documented us-east-1 prices.
 */

/** us-east-1 list prices (aws.amazon.com/s3, /kms, /glue pricing pages), as of PRICES.asOf. */
export const VERIFY_PRICES = {
  /** S3 Standard LIST (ListObjectsV2): $0.005 per 1,000. */
  s3List: 0.005 / 1000,
  /** S3 Standard GET: $0.0004 per 1,000. */
  s3Get: 0.0004 / 1000,
  /** KMS: $0.03 per 10,000 requests; counted once per GET (SSE-KMS; a bucket key makes it fewer). */
  kmsRequest: 0.03 / 10_000,
  /** Glue Data Catalog: $1.00 per million requests past the first million of the month. */
  glueRequest: 1 / 1e6,
  /** Glue crawler: $0.44 per DPU-hour, billed per second, 10-minute minimum per run. */
  crawlerDpuHour: 0.44,
  crawlerMinimumSeconds: 600,
} as const;

/** Lambda time the simulators cannot show: each AWS call waits on the network (as bench/cost.ts assumes). */
const API_CALL_MS = 30;
const MEMORY_GB = 256 / 1024;

interface VerifyFigures {
  label: string;
  addedTransitions: number;
  s3Lists: number;
  s3Gets: number;
  glueCalls: number;
  lambdaMs: number;
  dollars: number;
}

async function measure(label: string, scenario: Record<string, unknown>): Promise<VerifyFigures> {
  const events: EventLog[] = [];
  const result = await runScenario(parseScenario(scenario), { onEvent: (event) => events.push(event) });
  const names = events.filter((event) => event.type === 'StateEntered').map((event) => ('state' in event ? event.state.name : ''));
  const retries = events.filter((event) => event.type === 'StateRetried' && 'state' in event && event.state.name === 'VerifyExport').length;
  // Without the step the last poll goes to Route and the end state: whatever follows beyond those two is the step's.
  const addedTransitions = names.slice(names.lastIndexOf('PollExport') + 1).length - 2 + retries;
  const calls = result.apiCalls;
  const s3Lists = calls['S3.ListObjectsV2'] ?? 0;
  const s3Gets = calls['S3.GetObject'] ?? 0;
  const glueCalls = Object.entries(calls).filter(([name]) => name.startsWith('Glue.')).reduce((sum, [, count]) => sum + count, 0);
  const usage = result.lambdas.verifyExport ?? { invocations: 0, ms: 0 };
  const lambdaMs = usage.ms + (s3Lists + s3Gets + glueCalls) * API_CALL_MS;
  const dollars =
    addedTransitions * PRICES.stateTransition +
    usage.invocations * PRICES.lambdaRequest +
    (lambdaMs / 1000) * MEMORY_GB * PRICES.lambdaArmGbSecond +
    s3Lists * VERIFY_PRICES.s3List +
    s3Gets * (VERIFY_PRICES.s3Get + VERIFY_PRICES.kmsRequest) +
    glueCalls * VERIFY_PRICES.glueRequest;
  return { label, addedTransitions, s3Lists, s3Gets, glueCalls, lambdaMs, dollars };
}

const tables = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `shop.public.table_${String(i + 1).padStart(3, '0')}` }));

export async function verifyTable(printTable: (header: string[], rows: string[][]) => void): Promise<void> {
  console.log(`\nVerify + catalog after COMPLETE (issue 12), per export, beside a Glue crawler run (${PRICES.region} prices of ${PRICES.asOf})`);
  console.log(`counted on the real state machine: added transitions (VerifyExport, one more Route, retries), S3, KMS and Glue requests; Lambda at 256 MB, handler time measured + ${API_CALL_MS} ms per AWS call`);
  console.log('target: <= 2 added transitions; cheaper than one crawler run\n');
  const rows: VerifyFigures[] = [
    await measure('4 tables (npm start)', {}),
    await measure('200 tables', { tables: tables(200) }),
    await measure('4 tables, 1 failed, 1 skipped', { tables: [{ name: 'shop.public.a' }, { name: 'shop.public.b' }, { name: 'shop.public.c', status: 'FAILED', reason: 'Row too large' }, { name: 'shop.public.d', status: 'SKIPPED' }] }),
  ];
  const crawler = (VERIFY_PRICES.crawlerMinimumSeconds / 3600) * VERIFY_PRICES.crawlerDpuHour;
  printTable(
    ['export', 'added transitions', 'S3 LIST', 'S3 GET', 'Glue calls', 'Lambda ms', 'verify + catalog µ$', 'crawler run µ$ (min.)', 'crawler / ours'],
    rows.map((row) => [row.label, String(row.addedTransitions), String(row.s3Lists), String(row.s3Gets), String(row.glueCalls), row.lambdaMs.toFixed(0), (row.dollars * 1e6).toFixed(1), (crawler * 1e6).toFixed(0), `${Math.round(crawler / row.dollars)} x`]),
  );
  console.log(`\ncrawler: $${VERIFY_PRICES.crawlerDpuHour}/DPU-hour, 10-minute minimum, 1 DPU: the least one run can cost (it also GETs the data files and takes minutes; ours makes the tables as the export completes)`);
}
