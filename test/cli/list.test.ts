import { DescribeExportImageTasksCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeExportTasksCommand, RDSClient, type ExportTask } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { run, type Clients } from '../../cli/run.ts';
import { adsListing } from '../../shared/export-kinds/ads/listing.ts';
import { collect } from '../../cli/paging.ts';
import { pagingRds, sink, task } from '../support/cli.ts';

const TASKS: ExportTask[] = Array.from({ length: 57 }, (_, i) =>
  task(i, {
    Status: ['COMPLETE', 'in_progress', 'STARTING', 'FAILED'][i % 4],
    PercentProgress: (i * 7) % 100,
    ...(i % 5 === 0 ? { SourceType: 'CLUSTER', SourceArn: `arn:aws:rds:us-east-1:123456789012:cluster:aurora-${i}` } : {}),
  }),
);

function clientsWith(parts: Partial<Clients>): () => Clients {
  const unused = () => {
    throw new Error('this test gives no such client');
  };
  return () => ({ rds: unused, sfn: unused, dynamo: unused, ec2: unused, destroy: () => {}, ...parts }) as Clients;
}

async function cli(argv: string[], rds: RDSClient): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, { stdout, stderr, env: {}, now: () => new Date(), sleep: async () => {}, clients: clientsWith({ rds: () => rds }) });
  return { code, out: stdout.text, err: stderr.text };
}

/** The ids of a table (first column, header and NextToken line left out) and its NextToken. */
function readTable(out: string): { ids: string[]; nextToken: string | undefined } {
  const lines = out.trimEnd().split('\n');
  const token = lines.at(-1)!.startsWith('NextToken: ') ? lines.pop()!.slice('NextToken: '.length) : undefined;
  return { ids: lines.slice(1).map((line) => line.split(/\s+/)[0]!), nextToken: token };
}

describe('list against an RDS that pages as the real service does (aws-sdk-client-mock)', () => {
  it('--page-size 20 --max-items 7, then --starting-token, walks 57 tasks over 3 pages: each once, in order', async () => {
    const { client, requests } = pagingRds(TASKS);
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;

    do {
      const { code, out, err } = await cli(['list', '--page-size', '20', '--max-items', '7', ...(token ? ['--starting-token', token] : [])], client);
      expect(err).toBe('');
      expect(code).toBe(0);
      const table = readTable(out);
      expect(table.ids.length).toBeLessThanOrEqual(7);
      seen.push(...table.ids);
      token = table.nextToken;
      calls += 1;
    } while (token && calls < 20);

    expect(seen).toEqual(TASKS.map((t) => t.ExportTaskIdentifier));
    expect(calls).toBe(9); // 57 = 8 × 7 + 1
    expect(requests.every((r) => r.MaxRecords === 20)).toBe(true);
    // Each call asks for the page it stopped in again (by its Marker) and no further than it needs.
    expect(requests.length).toBeLessThanOrEqual(calls + 3);
  });

  it('a token resumes at the same item with another --page-size (a page starts where its Marker says)', async () => {
    const { client } = pagingRds(TASKS);

    const first = await cli(['list', '--page-size', '20', '--max-items', '27', '--json'], client);
    const { nextToken } = JSON.parse(first.out);
    const rest = await cli(['list', '--page-size', '100', '--starting-token', nextToken, '--json'], client);

    expect(JSON.parse(Buffer.from(nextToken, 'base64').toString())).toEqual({ Marker: expect.any(String), boto_truncate_amount: 7 });
    expect(JSON.parse(rest.out).items.map((i: { exportId: string }) => i.exportId)).toEqual(TASKS.slice(27).map((t) => t.ExportTaskIdentifier));
    expect(JSON.parse(rest.out).nextToken).toBeNull();
  });

  it('filters and --source-type go to the API as Filters (statuses in lowercase) and SourceType', async () => {
    const { client, requests } = pagingRds(TASKS);

    const { code, out } = await cli(['list', '--filter', 'status=IN_PROGRESS,starting', '--filter', 's3-bucket=odd-bucket', '--source-type', 'snapshot', '--json'], client);

    expect(code).toBe(0);
    expect(requests[0]).toEqual({
      Filters: [
        { Name: 'status', Values: ['in_progress', 'starting'] },
        { Name: 's3-bucket', Values: ['odd-bucket'] },
      ],
      SourceType: 'SNAPSHOT',
    });
    const expected = TASKS.filter((t) => ['in_progress', 'starting'].includes(t.Status!.toLowerCase()) && t.S3Bucket === 'odd-bucket' && t.SourceType === 'SNAPSHOT');
    expect(expected.length).toBeGreaterThan(5);
    expect(JSON.parse(out).items.map((i: { exportId: string }) => i.exportId)).toEqual(expected.map((t) => t.ExportTaskIdentifier));
  });

  it('--json: one document with the items in the workflow\'s terms and the nextToken', async () => {
    const { client } = pagingRds(TASKS);

    const { out } = await cli(['list', '--max-items', '2', '--json'], client);

    expect(JSON.parse(out)).toEqual({
      items: [
        {
          exportId: 'export-000',
          source: 'arn:aws:rds:us-east-1:123456789012:cluster:aurora-0',
          sourceType: 'CLUSTER',
          status: 'COMPLETE',
          percent: 100,
          startedAt: '2026-11-23T03:00:00.000Z',
          s3: 's3://even-bucket/exports/export-000',
        },
        {
          exportId: 'export-001',
          source: 'arn:aws:rds:us-east-1:123456789012:snapshot:db-1',
          sourceType: 'SNAPSHOT',
          status: 'IN_PROGRESS',
          percent: 7,
          startedAt: '2026-11-23T03:00:01.000Z',
          s3: 's3://odd-bucket/exports/export-001',
        },
      ],
      nextToken: Buffer.from(JSON.stringify({ boto_truncate_amount: 2 })).toString('base64'),
    });
  });

  it('throttling that outlasts the SDK retries: one line on stderr, exit status 1', async () => {
    const rds = new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    mockClient(rds).on(DescribeExportTasksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    const { code, out, err } = await cli(['list'], rds);

    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('export-orchestrator: AWS throttled the request even after retries (DescribeExportTasks failed: Throttling: Rate exceeded): try again in a minute, or with a larger --page-size or --interval\n');
  });

  it('a bad --starting-token is a usage error before any call to AWS', async () => {
    const { client, requests } = pagingRds(TASKS);

    const { code, err } = await cli(['list', '--starting-token', 'bm90IGpzb24='], client);

    expect(code).toBe(2);
    expect(err).toMatch(/^export-orchestrator: --starting-token is not a token printed by this command's NextToken \(not JSON inside\)/);
    expect(requests).toEqual([]);
  });
});

describe('other kinds are one small adapter each', () => {
  it('ec2-image: DescribeExportImageTasks by NextToken, task-state filter, the AMI as source', async () => {
    const ec2 = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    const mock = mockClient(ec2);
    const image = (n: number, Status = 'active', Progress?: string) => ({ ExportImageTaskId: `export-ami-${n}`, ImageId: `ami-0000000${n}`, Status, ...(Progress ? { Progress } : {}), S3ExportLocation: { S3Bucket: 'images', S3Prefix: 'vm/' } });
    mock
      .on(DescribeExportImageTasksCommand, { NextToken: undefined })
      .resolves({ ExportImageTasks: [image(1, 'active', '40'), image(2, 'completed')], NextToken: 't2' })
      .on(DescribeExportImageTasksCommand, { NextToken: 't2' })
      .resolves({ ExportImageTasks: [image(3, 'deleted')] });
    const stdout = sink();

    const code = await run(['list', '--kind', 'ec2-image', '--filter', 'task-state=Active,completed,deleted', '--max-items', '1', '--json'], {
      stdout, stderr: sink(), env: {}, now: () => new Date(), sleep: async () => {}, clients: clientsWith({ ec2: () => ec2 }),
    });

    expect(code).toBe(0);
    const doc = JSON.parse(stdout.text);
    expect(doc.items).toEqual([{ exportId: 'export-ami-1', source: 'arn:aws:ec2:eu-west-1::image/ami-00000001', status: 'IN_PROGRESS', percent: 40, s3: 's3://images/vm/' }]);
    expect(JSON.parse(Buffer.from(doc.nextToken, 'base64').toString())).toEqual({ boto_truncate_amount: 1 });
    expect(mock.commandCalls(DescribeExportImageTasksCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: 'task-state', Values: ['active', 'completed', 'deleted'] }] });
  });

  it('ads: DescribeExportTasks by nextToken; resumes in the middle of a page', async () => {
    const calls: Array<Record<string, unknown>> = [];
    const answers: Record<string, { exportsInfo: Array<{ exportId: string; exportStatus: string }>; nextToken?: string }> = {
      first: { exportsInfo: [{ exportId: 'a', exportStatus: 'SUCCEEDED' }, { exportId: 'b', exportStatus: 'IN_PROGRESS' }], nextToken: 'n2' },
      n2: { exportsInfo: [{ exportId: 'c', exportStatus: 'FAILED' }] },
    };
    const kind = adsListing({
      call: async <T,>(_operation: string, input: object) => {
        calls.push(input as Record<string, unknown>);
        return answers[((input as { nextToken?: string }).nextToken ?? 'first')] as T;
      },
    });

    const first = await collect(kind, { filters: new Map([['agent-id', ['agent-1']]]), pageSize: 2 }, { maxItems: 1 });
    const rest = await collect(kind, { filters: new Map([['agent-id', ['agent-1']]]), pageSize: 2 }, { startingToken: first.nextToken! });

    expect(first.items.map((i) => [i.exportId, i.status])).toEqual([['a', 'COMPLETE']]);
    expect(rest.items.map((i) => [i.exportId, i.status])).toEqual([['b', 'IN_PROGRESS'], ['c', 'FAILED']]);
    expect(calls[0]).toEqual({ filters: [{ name: 'agentIds', values: ['agent-1'], condition: 'EQUALS' }], maxResults: 2 });
  });
});
