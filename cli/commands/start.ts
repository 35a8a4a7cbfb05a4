import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { awsErrorName, toWorkflowError } from '../../shared/runtime/aws-errors.ts';
import { StepFunctions } from '../../shared/workflow/step-functions.ts';
import { formatDuration } from '../../shared/notify/record.ts';
import { exportIdentifier, parseSourceArn, type ExportSource, type SourceType } from '../../shared/export-kinds/rds/source.ts';
import type { StartArgs, StartTarget } from '../args.ts';
import { EXIT_AWS, EXIT_OK, UsageError } from '../errors.ts';
import type { Output } from '../io.ts';

export const STATE_MACHINE_ENV = 'EXPORT_ORCHESTRATOR_STATE_MACHINE_ARN';

const STATE_MACHINE_ARN = /^arn:(aws|aws-cn|aws-us-gov):states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export function sourceOf(arn: string): ExportSource {
  const source = parseSourceArn(arn);
  if (!source) {
    throw new UsageError(
      `--source-arn "${arn}" is not an exportable RDS ARN: expected arn:aws:rds:REGION:ACCOUNT:snapshot:NAME, …:cluster-snapshot:NAME or …:cluster:NAME`,
    );
  }
  return source;
}

/** The state machine's ARN: from --state-machine-arn, else the environment. */
export function stateMachineArnOf(args: StartArgs, env: Readonly<Record<string, string | undefined>>): string {
  const arn = args.stateMachineArn ?? env[STATE_MACHINE_ENV]?.trim();
  if (!arn) throw new UsageError(`start needs the state machine: --state-machine-arn ARN or ${STATE_MACHINE_ENV} (the stack's StateMachineArn output)`);
  if (!STATE_MACHINE_ARN.test(arn)) throw new UsageError(`state machine ARN "${arn}" is not one: expected arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`);
  return arn;
}

/** The ARN Step Functions gives the execution of that name: known before starting it. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export interface StartOutcome {
  outcome: 'started' | 'already started';
  executionArn: string;
  exportId: string;
  input: Record<string, unknown>;
  /** Of an execution that already existed. */
  status?: string;
  startDate?: string;
}

/**
 * `start`: StartExecution of the deployed state machine, named by the source's export id (as the
 * snapshot trigger and the planner name theirs), so a start of a snapshot already started is a
 * no-op, reported as such: the execution is looked up first, and a start that races another one is
 * told apart by Step Functions itself (shared/workflow/step-functions.ts).
 */
export async function startCommand(args: StartArgs, deps: { sfn: SFNClient; stdout: Output; env: Readonly<Record<string, string | undefined>>; now(): Date }): Promise<StartOutcome> {
  const wanted = args.target ?? { kind: 'rds' as const, sourceArn: args.sourceArn ?? '' };
  const target = { kind: wanted.kind, ...executionFor(wanted, deps.now()) };
  const stateMachineArn = stateMachineArnOf(args, deps.env);
  const name = target.name;
  const executionArn = executionArnOf(stateMachineArn, name);
  const input = { ...target.input, ...(args.deadlineSeconds !== undefined ? { deadlineSeconds: args.deadlineSeconds } : {}) };
  const existing = await describeExecution(deps.sfn, executionArn);
  let outcome: StartOutcome;
  if (existing) {
    outcome = { outcome: 'already started', executionArn, exportId: name, input, ...existing };
  } else {
    const started = await new StepFunctions(deps.sfn, stateMachineArn).start(name, input);
    outcome = { outcome: started.started ? 'started' : 'already started', executionArn: started.executionArn ?? executionArn, exportId: name, input };
  }
  if (args.json) deps.stdout.write(`${JSON.stringify(outcome)}\n`);
  else if (outcome.outcome === 'started') {
    const follow = target.kind === 'rds' ? `export id ${name}; follow it with: export-orchestrator watch ${name}` : `follow it with: export-orchestrator watch --kind ${target.kind}`;
    deps.stdout.write(`Started ${outcome.executionArn}\n  ${follow}\n`);
  }
  else {
    const what = outcome.status ? ` (${outcome.status}${outcome.startDate ? ` since ${outcome.startDate}` : ''})` : '';
    deps.stdout.write(`Already started, nothing done: ${outcome.executionArn}${what}\n  an execution of that name exists, so this snapshot is not exported twice\n`);
  }
  return outcome;
}

/**
 * The execution of a target: its name and input. An RDS source is named by its export id (as the
 * snapshot trigger names it); an AMI or an ADS agent as the planner names its runs (kind, source,
 * format or agent, minute), so a start repeated within the minute does nothing.
 */
export function executionFor(target: StartTarget, now: Date): { name: string; input: Record<string, unknown> } {
  const minute = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 't');
  switch (target.kind) {
    case 'rds': {
      const source = sourceOf(target.sourceArn);
      return { name: exportIdentifier(source, now), input: { sourceArn: source.arn } };
    }
    case 'ec2-image':
      return {
        name: `ec2-image-${target.imageId}-${target.diskImageFormat.toLowerCase()}-${minute}`,
        input: { kind: 'ec2-image', imageId: target.imageId, diskImageFormat: target.diskImageFormat },
      };
    case 'ads':
      return {
        name: `ads-${target.agentId.replace(/[^A-Za-z0-9_-]/g, '-')}-${minute}`.slice(0, 80),
        input: { kind: 'ads', agentIds: [target.agentId], startTime: new Date(now.getTime() - target.lookbackHours * 3600_000).toISOString(), endTime: now.toISOString() },
      };
  }
}

async function describeExecution(sfn: SFNClient, executionArn: string): Promise<{ status?: string; startDate?: string } | undefined> {
  try {
    const { status, startDate } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { ...(status ? { status } : {}), ...(startDate ? { startDate: startDate.toISOString() } : {}) };
  } catch (error) {
    if (awsErrorName(error) === 'ExecutionDoesNotExist') return undefined;
    throw toWorkflowError('DescribeExecution', error);
  }
}

// ---------------------------------------------------------------------------------------------
// --local

/** What `npm start -- --json` prints (local/scenario.ts ScenarioResult), as far as `start --local` shows it. */
export interface LocalResult {
  status: string;
  executionStatus: string;
  error?: string;
  cause?: string;
  exportId?: string;
  sourceArn: string;
  notifications: Array<{ status: string }>;
  stateTransitions: number;
  simulatedSeconds: number;
  exportSeconds: number;
  [field: string]: unknown;
}

export type LocalRunner = (overrides: { sourceType?: SourceType; deadlineSeconds?: number; scenarioFile?: string }) => Promise<LocalResult>;

/**
 * The run `npm start` makes (local/scenario.ts runScenario): the real state machine and handlers on
 * the embedded simulators and a virtual clock. Loaded only for --local: it brings the whole local stack.
 */
export const runLocalScenario: LocalRunner = async (overrides) => {
  await import('../../local/polyfills.ts');
  // As local/log-level.ts: the Lambdas' JSON logs would drown the result; chosen before the handlers load.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const { parseScenario, readScenarioFile, runScenario } = await import('../../local/scenario.ts');
  let scenario;
  try {
    scenario = parseScenario({
      ...(overrides.scenarioFile ? readScenarioFile(overrides.scenarioFile) : {}),
      ...(overrides.sourceType ? { sourceType: overrides.sourceType } : {}),
      ...(overrides.deadlineSeconds !== undefined ? { deadlineSeconds: overrides.deadlineSeconds } : {}),
    });
  } catch (error) {
    // A scenario file that cannot be read, or a wrong one: the command line's fault.
    throw new UsageError((error as Error).message);
  }
  return (await runScenario(scenario)) as unknown as LocalResult;
};

/** `start --local`: the result of the local run; exit status 1 when the execution failed. */
export async function startLocalCommand(args: StartArgs, deps: { stdout: Output; stderr: Output; runLocal?: LocalRunner }): Promise<number> {
  const source = args.sourceArn !== undefined ? sourceOf(args.sourceArn) : undefined;
  const result = await (deps.runLocal ?? runLocalScenario)({
    ...(source ? { sourceType: source.type } : {}),
    ...(args.deadlineSeconds !== undefined ? { deadlineSeconds: args.deadlineSeconds } : {}),
    ...(args.scenario !== undefined ? { scenarioFile: args.scenario } : {}),
  });
  if (source && source.arn !== result.sourceArn) {
    deps.stderr.write(`note: the simulator exports its own sample source of that type (${result.sourceArn}), not ${source.arn}\n`);
  }
  if (args.json) {
    deps.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    deps.stdout.write(
      [
        `Local run (embedded simulator): export ${result.status}; execution ${result.executionStatus}${result.error ? ` (${result.error})` : ''}`,
        `  source              ${result.sourceArn}`,
        ...(result.exportId ? [`  export id           ${result.exportId}`] : []),
        `  simulated time      ${formatDuration(result.simulatedSeconds)} (export ran ${formatDuration(result.exportSeconds)})`,
        `  state transitions   ${result.stateTransitions}`,
        `  notifications       ${result.notifications.map((n) => n.status).join(' → ') || 'none'}`,
        ...(result.cause ? [`  cause               ${result.cause}`] : []),
      ].join('\n') + '\n',
    );
  }
  return result.executionStatus === 'SUCCEEDED' ? EXIT_OK : EXIT_AWS;
}
