import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD_TIMEOUT_MS = 90_000;

// `npm start` as a newcomer runs it: a child process, its stdout and exit code.
const run = promisify(execFile);
const TSX = join('node_modules', '.bin', 'tsx');

async function start(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(TSX, ['local/run.ts', ...args], { timeout: CHILD_TIMEOUT_MS });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

function scenarioFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'scenario-')), 'scenario.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

// Each test is its own child process: they run at once (a child that hangs is killed at 90 s:
// generous, so that a loaded CI machine never fails them; the test's own timeout comes after, so the killed child's output is what fails it).
describe.concurrent('npm start (the whole workflow on the embedded simulator)', { timeout: CHILD_TIMEOUT_MS + 10_000 }, () => {
  it('prints the run as one JSON object on the last line with --json', async () => {
    const { stdout, code } = await start('--json');

    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(code).toBe(0);
    expect(result).toMatchObject({ status: 'COMPLETE', apiCalls: { StartExportTask: 1, Publish: 3 } });
    expect(result.notifications.map((n: { status: string }) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    expect(result.stateTransitions).toBeGreaterThan(0);
    expect(result.simulatedSeconds).toBeGreaterThanOrEqual(7260);
    expect(typeof result.detectionLatencySeconds).toBe('number');
    // The verify step's result: the export table by table, and the Glue tables it is queryable through.
    expect(result.tables).toMatchObject({ exported: 4, failed: 0, skipped: 0 });
    expect(result.tables.items[0]).toEqual({ name: 'shop.public.orders', status: 'EXPORTED' });
    expect(result.catalog).toEqual({ database: 'rds_prod_db', tables: ['shop_public_orders', 'shop_public_customers', 'shop_public_order_items', 'shop_public_payments'] });
  });

  it('prints each table that failed or was skipped, and the catalog, for a scenario with such tables', async () => {
    const { stdout } = await start('--scenario', scenarioFile({ exportSeconds: 900, tables: [{ name: 'shop.public.orders' }, { name: 'shop.public.events', status: 'FAILED', reason: 'Row too large' }] }));

    expect(stdout).toMatch(/SNS → Export COMPLETE with warnings: DB snapshot/);
    expect(stdout).toMatch(/tables {14}1 exported, 1 failed, 0 skipped/);
    expect(stdout).toMatch(/FAILED {4}shop\.public\.events: Row too large/);
    expect(stdout).toMatch(/Glue catalog {8}rds_prod_db: shop_public_orders/);
  });

  it('shows progress and each notification as it would be sent', async () => {
    const { stdout } = await start('--scenario', scenarioFile({ exportSeconds: 900 }));

    expect(stdout).toMatch(/PollExport\s+IN_PROGRESS\s+\[/);
    expect(stdout).toMatch(/SNS → Export COMPLETE: DB snapshot/);
    expect(stdout).toMatch(/S3 location: s3:\/\/example-exports\//);
  });

  it('refuses a scenario with an unknown field, naming it', async () => {
    const { stderr, code } = await start('--scenario', scenarioFile({ exportSecs: 60 }));

    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown field\(s\) "exportSecs"/);
  });
});
