/**
 * The CLI behaves as the AWS CLI does: the region from --region, AWS_REGION, AWS_DEFAULT_REGION or
 * the profile; `list` shows every kind; `start` takes every kind; an endpoint that is no AWS API
 * is said to be one in one line.
 */
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listAllKinds } from '../../cli/commands/list.ts';
import { CliError } from '../../cli/errors.ts';
import { rdsListing } from '../../shared/export-kinds/rds/listing.ts';
import { regionOf, run, sdkClients, type Clients } from '../../cli/run.ts';
import { sink, task } from '../support/cli.ts';

afterEach(() => vi.unstubAllEnvs());

describe('region and credentials, as the AWS CLI resolves them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-profile-'));
    await writeFile(join(dir, 'config'), '[default]\nregion = us-west-2\n\n[profile sandbox]\nregion = eu-west-3\n');
    await writeFile(join(dir, 'credentials'), '[default]\naws_access_key_id = a\naws_secret_access_key = b\n\n[sandbox]\naws_access_key_id = c\naws_secret_access_key = d\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The region an SDK client of the CLI resolves, with only this environment and the profile files above. */
  async function regionResolved(globals: { region?: string; profile?: string }, env: Record<string, string>): Promise<string> {
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) vi.stubEnv(name, undefined as unknown as string);
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const clients = sdkClients(globals, { ...env });
    try {
      return await clients.rds().config.region();
    } finally {
      clients.destroy();
    }
  }

  it('takes --region first, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(regionOf({ region: 'eu-north-1' }, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-north-1');
    expect(regionOf({}, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-1');
    expect(regionOf({}, { AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-2');
    expect(regionOf({}, { AWS_REGION: ' ', AWS_DEFAULT_REGION: '' })).toBeUndefined();
  });

  it("reads AWS_DEFAULT_REGION (which the SDK alone ignores), and else the profile's region: --profile, AWS_PROFILE, default", async () => {
    expect(await regionResolved({}, { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
    expect(await regionResolved({ profile: 'sandbox' }, {})).toBe('eu-west-3');
    expect(await regionResolved({}, { AWS_PROFILE: 'sandbox' })).toBe('eu-west-3');
    expect(await regionResolved({}, {})).toBe('us-west-2');
    // The environment wins over the profile's file, as in the AWS CLI.
    expect(await regionResolved({ profile: 'sandbox' }, { AWS_DEFAULT_REGION: 'ap-south-1' })).toBe('ap-south-1');
  });
});

describe('list without --kind: every kind', () => {
  function rdsWithTasks(): RDSClient {
    const client = new RDSClient({ region: 'eu-west-3', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    mockClient(client).on(DescribeExportTasksCommand).resolves({ ExportTasks: [task(1), task(2)] });
    return client;
  }
  const unavailable = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND discovery.eu-west-3.amazonaws.com'), { code: 'ENOTFOUND' }));

  it('shows each kind\'s table, and a kind the region does not offer as a one-line note', async () => {
    // Prepare
    const stdout = sink();
    const noImageExports = { ...rdsListing(rdsWithTasks()), name: 'ec2-image' as const, pages: async function* () { yield { entries: [], next: undefined }; } };

    // Act
    const { notes } = await listAllKinds(
      { command: 'list', filters: [], json: false },
      {
        kinds: [
          { name: 'rds', listing: async () => rdsListing(rdsWithTasks()) },
          { name: 'ec2-image', listing: async () => noImageExports },
          { name: 'ads', listing: unavailable },
        ],
        stdout,
        where: async () => 'eu-west-3',
      },
    );

    // Assess
    expect(stdout.text).toMatch(/^RDS exports \(snapshots and clusters\):\nID +SOURCE/);
    expect(stdout.text).toContain('export-001');
    expect(stdout.text).toContain('EC2 image exports:\nID');
    expect(notes).toEqual([expect.stringMatching(/^note: no Application Discovery Service exports here \(eu-west-3\): its endpoint does not resolve \(ENOTFOUND\)/)]);
    expect(stdout.text.trimEnd().split('\n').at(-1)).toBe(notes[0]);
  });

  it('lists them as one JSON document whose items carry their kind', async () => {
    const stdout = sink();

    await listAllKinds({ command: 'list', filters: [], json: true }, { kinds: [{ name: 'rds', listing: async () => rdsListing(rdsWithTasks()) }, { name: 'ads', listing: unavailable }], stdout, where: async () => undefined });

    const document = JSON.parse(stdout.text) as { items: Array<{ kind: string; exportId: string }>; nextToken: null; notes: string[] };
    expect(document.items.map((item) => [item.kind, item.exportId])).toEqual([['rds', 'export-001'], ['rds', 'export-002']]);
    expect(document.nextToken).toBeNull();
    expect(document.notes).toHaveLength(1);
  });

  it('fails as for one kind on anything else (credentials, throttling)', async () => {
    const denied = () => Promise.reject(new CliError('no AWS credentials'));

    await expect(listAllKinds({ command: 'list', filters: [], json: false }, { kinds: [{ name: 'rds', listing: denied }], stdout: sink(), where: async () => undefined })).rejects.toThrow('no AWS credentials');
  });
});

describe('an endpoint that is no AWS API', () => {
  let server: Server;
  let endpoint: string;
  let status = 200;
  beforeAll(async () => {
    server = createServer((_request, response) => response.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each([200, 404, 502])('is reported in one line when it answers HTTP %i with an HTML page', async (code) => {
    // Prepare
    status = code;
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'a');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'b');
    const stdout = sink();
    const stderr = sink();

    // Act
    const exit = await run(['list', '--kind', 'rds', '--endpoint-url', endpoint, '--region', 'us-east-1'], { stdout, stderr, env: {}, now: () => new Date(), sleep: async () => {} });

    // Assess
    expect(exit).toBe(1);
    expect(stderr.text).toBe(`export-orchestrator: ${endpoint} answered HTTP ${code} with an HTML page, not an AWS API response: check --endpoint-url, --region and any proxy\n`);
    expect(stdout.text).toBe('');
  });
});

describe('start of every kind', () => {
  const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:export-orchestrator-prod';
  const NOW = new Date('2026-11-23T03:15:00Z');

  async function started(argv: string[]): Promise<{ name: string; input: Record<string, unknown>; out: string }> {
    const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    const mock = mockClient(sfn);
    mock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    mock.on(StartExecutionCommand).callsFake(async (input: { name: string }) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
    const stdout = sink();
    const stderr = sink();
    const code = await run([...argv, '--state-machine-arn', STATE_MACHINE], { stdout, stderr, env: {}, now: () => NOW, sleep: async () => {}, clients: () => ({ sfn: () => sfn, destroy: () => {} }) as unknown as Clients });
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    const call = mock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    return { name: call.name!, input: JSON.parse(call.input!) as Record<string, unknown>, out: stdout.text };
  }

  it('starts an EC2 image export: --image-id, in VMDK unless --disk-image-format says otherwise', async () => {
    const { name, input, out } = await started(['start', '--image-id', 'ami-0123456789abcdef0', '--disk-image-format', 'raw', '--deadline-seconds', '7200']);

    expect(input).toEqual({ kind: 'ec2-image', imageId: 'ami-0123456789abcdef0', diskImageFormat: 'RAW', deadlineSeconds: 7200 });
    expect(name).toBe('ec2-image-ami-0123456789abcdef0-raw-20261123t0315');
    expect(out).toContain('follow it with: export-orchestrator watch --kind ec2-image');
  });

  it('starts an Application Discovery Service export of one agent\'s last --lookback-hours (24 by default)', async () => {
    const { name, input } = await started(['start', '--ads-agent-id', 'd-server-01abcd']);

    expect(input).toEqual({ kind: 'ads', agentIds: ['d-server-01abcd'], startTime: '2026-11-22T03:15:00.000Z', endTime: '2026-11-23T03:15:00.000Z' });
    expect(name).toBe('ads-d-server-01abcd-20261123t0315');
  });
});
