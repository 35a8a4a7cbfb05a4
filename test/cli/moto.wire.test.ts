/**
 * The CLI against moto_server (test/setup/moto-server.ts): real SDK clients built from
 * --endpoint-url/--region, real serialisation, real error codes.
 *
 * What moto 5.x does with DescribeExportTasks (asserted in the first test, so a moto that changes
 * shows up here): it ignores MaxRecords, Marker, Filters and SourceType, answering every task in
 * insertion order on one page with no Marker, and creates every task "complete" at once. So here
 * --max-items/--starting-token are exercised through boto_truncate_amount alone (the token never
 * holds a Marker), filters through the CLI's own check of each task; paging by Marker and the
 * filters as the API receives them are tested against a paging fake in list.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { run } from '../../cli/run.ts';
import { sink } from '../support/cli.ts';

const endpoint = inject('motoEndpoint');
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
/** moto keeps its state for the whole run: every name carries this. */
const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const TASKS = 27;
const ids = Array.from({ length: TASKS }, (_, i) => `cli-${runId}-${String(i).padStart(2, '0')}`);
const bucketOf = (i: number) => (i % 2 === 0 ? `cli-even-${runId}` : `cli-odd-${runId}`);
const OURS = ['--filter', `s3-bucket=${bucketOf(0)},${bucketOf(1)}`];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await run([...argv, '--endpoint-url', endpoint!, '--region', REGION], { stdout, stderr, env: {}, now: () => new Date(), sleep: async () => {} });
  return { code, out: stdout.text, err: stderr.text };
}

describe.skipIf(!endpoint)('the CLI against moto (wire)', () => {
  let rds: RDSClient;
  let snapshotArn: string;

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_PROFILE', '');
    rds = new RDSClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    await rds.send(
      new CreateDBInstanceCommand({ DBInstanceIdentifier: `cli-db-${runId}`, DBInstanceClass: 'db.t3.micro', Engine: 'postgres', MasterUsername: 'cliadmin', MasterUserPassword: 'cli-password-1', AllocatedStorage: 20 }),
    );
    const { DBSnapshot } = await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: `cli-db-${runId}`, DBSnapshotIdentifier: `cli-snap-${runId}` }));
    snapshotArn = DBSnapshot!.DBSnapshotArn!;
    for (const [i, id] of ids.entries()) {
      await rds.send(
        new StartExportTaskCommand({ ExportTaskIdentifier: id, SourceArn: snapshotArn, S3BucketName: bucketOf(i), S3Prefix: `p/${i}`, IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/export`, KmsKeyId: 'alias/export' }),
      );
    }
  });

  afterAll(() => {
    rds?.destroy();
    vi.unstubAllEnvs();
  });

  it('moto ignores MaxRecords, Marker and Filters (what the rest of this file relies on)', async () => {
    const { ExportTasks = [], Marker } = await rds.send(new DescribeExportTasksCommand({ MaxRecords: 20, Filters: [{ Name: 's3-bucket', Values: [bucketOf(1)] }] }));

    expect(ExportTasks.length).toBeGreaterThan(20);
    expect(Marker).toBeUndefined();
    expect(ExportTasks.some((t) => t.S3Bucket === bucketOf(0))).toBe(true);
  });

  it('list --page-size 20 --max-items 7, then --starting-token <printed>, round-trips over all 27 tasks: none lost, none repeated', async () => {
    const seen: string[] = [];
    const tokens: unknown[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const { code, out, err } = await cli('list', '--page-size', '20', '--max-items', '7', ...OURS, ...(token ? ['--starting-token', token] : []));
      expect(err).toBe('');
      expect(code).toBe(0);
      const lines = out.trimEnd().split('\n');
      token = lines.at(-1)!.startsWith('NextToken: ') ? lines.pop()!.slice('NextToken: '.length) : undefined;
      if (token) tokens.push(JSON.parse(Buffer.from(token, 'base64').toString()));
      seen.push(...lines.slice(1).map((line) => line.split(/\s+/)[0]!).filter((id) => id !== '(no'));
      calls += 1;
    } while (token && calls < 10);

    expect(seen).toEqual(ids);
    expect(calls).toBe(4); // 7 + 7 + 7 + 6
    // Without a Marker from moto, the position is the count of items of its one page already shown.
    expect(tokens.every((t) => Object.keys(t as object).join() === 'boto_truncate_amount')).toBe(true);
  });

  it('filters: statuses in any case, the bucket, the id; --source-type (moto reports SNAPSHOT)', async () => {
    const odd = await cli('list', '--filter', `s3-bucket=${bucketOf(1)}`, '--filter', 'status=COMPLETE', '--json');
    const one = await cli('list', '--filter', `export-task-identifier=${ids[4]}`, '--json');
    const clusters = await cli('list', ...OURS, '--source-type', 'CLUSTER', '--json');

    expect(JSON.parse(odd.out).items.map((i: { exportId: string }) => i.exportId)).toEqual(ids.filter((_, i) => i % 2 === 1));
    expect(JSON.parse(one.out).items.map((i: { exportId: string }) => i.exportId)).toEqual([ids[4]]);
    expect(JSON.parse(clusters.out)).toEqual({ items: [], nextToken: null });
  });

  it('--json: moto\'s lowercase "complete" reads COMPLETE at 100 %, with the S3 location', async () => {
    const { code, out } = await cli('list', ...OURS, '--max-items', '1', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      items: [{ exportId: ids[0], source: snapshotArn, sourceType: 'SNAPSHOT', status: 'COMPLETE', percent: 100, s3: `s3://${bucketOf(0)}/p/0` }],
      nextToken: expect.any(String),
    });
  });

  it('watch of an export that ended: one line and how it ended', async () => {
    const { code, out } = await cli('watch', ids[3]!);

    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^\\S+Z  ${ids[3]} COMPLETE 100% \\[█{10}\\]\nThe export ended: 1 COMPLETE\n$`));
  });

  it('cancel of an unknown id, run as `export-orchestrator` itself: one clear line on stderr, exit 1', async () => {
    const failed = await promisify(execFile)('node', ['bin/export-orchestrator.js', 'cancel', `no-such-${runId}`, '--table', 'coordination', '--endpoint-url', endpoint!, '--region', REGION], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_PROFILE: '' },
      // A child process: generous, so that a loaded CI machine never fails it.
      timeout: 90_000,
    }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toBe(`export-orchestrator: Export task no-such-${runId} does not exist (in this account and region)\n`);
  }, 100_000);

  it('cancel of an export that already ended: nothing to cancel', async () => {
    const { code, err } = await cli('cancel', ids[5]!, '--table', 'coordination');

    expect(code).toBe(1);
    expect(err).toBe(`export-orchestrator: export ${ids[5]} already ended COMPLETE: nothing to cancel\n`);
  });

  it('start: a first start begins the execution, a second is a no-op reported as such', async () => {
    const sfn = new SFNClient({ endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: `cli-${runId}`, roleArn: `arn:aws:iam::${ACCOUNT}:role/sfn`, definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }) }),
    );
    sfn.destroy();

    const first = await cli('start', '--source-arn', snapshotArn, '--state-machine-arn', stateMachineArn!, '--json');
    const second = await cli('start', '--source-arn', snapshotArn, '--state-machine-arn', stateMachineArn!, '--json');

    expect(first.err).toBe('');
    expect(JSON.parse(first.out)).toMatchObject({ outcome: 'started', executionArn: expect.stringContaining(`:execution:cli-${runId}:cli-snap-${runId}-`) });
    expect(JSON.parse(second.out)).toMatchObject({ outcome: 'already started', executionArn: JSON.parse(first.out).executionArn });
  });
});
