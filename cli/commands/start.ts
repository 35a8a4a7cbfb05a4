import type { RDSClient } from '@aws-sdk/client-rds';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf, StepFunctions, type ExecutionSummary } from '../../shared/workflow/step-functions.ts';
import { attemptInput, findAttempt } from '../../shared/workflow/attempts.ts';
import { formatDuration } from '../../shared/notify/record.ts';
import { exportIdentifier, parseSourceArn, type ExportSource, type SourceType } from '../../shared/export-kinds/rds/source.ts';
import { exportTaskPages, isRunning } from '../../shared/export-kinds/rds/export-tasks.ts';
import { MAX_EXPORT_ATTEMPT } from '../../shared/export-kinds/input-limits.ts';
import type { StartArgs, StartTarget } from '../args.ts';
import { CliError, EXIT_AWS, EXIT_OK, UsageError } from '../errors.ts';
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

export interface StartOutcome {
  outcome: 'started' | 'already started' | 'already exported';
  executionArn: string;
  exportId: string;
  input: Record<string, unknown>;
  /** Of an execution that already existed. */
  status?: string;
  startDate?: string;
}

export interface StartDeps {
  sfn: SFNClient;
  /** RDS in a region (--again looks at the source's export tasks there). */
  rds: (region: string) => RDSClient;
  stdout: Output;
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
}

/**
 * `start`: StartExecution of the deployed state machine, named by the source's export id (as the
 * snapshot trigger and the planner name theirs), so a start of a snapshot already started is a
 * no-op, reported as such: the execution is looked up first, and a start that races another one is
 * told apart by Step Functions itself (shared/workflow/step-functions.ts). `--again` starts the
 * source's next attempt instead (startAgain).
 */
export async function startCommand(args: StartArgs, deps: StartDeps): Promise<StartOutcome> {
  const wanted = args.target ?? { kind: 'rds' as const, sourceArn: args.sourceArn ?? '' };
  const stateMachineArn = stateMachineArnOf(args, deps.env);
  const deadline = args.deadlineSeconds !== undefined ? { deadlineSeconds: args.deadlineSeconds } : {};
  let outcome: StartOutcome;
  if (args.again && wanted.kind === 'rds') outcome = await startAgain(sourceOf(wanted.sourceArn), stateMachineArn, deadline, deps);
  else {
    const target = executionFor(wanted, deps.now());
    outcome = await startOnce(stateMachineArn, target.name, { ...target.input, ...deadline }, deps.sfn);
  }
  report(outcome, wanted.kind, args.json, deps.stdout);
  return outcome;
}

/** The execution of that name: started, or the one that exists already. */
async function startOnce(stateMachineArn: string, name: string, input: Record<string, unknown>, sfn: SFNClient): Promise<StartOutcome> {
  const stepFunctions = new StepFunctions(sfn, stateMachineArn);
  const executionArn = executionArnOf(stateMachineArn, name);
  const existing = await stepFunctions.describe(name);
  if (existing) return existingOutcome(existing, executionArn, name, input);
  const started = await stepFunctions.start(name, input);
  return { outcome: started.started ? 'started' : 'already started', executionArn: started.executionArn ?? executionArn, exportId: name, input };
}

function existingOutcome(execution: ExecutionSummary, executionArn: string, exportId: string, input: Record<string, unknown>): StartOutcome {
  return {
    outcome: execution.status === 'SUCCEEDED' ? 'already exported' : 'already started',
    executionArn,
    exportId,
    input,
    status: execution.status,
    ...(execution.startDate ? { startDate: execution.startDate.toISOString() } : {}),
  };
}

/** How an attempt's execution ends without the export, so that `--again` goes on to the next one. */
const ENDED_WITHOUT_EXPORT = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * `start --again`: exports an RDS snapshot again after its earlier executions ended without its
 * export (FAILED, TIMED_OUT, ABORTED): its next attempt (shared/workflow/attempts.ts). Nothing is
 * started while an attempt runs, after one succeeded, or while RDS runs (or has completed) an
 * export of the snapshot.
 */
async function startAgain(source: ExportSource, stateMachineArn: string, deadline: { deadlineSeconds?: number }, deps: StartDeps): Promise<StartOutcome> {
  if (source.type === 'CLUSTER') {
    throw new UsageError(`--again is for snapshots: ${source.arn} is a live cluster, and a plain start exports it again (its export id carries the minute)`);
  }
  const stepFunctions = new StepFunctions(deps.sfn, stateMachineArn);
  const found = await findAttempt(source, deps.now(), stepFunctions, (execution) => ENDED_WITHOUT_EXPORT.has(execution.status));
  if (!found) {
    throw new CliError(`${source.arn} has been started ${MAX_EXPORT_ATTEMPT} times already (attempts 1-${MAX_EXPORT_ATTEMPT}): nothing started; see why they failed in their executions' history`);
  }
  const input = { ...attemptInput(source.arn, found.attempt), ...deadline };
  const executionArn = executionArnOf(stateMachineArn, found.name);
  if (!found.free) return existingOutcome(found.execution, executionArn, found.name, input);
  const task = await taskHoldingTheSource(deps.rds(source.region), source.arn);
  if (task) {
    throw new CliError(
      `export task ${task.id} of ${source.arn} is ${task.status}: ${task.running ? `it is exporting the source now; wait for it, or cancel it (export-orchestrator cancel ${task.id})` : 'the source is exported already'}. Nothing started`,
    );
  }
  // findAttempt has just found the name free: start it without looking it up again.
  const started = await stepFunctions.start(found.name, input);
  return { outcome: started.started ? 'started' : 'already started', executionArn: started.executionArn ?? executionArn, exportId: found.name, input };
}

/** An export task of the source that is running or COMPLETE (a new attempt would export it twice), if any. */
async function taskHoldingTheSource(rds: RDSClient, sourceArn: string): Promise<{ id: string; status: string; running: boolean } | undefined> {
  for await (const page of exportTaskPages(rds, { SourceArn: sourceArn })) {
    const task = (page.ExportTasks ?? []).find((t) => isRunning(t) || t.Status?.toLowerCase() === 'complete');
    if (task) return { id: task.ExportTaskIdentifier ?? '?', status: (task.Status ?? '').toUpperCase(), running: isRunning(task) };
  }
  return undefined;
}

function report(outcome: StartOutcome, kind: StartTarget['kind'], json: boolean, stdout: Output): void {
  if (json) {
    stdout.write(`${JSON.stringify(outcome)}\n`);
    return;
  }
  if (outcome.outcome === 'started') {
    const attempt = typeof outcome.input.attempt === 'number' ? ` (attempt ${outcome.input.attempt})` : '';
    const follow = kind === 'rds' ? `export id ${outcome.exportId}${attempt}; follow it with: export-orchestrator watch ${outcome.exportId}` : `follow it with: export-orchestrator watch --kind ${kind}`;
    stdout.write(`Started ${outcome.executionArn}\n  ${follow}\n`);
    return;
  }
  const what = outcome.status ? ` (${outcome.status}${outcome.startDate ? ` since ${outcome.startDate}` : ''})` : '';
  if (outcome.outcome === 'already exported') {
    stdout.write(`Already exported, nothing done: ${outcome.executionArn}${what}\n  its export completed; RDS exports a snapshot once per identifier\n`);
  } else {
    const again = kind === 'rds' && outcome.status && outcome.status !== 'RUNNING' ? '; to export it again after a failure: start --again' : '';
    stdout.write(`Already started, nothing done: ${outcome.executionArn}${what}\n  an execution of that name exists, so this snapshot is not exported twice${again}\n`);
  }
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
