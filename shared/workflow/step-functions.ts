import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';
import { awsErrorName, toWorkflowError } from '../runtime/aws-errors.ts';

/** Starts executions of the export state machine; the execution name makes a start idempotent. */
export interface ExecutionStarter {
  /** false when an execution of that name already exists (a duplicate request): not an error. */
  start(name: string, input: unknown): Promise<{ started: boolean; executionArn?: string }>;
}

/** An execution of the export state machine, as DescribeExecution tells it. */
export interface ExecutionSummary {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE). */
  status: string;
  startDate?: Date;
  /** Of an execution that FAILED: the error name it failed with (TransientAwsError, …). */
  error?: string;
}

/** Looks an execution of the export state machine up by its name. */
export interface ExecutionLookup {
  /** undefined when no execution of that name exists. */
  describe(name: string): Promise<ExecutionSummary | undefined>;
}

/** The ARN of the state machine's execution of that name. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Completes the callbacks (task tokens) of waiting executions. */
export interface TaskCallbacks {
  /** false when the waiting task is gone (timed out, execution ended): the caller moves on. */
  succeed(token: string, output: unknown): Promise<boolean>;
  fail(token: string, error: string, cause: string): Promise<boolean>;
}

const CLOCK_SKEW_MS = 2000;

const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/** Answers the task tokens of waiting executions. */
export class StepFunctionsCallbacks implements TaskCallbacks {
  constructor(protected readonly sfn: SFNClient) {}

  async succeed(token: string, output: unknown): Promise<boolean> {
    return this.complete('SendTaskSuccess', () => this.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
  }

  async fail(token: string, error: string, cause: string): Promise<boolean> {
    return this.complete('SendTaskFailure', () => this.sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause: cause.slice(0, 32768) })));
  }

  private async complete(operation: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (GONE.has(awsErrorName(error))) return false;
      throw toWorkflowError(operation, error);
    }
  }
}

/** Starts and looks up executions of the export state machine, and answers task tokens. */
export class StepFunctions extends StepFunctionsCallbacks implements ExecutionStarter, ExecutionLookup {
  constructor(
    sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {
    super(sfn);
  }

  async start(name: string, input: unknown): Promise<{ started: boolean; executionArn?: string }> {
    const askedAt = Date.now();
    try {
      const { executionArn, startDate } = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      // Standard workflows answer a repeated start (same name, same input) of a running execution
      // with that execution, not an error: one that began before we asked is not ours.
      const existing = startDate !== undefined && startDate.getTime() < askedAt - CLOCK_SKEW_MS;
      return { started: !existing, ...(executionArn ? { executionArn } : {}) };
    } catch (error) {
      if (awsErrorName(error) === 'ExecutionAlreadyExists') return { started: false };
      throw toWorkflowError('StartExecution', error);
    }
  }

  async describe(name: string): Promise<ExecutionSummary | undefined> {
    try {
      const { status, startDate, error } = await this.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name) }));
      return { status: status ?? 'UNKNOWN', ...(startDate ? { startDate } : {}), ...(error ? { error } : {}) };
    } catch (error) {
      if (awsErrorName(error) === 'ExecutionDoesNotExist') return undefined;
      throw toWorkflowError('DescribeExecution', error);
    }
  }
}

export const stepFunctions = (stateMachineArn: string, clientConfig: SFNClientConfig = {}): StepFunctions =>
  new StepFunctions(new SFNClient({ ...SDK_OPTIONS, ...clientConfig }), stateMachineArn);

export const taskCallbacks = (clientConfig: SFNClientConfig = {}): StepFunctionsCallbacks =>
  new StepFunctionsCallbacks(new SFNClient({ ...SDK_OPTIONS, ...clientConfig }));
