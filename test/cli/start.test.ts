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

function world() {
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  const mock = mockClient(sfn);
  const clients = () => ({ sfn: () => sfn, destroy: () => {} }) as unknown as Clients;
  const cli = async (argv: string[], extra: { env?: Record<string, string>; runLocal?: LocalRunner } = {}) => {
    const stdout = sink();
    const stderr = sink();
    const code = await run(argv, { stdout, stderr, env: extra.env ?? {}, now: () => NOW, sleep: async () => {}, clients, ...(extra.runLocal ? { runLocal: extra.runLocal } : {}) });
    return { code, out: stdout.text, err: stderr.text };
  };
  return { cli, mock };
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
