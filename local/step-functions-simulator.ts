import { StateMachine } from 'aws-local-stepfunctions';
import { INPUT_LIMITS } from '../shared/export-kinds/input-limits.ts';
import type { JsonService } from './aws-json.ts';
import { QueryError } from './aws-query.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, loadDefinition, type TaskBinding } from './definition.ts';
import type { Random } from './random.ts';

/** One entry of the engine's execution event log (the library does not export the type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface ExecutionOutcome {
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  events: EventLog[];
  stateTransitions: number;
  /** Of those, the ones after a step first saw the export's final status (verification, the final notification): issue 10 counts them apart. */
  transitionsAfterEnd: number;
}

export interface CallbackFaults {
  /** Share (0-1) of callbacks answered with ThrottlingException. */
  throttleRate: number;
  /** Share (0-1) of callbacks answered with a 500 (ServiceUnavailable). */
  errorRate: number;
  random: Random;
}

export interface StepFunctionsOptions {
  /** Invokes the Lambda function a Task state names (serverless.yml's name) with the state's input. */
  invoke: (functionName: string, event: unknown) => Promise<unknown>;
  /** Sees the event log of every execution, with the execution's name. */
  onEvent?: (event: EventLog, execution: string) => void;
  /** Step Functions refusing task-token callbacks (SendTaskSuccess / SendTaskFailure) before they take effect. */
  callbackFaults?: CallbackFaults;
  /** Step Functions refusing callbacks in the scenario's `states` fault windows. */
  callbackOutage: (operation: string) => Error | undefined;
  /** false: the naive baseline, no slot queue to go back to when StartExport is refused for the quota (it only retries). */
  slotQueue?: boolean;
}

/**
 * Step Functions, locally: the real state machine definition run by aws-local-stepfunctions, each
 * Task state invoking its Lambda, and the API the Lambdas call through the SDK (StartExecution,
 * SendTaskSuccess/Failure), task tokens minted here since the engine has none.
 */
export class StepFunctionsSimulator implements JsonService {
  readonly executions = new Map<string, Promise<ExecutionOutcome>>();
  /** What DescribeExecution tells of each execution: when it started, and its outcome once it ended. */
  private readonly described = new Map<string, { startDate: number; outcome?: ExecutionOutcome }>();
  readonly calls: Record<string, number> = {};
  /** Callbacks refused by the injected faults (callbackFaults, callbackOutage). */
  callbackFaultsInjected = 0;
  private readonly machine: StateMachine;
  private readonly taskBindings: Record<string, TaskBinding>;
  private readonly callbacks = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void; execution: string }>();
  private readonly openCallback = new Map<string, string>();
  private tokens = 0;
  private unnamed = 0;

  constructor(private readonly options: StepFunctionsOptions) {
    const { definition, taskBindings } = loadDefinition();
    if (options.slotQueue === false) withoutRequeue(definition.States.StartExport!);
    this.machine = new StateMachine(definition as never);
    this.taskBindings = taskBindings;
  }

  /** Starts an execution (as StartExecution does) and returns its outcome when it ends. */
  execute(input: unknown, name = `local-${++this.unnamed}`): Promise<ExecutionOutcome> {
    if (this.executions.has(name)) throw new QueryError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn(name)}'`);
    const outcome = this.run(input, name);
    this.executions.set(name, outcome);
    const described: { startDate: number; outcome?: ExecutionOutcome } = { startDate: Date.now() / 1000 };
    this.described.set(name, described);
    void outcome.then((ended) => (described.outcome = ended));
    return outcome;
  }

  /** Step Functions' API, as the Lambdas call it through the SDK. */
  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    switch (operation) {
      case 'StartExecution': {
        // As Step Functions: the input is at most 256 KB (INPUT_LIMITS.executionInput).
        const size = Buffer.byteLength(String(body.input ?? '{}'), 'utf8');
        if (size > INPUT_LIMITS.executionInput.max) {
          throw new QueryError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${INPUT_LIMITS.executionInput.max}`, 400);
        }
        const name = String(body.name ?? `local-${++this.unnamed}`);
        void this.execute(JSON.parse(String(body.input ?? '{}')), name);
        return { executionArn: executionArn(name), startDate: Date.now() / 1000 };
      }
      case 'DescribeExecution': {
        const arn = String(body.executionArn);
        const name = arn.slice(arn.lastIndexOf(':') + 1);
        const described = this.described.get(name);
        if (!described || arn !== executionArn(name)) throw new QueryError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        const { outcome } = described;
        return {
          executionArn: arn,
          name,
          status: outcome?.status ?? 'RUNNING',
          startDate: described.startDate,
          ...(outcome?.status === 'FAILED' ? { error: outcome.error, cause: outcome.cause } : {}),
        };
      }
      case 'SendTaskSuccess':
      case 'SendTaskFailure': {
        this.injectCallbackFault(operation);
        const token = String(body.taskToken);
        const waiting = this.callbacks.get(token);
        if (!waiting) throw new QueryError('TaskTimedOut', `Task Timed Out: '${token}'`);
        this.callbacks.delete(token);
        if (operation === 'SendTaskSuccess') waiting.resolve(JSON.parse(String(body.output)));
        else waiting.reject(Object.assign(new Error(String(body.cause ?? '')), { name: String(body.error ?? 'Error') }));
        return {};
      }
      default:
        throw new QueryError('UnknownOperationException', `The local stack does not implement ${operation}`);
    }
  }

  /** A refused callback changes nothing: the token stays open, as in Step Functions. */
  private injectCallbackFault(operation: string): void {
    const outage = this.options.callbackOutage(operation);
    if (outage) {
      this.callbackFaultsInjected++;
      throw outage;
    }
    const faults = this.options.callbackFaults;
    if (!faults || faults.throttleRate + faults.errorRate <= 0) return;
    const draw = faults.random.next();
    if (draw < faults.throttleRate + faults.errorRate) this.callbackFaultsInjected++;
    if (draw < faults.throttleRate) throw new QueryError('ThrottlingException', 'Rate exceeded', 400);
    if (draw < faults.throttleRate + faults.errorRate) throw new QueryError('ServiceUnavailable', 'Service Unavailable (simulated)', 500);
  }

  private async run(input: unknown, name: string): Promise<ExecutionOutcome> {
    const handlers = Object.fromEntries(
      Object.entries(this.taskBindings).map(([state, binding]) => [state, binding.callback ? this.callbackTask(name, binding) : this.lambdaTask(binding)]),
    );
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      // The engine has no task tokens: $$.Task.Token resolves to this placeholder, and callbackTask mints the real one.
      context: { Execution: { Id: executionArn(name), Name: name }, Task: { Token: 'minted-by-callbackTask' } },
    });
    const events: EventLog[] = [];
    const logging = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        // A callback state that ended (timed out, failed) no longer listens to its token.
        if ((event.type === 'StateExited' || event.type === 'StateFailed') && this.taskBindings[event.state.name]?.callback) this.closeCallback(name);
        this.options.onEvent?.(event, name);
      }
    })();
    let outcome: Omit<ExecutionOutcome, 'events' | 'stateTransitions' | 'transitionsAfterEnd' | 'name'>;
    try {
      outcome = { status: 'SUCCEEDED', output: await execution.result };
    } catch (error) {
      const failure = (error as { cause?: { name?: string; message?: string } }).cause ?? (error as Error);
      outcome = { status: 'FAILED', error: failure.name ?? 'Error', cause: failure.message ?? '' };
    }
    await logging;
    return { name, ...outcome, events, stateTransitions: countStateTransitions(events), transitionsAfterEnd: countTransitionsAfterEnd(events) };
  }

  private lambdaTask(binding: TaskBinding) {
    return (event: unknown) => this.options.invoke(binding.functionName, event);
  }

  /**
   * `lambda:invoke.waitForTaskToken`: mint a token as Step Functions does (the engine has none),
   * invoke the Lambda with the Payload, then wait for SendTaskSuccess/Failure on that token.
   */
  private callbackTask(execution: string, binding: TaskBinding) {
    return async (parameters: { Payload: Record<string, unknown> }) => {
      const token = `${execution}/${binding.functionName}/${++this.tokens}`;
      const answered = new Promise<unknown>((resolve, reject) => this.callbacks.set(token, { resolve, reject, execution }));
      this.openCallback.set(execution, token);
      try {
        await this.options.invoke(binding.functionName, { ...parameters.Payload, token });
      } catch (error) {
        this.closeCallback(execution);
        throw error;
      }
      return answered;
    };
  }

  private closeCallback(execution: string): void {
    const token = this.openCallback.get(execution);
    if (token) this.callbacks.delete(token);
    this.openCallback.delete(execution);
  }
}

/** As Step Functions Standard bills them: every state entered, and every retry of a state. */
export function countStateTransitions(events: EventLog[]): number {
  return events.filter((event) => event.type === 'StateEntered' || event.type === 'StateRetried').length;
}

/**
 * Transitions spent between seeing the export's final status and ending: a verification, a final
 * notification retried by the Notify state. The Route that reads the end and the final state are
 * not counted (the floor of 10 has them).
 */
export function countTransitionsAfterEnd(events: EventLog[]): number {
  const seen = events.findIndex((event) => event.type === 'StateExited' && isFinalStatus((event.state.output as { status?: unknown } | undefined)?.status));
  return seen < 0 ? 0 : Math.max(0, countStateTransitions(events.slice(seen + 1)) - 2);
}

function isFinalStatus(status: unknown): boolean {
  return status === 'COMPLETE' || status === 'FAILED' || status === 'CANCELED' || status === 'TIMED_OUT';
}

function withoutRequeue(startExport: Record<string, unknown>): void {
  startExport.Catch = (startExport.Catch as Array<{ Next: string }>).filter((catcher) => catcher.Next !== 'AdmitExport');
}

function executionArn(name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:export-orchestrator-local:${name}`;
}
