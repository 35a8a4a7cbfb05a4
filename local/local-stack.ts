import { StateMachine } from 'aws-local-stepfunctions';
import type { StartConfig } from '../shared/config.ts';
import { rdsExportProvider, snsPublisher } from '../shared/aws/clients.ts';
import type { Clock } from '../shared/lambda.ts';
import { makeHandler as makeStartExport } from '../functions/start-export/app.ts';
import { makeHandler as makePollExport } from '../functions/poll-export/app.ts';
import { makeHandler as makeCancelExport } from '../functions/cancel-export/app.ts';
import { makeHandler as makeNotify } from '../functions/notify/app.ts';
import { queryHandler } from './aws-query.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, loadDefinition } from './definition.ts';
import { RdsExportSimulator, type SimulatorOptions } from './rds-simulator.ts';
import { SnsRecorder, type PublishedMessage } from './sns-recorder.ts';

export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:export-orchestrator-local`;

export const LOCAL_CONFIG: StartConfig = {
  EXPORT_BUCKET: 'example-exports',
  EXPORT_PREFIX: '{sourceId}/{date}',
  EXPORT_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/export-orchestrator-local-export`,
  EXPORT_KMS_KEY_ID: `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  DEFAULT_DEADLINE_SECONDS: 24 * 3600,
  MIN_POLL_SECONDS: 60,
  MAX_POLL_SECONDS: 3600,
};

/** One entry of the engine's execution event log (the library does not export the type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

/**
 * The deployed stack, locally: the real state machine definition on aws-local-stepfunctions, the
 * real Lambda handlers, and real SDK clients whose HTTP goes to the RDS simulator and SNS recorder.
 */
export class LocalStack {
  readonly rds: RdsExportSimulator;
  readonly sns: SnsRecorder;
  readonly lambdas: Record<string, LambdaHandler>;
  private readonly machine: StateMachine;
  private readonly taskFunctions: Record<string, string>;
  private executions = 0;

  constructor(options: SimulatorOptions & { config?: Partial<StartConfig>; onPublish?: (message: PublishedMessage) => void }) {
    this.rds = new RdsExportSimulator(options);
    this.sns = new SnsRecorder(options.onPublish);
    const sdk = { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const provider = rdsExportProvider({ ...sdk, requestHandler: queryHandler(this.rds, 'http://rds.amazonaws.com/doc/2014-10-31/') });
    const publisher = snsPublisher(LOCAL_TOPIC_ARN, { ...sdk, requestHandler: queryHandler(this.sns, 'http://sns.amazonaws.com/doc/2010-03-31/') });
    const clock: Clock = () => new Date();
    this.lambdas = {
      startExport: makeStartExport({ provider, config: { ...LOCAL_CONFIG, ...options.config }, clock }),
      pollExport: makePollExport({ provider, clock }),
      cancelExport: makeCancelExport({ provider, clock }),
      notify: makeNotify({ publisher, clock }),
    } as Record<string, LambdaHandler>;
    const { definition, taskFunctions } = loadDefinition();
    this.machine = new StateMachine(definition as never);
    this.taskFunctions = taskFunctions;
  }

  /** Runs one execution to its end; `onEvent` sees the engine's event log as it happens. */
  async execute(input: unknown, options: { name?: string; onEvent?: (event: EventLog) => void } = {}): Promise<ExecutionOutcome> {
    const name = options.name ?? `local-${++this.executions}`;
    const handlers = Object.fromEntries(
      Object.entries(this.taskFunctions).map(([state, fn]) => [state, (event: unknown) => this.lambdas[fn]!(event, lambdaContext(fn))]),
    );
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:export-orchestrator-local:${name}`, Name: name } },
    });
    const events: EventLog[] = [];
    const logging = (async () => {
      for await (const event of execution.eventLogs) {
        events.push(event);
        options.onEvent?.(event);
      }
    })();
    let outcome: Omit<ExecutionOutcome, 'events' | 'stateTransitions'>;
    try {
      outcome = { status: 'SUCCEEDED', output: await execution.result };
    } catch (error) {
      const failure = (error as { cause?: { name?: string; message?: string } }).cause ?? (error as Error);
      outcome = { status: 'FAILED', error: failure.name ?? 'Error', cause: failure.message ?? '' };
    }
    await logging;
    return { ...outcome, events, stateTransitions: countStateTransitions(events) };
  }
}

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  events: EventLog[];
  stateTransitions: number;
}

/** As Step Functions Standard bills them: every state entered, and every retry of a state. */
export function countStateTransitions(events: EventLog[]): number {
  return events.filter((event) => event.type === 'StateEntered' || event.type === 'StateRetried').length;
}

function lambdaContext(functionName: string) {
  return {
    functionName: `export-orchestrator-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:export-orchestrator-local-${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/export-orchestrator-local-${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
  };
}
