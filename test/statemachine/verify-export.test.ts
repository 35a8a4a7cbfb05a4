import { describe, expect, it } from 'vitest';
import { LocalDeployment } from '../../local/deployment.ts';
import type { EventLog } from '../../local/step-functions-simulator.ts';
import { seededRandom } from '../../local/random.ts';
import type { ExportBehaviour } from '../../local/rds-simulator.ts';
import { parseScenario, runScenario } from '../../local/scenario.ts';
import { onVirtualClock } from '../../local/virtual-clock.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

// The verify step on the real definition: after an RDS export's end, the metadata files the
// simulated RDS wrote are read through the real S3 client, tables catalogued through the real Glue
// client, and the end is notified once, with what was found.

const SNAPSHOT = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:shop-db-2026-11-23-03-10';
const ONE_HOUR: ExportBehaviour = { startingSeconds: 60, exportSeconds: 3600, progress: 'steady', cancelSeconds: 90, dataGb: 12 };
const entered = (events: EventLog[], state: string) => events.filter((event) => event.type === 'StateEntered' && 'state' in event && event.state.name === state).length;

function run(options: Partial<ConstructorParameters<typeof LocalDeployment>[0]> = {}, input: Record<string, unknown> = {}) {
  return onVirtualClock(Date.parse('2026-11-23T03:15:00Z'), async () => {
    const stack = new LocalDeployment({ sources: (arn) => arn === SNAPSHOT, behaviourFor: () => ONE_HOUR, random: seededRandom(3), throttleRate: 0, ...options });
    const execution = await stack.execute({ sourceArn: SNAPSHOT, ...input });
    return { execution, stack };
  }).then(({ result }) => result);
}

describe('verifying an RDS export on the real state machine', () => {
  it('notifies a clean export COMPLETE once, catalogs every table and puts the result in the execution output, for 2 more transitions', async () => {
    const events: EventLog[] = [];
    const result = await runScenario(parseScenario({}), { onEvent: (event) => events.push(event) });

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    expect(result.notifications.at(-1)!.subject).toMatch(/^Export COMPLETE: /);
    expect(result.tables).toEqual({
      exported: 4,
      failed: 0,
      skipped: 0,
      items: ['shop.public.orders', 'shop.public.customers', 'shop.public.order_items', 'shop.public.payments'].map((name) => ({ name, status: 'EXPORTED' })),
    });
    expect(result.catalog).toEqual({ database: 'rds_prod_db', tables: ['shop_public_orders', 'shop_public_customers', 'shop_public_order_items', 'shop_public_payments'] });
    // After the poll that saw COMPLETE: Route, then VerifyExport (which publishes) and Route again: 2 more than without it.
    const names = events.filter((event) => event.type === 'StateEntered').map((event) => ('state' in event ? event.state.name : ''));
    expect(names.slice(names.lastIndexOf('PollExport') + 1)).toEqual(['Route', 'VerifyExport', 'Route', 'Exported']);
    // Two metadata parts (three tables a part) and export_info; one table created per exported table.
    expect(result.apiCalls['S3.GetObject']).toBe(3);
    expect(result.apiCalls['Glue.CreateTable']).toBe(4);
  });

  it('notifies COMPLETE with warnings, once, naming the failed and skipped tables', async () => {
    const result = await runScenario(
      parseScenario({
        tables: [
          { name: 'shop.public.orders' },
          { name: 'shop.public.events', status: 'FAILED', reason: 'A row is larger than 2 GB' },
          { name: 'shop.public.sessions', status: 'SKIPPED', reason: 'Unlogged table' },
        ],
      }),
    );

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE_WITH_WARNINGS']);
    expect(result.notifications.at(-1)!.subject).toMatch(/^Export COMPLETE with warnings: DB snapshot /);
    expect(result.tables).toEqual({
      exported: 1,
      failed: 1,
      skipped: 1,
      items: [
        { name: 'shop.public.events', status: 'FAILED', reason: 'A row is larger than 2 GB' },
        { name: 'shop.public.sessions', status: 'SKIPPED', reason: 'Unlogged table' },
        { name: 'shop.public.orders', status: 'EXPORTED' },
      ],
    });
    expect(result.catalog?.tables).toEqual(['shop_public_orders']);
  });

  it('warns, and still succeeds, when the export wrote no metadata files', async () => {
    // Prepare: a stack whose simulated RDS writes the data but loses the metadata files.
    const missing = await onVirtualClock(Date.parse('2026-11-23T03:15:00Z'), async () => {
      const lossy = new LocalDeployment({ sources: (arn) => arn === SNAPSHOT, behaviourFor: () => ONE_HOUR, random: seededRandom(3), throttleRate: 0 });
      const put = lossy.s3.put.bind(lossy.s3);
      lossy.s3.put = (bucket, key, content) => (/\/export_(tables_)?info_/.test(key) ? undefined : put(bucket, key, content));
      return { execution: await lossy.execute({ sourceArn: SNAPSHOT }), stack: lossy };
    });

    const output = missing.result.execution.output as ExportState;
    const last = missing.result.stack.sns.messages.at(-1)!;
    expect(missing.result.execution.status).toBe('SUCCEEDED');
    expect(output.verification?.warnings).toEqual([expect.stringMatching(/^No export_tables_info_.*could not be verified\.$/), expect.stringMatching(/^export_info_.*\.json was not found/)]);
    expect(last.attributes.status).toBe('COMPLETE_WITH_WARNINGS');
    expect(last.message).toContain('Check:       No export_tables_info_');
    expect(missing.result.stack.glue.databases.size).toBe(0);
  });

  it('retries the verify step when Glue throttles, and catalogs the tables once it answers', async () => {
    let throttled = 0;
    const { execution, stack } = await run({ glueThrottle: (operation) => operation === 'CreateTable' && throttled++ < 3 });

    const retries = execution.events.filter((event) => event.type === 'StateRetried' && event.state.name === 'VerifyExport');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(execution.status).toBe('SUCCEEDED');
    expect(stack.glue.tableNames('rds_shop_db')).toEqual(['shop_public_customers', 'shop_public_order_items', 'shop_public_orders', 'shop_public_payments']);
    expect(stack.sns.messages.map((m) => m.attributes.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('notifies the end with a warning, and succeeds, when Glue stays throttled past every retry', async () => {
    const { execution, stack } = await run({ glueThrottle: (operation) => operation === 'CreateTable' });

    const output = execution.output as ExportState;
    expect(execution.status).toBe('SUCCEEDED');
    expect(output.verifyError?.Error).toBe('TransientAwsError');
    expect(stack.sns.messages.map((m) => m.attributes.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE_WITH_WARNINGS']);
    expect(stack.sns.messages.at(-1)!.message).toMatch(/Check: {7}The export could not be verified: TransientAwsError: Glue CreateTable rds_shop_db\.shop_public_orders failed: ThrottlingException/);
  });

  it('states what a canceled export left in S3, and how to remove it', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 7200, deadlineSeconds: 1800 }));

    const last = result.notifications.at(-1)!;
    expect(result.error).toBe('ExportTimedOut');
    expect(last.status).toBe('TIMED_OUT');
    expect(result.partialData).toMatchObject({ truncated: false });
    expect(result.partialData!.objects).toBeGreaterThan(0);
    expect(result.partialData!.bytes).toBeGreaterThan(0);
    expect(result.partialData!.deleted).toBeUndefined();
  });

  it('deletes what a failed export left when deletePartialData is on', async () => {
    const { execution, stack } = await run({ behaviourFor: () => ({ ...ONE_HOUR, failAtPercent: 50 }), verify: { deletePartialData: true } });

    const output = stack.sns.messages.at(-1)!;
    const [task] = stack.rds.tasks.values();
    expect(execution.error).toBe('ExportFailed');
    expect(output.message).toMatch(/were written under s3:\/\/.*; \d+ deleted \(deletePartialData\)\./);
    expect(stack.s3.keys(task!.s3Bucket, `${task!.s3Prefix}/${task!.id}/`)).toEqual([]);
  });

  it('leaves other kinds alone: an EC2 image export is not verified', async () => {
    const events: EventLog[] = [];
    const result = await runScenario(parseScenario({ sourceType: 'EC2_IMAGE' }), { onEvent: (event) => events.push(event) });

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(entered(events, 'VerifyExport')).toBe(0);
    expect(result.tables).toBeUndefined();
  });
});
