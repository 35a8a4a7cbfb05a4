import { DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { LocalRunner } from '../../cli/commands/start.ts';
import { run, type Clients } from '../../cli/run.ts';
import { exportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { sink } from '../support/cli.ts';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:export-orchestrator-prod';
const SNAPSHOT = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10';
const NOW = new Date('2026-11-23T03:15:00Z');
const EXPORT_ID = exportIdentifier(parseSourceArn(SNAPSHOT)!, NOW);
const EXECUTION = `arn:aws:states:us-east-1:123456789012:execution:export-orchestrator-prod:${EXPORT_ID}`;

const executionOf = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:export-orchestrator-prod:${name}`;
const attemptId = (attempt: number) => exportIdentifier(parseSourceArn(SNAPSHOT)!, NOW, attempt);
const notFound = () => new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} });

function world() {
  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
  const sfn = new SFNClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const mock = mockClient(sfn);
  const rds = new RDSClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const rdsMock = mockClient(rds);
  rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
  const regions: string[] = [];
  const clients = () => ({ sfn: () => sfn, rds: () => rds, rdsIn: ({ region }: { region: string }) => (regions.push(region), rds), destroy: () => {} }) as unknown as Clients;
  const cli = async (argv: string[], extra: { env?: Record<string, string>; runLocal?: LocalRunner } = {}) => {
    const stdout = sink();
    const stderr = sink();
    const code = await run(argv, { stdout, stderr, env: extra.env ?? {}, now: () => NOW, sleep: async () => {}, clients, ...(extra.runLocal ? { runLocal: extra.runLocal } : {}) });
    return { code, out: stdout.text, err: stderr.text };
  };
  return { cli, mock, rdsMock, regions };
}

describe('start: StartExecution of the deployed state machine, named by the export id', () => {
  it('starts an execution named by the source\'s export id, with the deadline in its input', async () => {
    const { cli, mock } = world();
    mock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    mock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

    const { code, out, err } = await cli(['start', '--source-arn', SNAPSHOT, '--deadline-seconds', '3600', '--state-machine-arn', STATE_MACHINE]);

    expect(err).toBe('');
    expect(code).toBe(0);
    expect(mock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE, name: EXPORT_ID, input: JSON.stringify({ sourceArn: SNAPSHOT, deadlineSeconds: 3600 }) });
    expect(out).toBe(`Started ${EXECUTION}\n  export id ${EXPORT_ID}; follow it with: export-orchestrator watch ${EXPORT_ID}\n`);
  });

  it('a second start of the same snapshot is a no-op, reported as such (state machine from the environment)', async () => {
    const { cli, mock } = world();
    mock.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ executionArn: EXECUTION, status: 'RUNNING', startDate: new Date('2026-11-23T03:10:00Z') });

    const { code, out } = await cli(['start', '--source-arn', SNAPSHOT, '--json'], { env: { EXPORT_ORCHESTRATOR_STATE_MACHINE_ARN: STATE_MACHINE } });

    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ outcome: 'already started', executionArn: EXECUTION, exportId: EXPORT_ID, input: { sourceArn: SNAPSHOT }, status: 'RUNNING', startDate: '2026-11-23T03:10:00.000Z' });
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('a start that races another (ExecutionAlreadyExists) is reported as already started too', async () => {
    const { cli, mock } = world();
    mock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    mock.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));

    const { code, out } = await cli(['start', '--source-arn', SNAPSHOT, '--state-machine-arn', STATE_MACHINE]);

    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^Already started, nothing done: ${EXECUTION}\n`));
  });

  it.each([
    [['start', '--source-arn', 'arn:aws:s3:::bucket', '--state-machine-arn', STATE_MACHINE], /--source-arn "arn:aws:s3:::bucket" is not an exportable RDS ARN/],
    [['start', '--source-arn', SNAPSHOT], /start needs the state machine: --state-machine-arn ARN or EXPORT_ORCHESTRATOR_STATE_MACHINE_ARN/],
    [['start', '--source-arn', SNAPSHOT, '--state-machine-arn', 'export-orchestrator-prod'], /state machine ARN "export-orchestrator-prod" is not one/],
  ])('refuses %j before any AWS call (exit 2)', async (argv, message) => {
    const { cli, mock } = world();

    const { code, err } = await cli(argv as string[]);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(mock.calls()).toHaveLength(0);
  });
});

describe('start --again: the next attempt of a source whose executions ended without its export', () => {
  /** The executions that exist, by attempt; every other name does not. */
  function withExecutions(mock: ReturnType<typeof world>['mock'], statuses: Record<number, string>) {
    mock.on(DescribeExecutionCommand).rejects(notFound());
    for (const [attempt, status] of Object.entries(statuses)) {
      mock.on(DescribeExecutionCommand, { executionArn: executionOf(attemptId(Number(attempt))) }).resolves({ executionArn: executionOf(attemptId(Number(attempt))), status: status as 'FAILED', startDate: new Date('2026-11-23T03:10:00Z') });
    }
    mock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  }

  it('starts attempt 2 under its own export id when attempt 1 FAILED and RDS holds no task of the source', async () => {
    // Prepare
    const { cli, mock, rdsMock, regions } = world();
    withExecutions(mock, { 1: 'FAILED' });

    // Act
    const { code, out, err } = await cli(['start', '--source-arn', SNAPSHOT, '--again', '--state-machine-arn', STATE_MACHINE]);

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(mock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE, name: attemptId(2), input: JSON.stringify({ sourceArn: SNAPSHOT, attempt: 2 }) });
    expect(rdsMock.commandCalls(DescribeExportTasksCommand)[0]!.args[0].input).toEqual({ SourceArn: SNAPSHOT });
    // Each attempt's name looked up once: the free one is started without a second look.
    expect(mock.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input.executionArn)).toEqual([executionOf(attemptId(1)), executionOf(attemptId(2))]);
    expect(regions).toEqual(['us-east-1']);
    expect(out).toContain(`export id ${attemptId(2)} (attempt 2)`);
  });

  it('goes past every ended attempt (FAILED, TIMED_OUT, ABORTED) to the first name not taken', async () => {
    const { cli, mock } = world();
    withExecutions(mock, { 1: 'FAILED', 2: 'TIMED_OUT', 3: 'ABORTED' });

    const { code } = await cli(['start', '--source-arn', SNAPSHOT, '--again', '--deadline-seconds', '3600', '--state-machine-arn', STATE_MACHINE]);

    expect(code).toBe(0);
    expect(mock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toMatchObject({ name: attemptId(4), input: JSON.stringify({ sourceArn: SNAPSHOT, attempt: 4, deadlineSeconds: 3600 }) });
  });

  it('starts the first attempt as a plain start would, when the source was never started', async () => {
    const { cli, mock } = world();
    withExecutions(mock, {});

    await cli(['start', '--source-arn', SNAPSHOT, '--again', '--state-machine-arn', STATE_MACHINE]);

    expect(mock.commandCalls(StartExecutionCommand)[0]!.args[0].input).toMatchObject({ name: EXPORT_ID, input: JSON.stringify({ sourceArn: SNAPSHOT }) });
  });

  it.each([
    ['an attempt is still running', { 1: 'FAILED', 2: 'RUNNING' }, 'already started', 2],
    ['an attempt succeeded', { 1: 'SUCCEEDED' }, 'already exported', 1],
  ] as const)('starts nothing when %s, and says which execution', async (_, statuses, outcome, attempt) => {
    const { cli, mock } = world();
    withExecutions(mock, statuses);

    const { code, out } = await cli(['start', '--source-arn', SNAPSHOT, '--again', '--json', '--state-machine-arn', STATE_MACHINE]);

    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ outcome, executionArn: executionOf(attemptId(attempt)), exportId: attemptId(attempt) });
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    ['in progress', 'IN_PROGRESS', /is IN_PROGRESS: it is exporting the source now; wait for it, or cancel it \(export-orchestrator cancel stray-export\)\. Nothing started/],
    ['complete', 'COMPLETE', /is COMPLETE: the source is exported already\. Nothing started/],
  ])('starts nothing when RDS holds an export task of the source %s (exit 1)', async (_, status, message) => {
    const { cli, mock, rdsMock } = world();
    withExecutions(mock, { 1: 'ABORTED' });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: 'stray-export', SourceArn: SNAPSHOT, Status: status }] });

    const { code, err } = await cli(['start', '--source-arn', SNAPSHOT, '--again', '--state-machine-arn', STATE_MACHINE]);

    expect(code).toBe(1);
    expect(err).toMatch(message);
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('tells a plain start of a snapshot whose execution FAILED how to export it again', async () => {
    const { cli, mock } = world();
    withExecutions(mock, { 1: 'FAILED' });

    const { out } = await cli(['start', '--source-arn', SNAPSHOT, '--state-machine-arn', STATE_MACHINE]);

    expect(out).toContain('(FAILED since 2026-11-23T03:10:00.000Z)');
    expect(out).toContain('to export it again after a failure: start --again');
    expect(mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it.each([
    [['start', '--image-id', 'ami-0123456789abcdef0', '--again'], /--again goes with --source-arn only/],
    [['start', '--local', '--again'], /--again and --local do not go together/],
    [['start', '--source-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:prod-aurora', '--again', '--state-machine-arn', STATE_MACHINE], /--again is for snapshots: .* is a live cluster, and a plain start exports it again/],
  ])('refuses %j (exit 2)', async (argv, message) => {
    const { cli, mock } = world();

    const { code, err } = await cli(argv as string[]);

    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(mock.calls()).toHaveLength(0);
  });
});

describe('start --local', () => {
  it('runs the local scenario with the ARN\'s source type and deadline, and prints its result', async () => {
    const { cli, mock } = world();
    const asked: unknown[] = [];
    const runLocal: LocalRunner = async (overrides) => {
      asked.push(overrides);
      return { status: 'CANCELED', executionStatus: 'FAILED', error: 'ExportTimedOut', sourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:prod-aurora', exportId: 'e', notifications: [{ status: 'STARTING' }, { status: 'TIMED_OUT' }], stateTransitions: 9, simulatedSeconds: 3700, exportSeconds: 3700 };
    };

    const { code, out, err } = await cli(['start', '--local', '--source-arn', 'arn:aws:rds:us-east-1:123456789012:cluster:mine', '--deadline-seconds', '3600'], { runLocal });

    expect(asked).toEqual([{ sourceType: 'CLUSTER', deadlineSeconds: 3600 }]);
    expect(code).toBe(1);
    expect(out).toMatch(/^Local run \(embedded simulator\): export CANCELED; execution FAILED \(ExportTimedOut\)\n/);
    expect(out).toContain('notifications       STARTING → TIMED_OUT');
    expect(err).toBe('note: the simulator exports its own sample source of that type (arn:aws:rds:us-east-1:123456789012:cluster:prod-aurora), not arn:aws:rds:us-east-1:123456789012:cluster:mine\n');
    expect(mock.calls()).toHaveLength(0);
  });
});
