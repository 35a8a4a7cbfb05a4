import type { AwsCredentialIdentity, HttpAuthScheme, HttpSigner } from '@smithy/types';
import { StateMachine } from 'aws-local-stepfunctions';
import { makeHandler as makeAdmitExport } from '../functions/admit-export/app.ts';
import { makeHandler as makeAwaitExport } from '../functions/await-export/app.ts';
import { makeHandler as makeCancelExport } from '../functions/cancel-export/app.ts';
import { makeHandler as makeDispatchExports } from '../functions/dispatch-exports/app.ts';
import { makeHandler as makeExportEvent } from '../functions/export-event/app.ts';
import { makeHandler as makeNotify } from '../functions/notify/app.ts';
import { makeHandler as makePollExport } from '../functions/poll-export/app.ts';
import { makeHandler as makeReconcileSnapshots } from '../functions/reconcile-snapshots/app.ts';
import { makeHandler as makeSnapshotTrigger } from '../functions/snapshot-trigger/app.ts';
import { makeHandler as makeStartExport } from '../functions/start-export/app.ts';
import { dispatchDeps } from '../shared/slots/clients.ts';
import { exportProviders, loadAllAdapters } from '../shared/export-kinds/providers.ts';
import { snsPublisher } from '../shared/notify/sns-publisher.ts';
import { coordinationStore } from '../shared/slots/dynamodb-store.ts';
import { rdsSnapshots } from '../shared/triggers/rds-snapshots.ts';
import { stepFunctions, taskCallbacks } from '../shared/workflow/step-functions.ts';
import { exportDefaultsShape, readConfig, slotConfigShape, type ExportDefaults, type SlotConfig } from '../shared/runtime/config.ts';
import { EXPORT_FINISHED_EVENTS, RDS_EVENT_DETAIL_TYPE } from '../shared/export-kinds/rds/events.ts';
import type { WaitDeps } from '../shared/slots/export-events.ts';
import type { Clock } from '../shared/runtime/clock.ts';
import { RDS_CALL_BUDGET } from '../shared/runtime/pacing.ts';
import { DEFAULT_SWEEP_LOOKBACK_SECONDS } from '../shared/triggers/sweep.ts';
import type { Selection } from '../shared/triggers/selection.ts';
import { AsyncInvoker } from './async-invoke.ts';
import { jsonHandler, type JsonService } from './aws-json.ts';
import { QueryError, queryHandler, type QueryService } from './aws-query.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, loadDefinition, localFunctionArn, type TaskBinding } from './definition.ts';
import { AdsExportSimulator, type AdsExportBehaviour } from './ads-simulator.ts';
import { DynamoDbSimulator } from './dynamodb-simulator.ts';
import { faultHook, type FaultWindow } from './faults.ts';
import { Ec2ImageExportSimulator, ec2QueryHandler, type ImageExportBehaviour } from './ec2-image-simulator.ts';
import type { Random } from './random.ts';
import { RdsExportSimulator, type SimulatedTask, type SimulatorOptions } from './rds-simulator.ts';
import { SnsRecorder, type PublishedMessage } from './sns-recorder.ts';
import { makeHandler as makeVerifyExport } from '../functions/verify-export/app.ts';
import { verifyDeps } from '../shared/verification/aws/clients.ts';
import type { VerifySettings } from '../shared/verification/verify.ts';
import { INPUT_LIMITS } from '../shared/export-kinds/input-limits.ts';
import { DEFAULT_TABLES, writeExportFiles, type SimulatedTable } from './export-files.ts';
import { GlueSimulator } from './glue-simulator.ts';
import { S3Simulator } from './s3-simulator.ts';

// The local stack runs every kind: their adapters load with it, before any virtual clock starts (a
// module that loads mid-run is real work the clock cannot see, and could be overtaken by a timer).
await loadAllAdapters();

export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:export-orchestrator-local`;
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:export-orchestrator-local`;

/** The deployed stack's configuration: what serverless.yml sets, every other variable at its default (shared/runtime/config.ts). */
export const LOCAL_CONFIG: ExportDefaults & SlotConfig = readConfig(
  { ...exportDefaultsShape, ...slotConfigShape },
  {
    EXPORT_BUCKET: 'example-exports',
    EXPORT_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/export-orchestrator-local-export`,
    EXPORT_KMS_KEY_ID: `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    COORDINATION_TABLE: 'export-orchestrator-local-coordination',
    AWS_REGION: LOCAL_REGION,
  },
);

/** One entry of the engine's execution event log (the library does not export the type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface SweepCalls {
  rds: number;
  dynamodb: number;
  stepFunctions: number;
}

/** A service whose calls are also counted under `key` (one caller's share of a simulator shared by all). */
function counted<S extends QueryService | JsonService>(service: S, counts: SweepCalls, key: keyof SweepCalls): S {
  return {
    handle: (action: string, params: never) => {
      counts[key]++;
      return service.handle(action, params);
    },
  } as S;
}

export interface LambdaUsage {
  invocations: number;
  /** Real milliseconds the handler ran, in all: performance.now, which the virtual clock leaves alone. */
  ms: number;
}

function metered(handler: LambdaHandler, usage: LambdaUsage): LambdaHandler {
  return async (event, context) => {
    usage.invocations++;
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      usage.ms += performance.now() - started;
    }
  };
}

export interface LocalStackOptions extends SimulatorOptions {
  config?: Partial<ExportDefaults & SlotConfig>;
  /** Whether RDS delivers export-finished events (they are best-effort in AWS too). */
  exportEvents?: boolean;
  /** How long after an export ends its event arrives. */
  eventDelaySeconds?: number;
  onPublish?: (message: PublishedMessage) => void;
  /** Sees the event log of every execution, with the execution's name. */
  onEvent?: (event: EventLog, execution: string) => void;
  /** AMIs that exist for kind ec2-image (none when absent), and how their exports behave. */
  images?: (imageId: string) => boolean;
  imageExport?: (imageId: string) => ImageExportBehaviour;
  /** How exports of kind ads behave. */
  adsExport?: () => AdsExportBehaviour;
  /** Faults of RDS, SNS and Step Functions' callbacks in windows of time from the stack's creation (local/faults.ts). */
  faults?: FaultWindow[];
  /** false: the naive baseline, no slot queue to go back to when StartExport is refused for the quota (it only retries). */
  slotQueue?: boolean;
  /** Step Functions refusing task-token callbacks (SendTaskSuccess / SendTaskFailure) before they take effect. */
  callbackFaults?: CallbackFaults;
  /** The tables each RDS export writes (DEFAULT_TABLES when absent). */
  tables?: SimulatedTable[];
  /** The verify step's settings; locally exports are catalogued in rds_{source} unless told otherwise. */
  verify?: Partial<VerifySettings>;
  /** Which Glue calls are answered with ThrottlingException. */
  glueThrottle?: (operation: string) => boolean;
  /** Share (0-1) of the snapshot trigger's RDS calls answered with Throttling (on top of `throttleRate`). */
  triggerThrottleRate?: number;
  /** The reconciliation sweep's look-back window. */
  sweepLookbackSeconds?: number;
}

export const LOCAL_VERIFY_SETTINGS: VerifySettings = { catalogDatabase: 'rds_{source}', deletePartialData: false, retainExports: 0 };

export interface CallbackFaults {
  /** Share (0-1) of callbacks answered with ThrottlingException. */
  throttleRate: number;
  /** Share (0-1) of callbacks answered with a 500 (ServiceUnavailable). */
  errorRate: number;
  random: Random;
}

/** Containers export-event may run at once (no reserved concurrency deployed: more than any fleet's burst of ends). */
const EXPORT_EVENT_CONTAINERS = 64;

/** The trigger's and the sweep's selection in the local stack: every manual and automated snapshot. */
const LOCAL_SELECTION: Selection = { include: ['*'], exclude: [], types: ['manual', 'automated'] };

/**
 * The deployed stack, locally: the real state machine definition on aws-local-stepfunctions, the
 * real Lambda handlers, and real SDK clients whose HTTP goes to simulators of RDS, SNS, DynamoDB
 * and Step Functions' own API (StartExecution, SendTaskSuccess/Failure). EventBridge is the
 * `deliver` method, routing events as the deployed rules do.
 */
export class LocalStack implements JsonService {
  readonly rds: RdsExportSimulator;
  readonly ec2: Ec2ImageExportSimulator;
  readonly ads: AdsExportSimulator;
  readonly sns: SnsRecorder;
  readonly dynamo: DynamoDbSimulator;
  readonly s3: S3Simulator;
  readonly glue: GlueSimulator;
  readonly lambdas: Record<string, LambdaHandler>;
  /** Each Lambda's invocations and the real time its handler ran (what the cost model bills). */
  readonly lambdaUsage: Record<string, LambdaUsage> = {};
  readonly executions = new Map<string, Promise<ExecutionOutcome>>();
  readonly sfnCalls: Record<string, number> = {};
  /** Callbacks refused by the injected faults (callbackFaults). */
  callbackFaultsInjected = 0;
  private readonly machine: StateMachine;
  private readonly taskBindings: Record<string, TaskBinding>;
  private readonly callbacks = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void; execution: string }>();
  private readonly openCallback = new Map<string, string>();
  private tokens = 0;
  private unnamed = 0;
  /** The operator's side of the stack (what the CLI's cancel talks to). */
  readonly operator: WaitDeps;
  /** EventBridge's asynchronous invocations of the snapshot trigger (reserved concurrency, retries, on-failure destination). */
  readonly trigger: AsyncInvoker<Record<string, unknown>>;
  /** And of export-event: no reserved concurrency, a failed event tried twice more, then parked. */
  readonly exportEvents: AsyncInvoker<Record<string, unknown>>;
  /** Step Functions refusing callbacks in the scenario's `states` fault windows. */
  private readonly callbackOutage: (operation: string) => Error | undefined;
  /** When the snapshot trigger's containers called RDS (ms), throttled calls included. */
  readonly triggerRdsCalls: number[] = [];
  private readonly sweeps = new Set<Promise<unknown>>();
  /** The reconciliation sweep's calls, by service (its runs are lambdaUsage.reconcileSnapshots). */
  readonly sweepCalls: SweepCalls = { rds: 0, dynamodb: 0, stepFunctions: 0 };

  constructor(private readonly options: LocalStackOptions) {
    const eventDelayMs = (options.eventDelaySeconds ?? 5) * 1000;
    this.rds = new RdsExportSimulator({
      ...options,
      fault: faultHook(options.faults ?? [], 'rds'),
      onTaskEnded: (task, status) => {
        // export-event runs as Lambda's asynchronous invocation (tried three times, then parked): polling covers an event lost for good.
        if (options.exportEvents ?? true) setTimeout(() => this.deliver(exportEvent(task, status)).catch(() => {}), eventDelayMs);
      },
    });
    this.sns = new SnsRecorder(options.onPublish, faultHook(options.faults ?? [], 'sns'));
    // What RDS wrote is in the bucket once the task has ended, whenever anyone looks.
    this.s3 = new S3Simulator({ beforeRequest: () => this.writeEndedExports() });
    this.glue = new GlueSimulator(options.glueThrottle);
    const config = { ...LOCAL_CONFIG, ...options.config };
    this.dynamo = new DynamoDbSimulator(config.COORDINATION_TABLE);
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    // The simulators check no signature, and SigV4 is close to half of what an SDK call costs here:
    // a fleet of 2,000 makes some 100,000 calls. The wire tests (moto_server) keep the real signer.
    const unsigned: HttpAuthScheme = { schemeId: 'aws.auth#sigv4', identityProvider: () => async (): Promise<AwsCredentialIdentity> => credentials, signer: UNSIGNED };
    const sdk = { region: LOCAL_REGION, credentials, httpAuthSchemes: [unsigned] };
    const rdsSdk = { ...sdk, requestHandler: queryHandler(this.rds, 'http://rds.amazonaws.com/doc/2014-10-31/') };
    const dynamoSdk = { ...sdk, requestHandler: jsonHandler(this.dynamo) };
    const sfnSdk = { ...sdk, requestHandler: jsonHandler(this) };
    this.ec2 = new Ec2ImageExportSimulator({ images: options.images ?? (() => false), ...(options.imageExport ? { behaviourFor: options.imageExport } : {}) });
    this.ads = new AdsExportSimulator({ region: LOCAL_REGION, credentials: sdk.credentials, ...(options.adsExport ? { behaviourFor: options.adsExport } : {}) });
    const providerFor = exportProviders({
      rds: rdsSdk,
      ec2: { ...sdk, requestHandler: ec2QueryHandler(this.ec2) },
      ads: { region: LOCAL_REGION, credentials: sdk.credentials, fetch: this.ads.fetch },
    });
    const slots = dispatchDeps(config, { rds: rdsSdk, dynamo: dynamoSdk, sfn: sfnSdk });
    // The sweep's own clients, its calls counted (what an hourly run costs, in the bench).
    const sweepRds = rdsSnapshots(
      { ...sdk, requestHandler: queryHandler(counted(this.rds, this.sweepCalls, 'rds'), 'http://rds.amazonaws.com/doc/2014-10-31/') },
      RDS_CALL_BUDGET.reconcileSnapshots.intervalMs,
    );
    const clock: Clock = () => new Date();
    this.operator = { store: coordinationStore(config.COORDINATION_TABLE, dynamoSdk), callbacks: taskCallbacks(sfnSdk) };
    const publisher = snsPublisher(LOCAL_TOPIC_ARN, { ...sdk, requestHandler: queryHandler(this.sns, 'http://sns.amazonaws.com/doc/2010-03-31/') });
    this.lambdas = {
      admitExport: makeAdmitExport({ defaults: config, slots, clock }),
      startExport: makeStartExport({ providerFor, publisher, clock }),
      pollExport: makePollExport({ providerFor, slots, publisher, clock }),
      cancelExport: makeCancelExport({ providerFor, publisher, clock }),
      notify: makeNotify({ publisher, clock }),
      awaitExport: makeAwaitExport(this.operator),
      verifyExport: makeVerifyExport({
        verify: verifyDeps({ ...LOCAL_VERIFY_SETTINGS, ...options.verify }, {
          s3: { ...sdk, forcePathStyle: true, requestHandler: this.s3.requestHandler() },
          glue: { ...sdk, requestHandler: jsonHandler(this.glue) },
          rds: rdsSdk,
        }),
        publisher,
        clock,
      }),
      exportEvent: makeExportEvent({ slots, clock }),
      dispatchExports: makeDispatchExports({ slots, clock }),
      reconcileSnapshots: makeReconcileSnapshots({
        snapshots: sweepRds,
        exports: sweepRds,
        inFlight: coordinationStore(config.COORDINATION_TABLE, { ...sdk, requestHandler: jsonHandler(counted(this.dynamo, this.sweepCalls, 'dynamodb')) }),
        starter: stepFunctions(LOCAL_STATE_MACHINE_ARN, { ...sdk, requestHandler: jsonHandler(counted(this, this.sweepCalls, 'stepFunctions')) }),
        settings: { selection: LOCAL_SELECTION, lookbackSeconds: options.sweepLookbackSeconds ?? DEFAULT_SWEEP_LOOKBACK_SECONDS },
        clock,
      }),
    } as Record<string, LambdaHandler>;
    for (const [name, handler] of Object.entries(this.lambdas)) this.lambdas[name] = metered(handler, (this.lambdaUsage[name] = { invocations: 0, ms: 0 }));
    // Each container of the trigger has its own paced RDS client, as each Lambda cold start makes one.
    const triggerRds = this.triggerRdsService(options);
    const budget = RDS_CALL_BUDGET.snapshotTrigger;
    const triggerUsage = (this.lambdaUsage.snapshotTrigger = { invocations: 0, ms: 0 });
    this.trigger = new AsyncInvoker(
      Array.from({ length: budget.reservedConcurrency }, () => {
        const handler = metered(makeSnapshotTrigger({
          catalog: rdsSnapshots({ ...sdk, requestHandler: queryHandler(triggerRds, 'http://rds.amazonaws.com/doc/2014-10-31/') }, budget.intervalMs),
          starter: stepFunctions(LOCAL_STATE_MACHINE_ARN, sfnSdk),
          settings: { selection: LOCAL_SELECTION, backupEvents: false },
          clock,
        }) as LambdaHandler, triggerUsage);
        return (event: Record<string, unknown>) => handler(event, lambdaContext('snapshotTrigger'));
      }),
    );
    this.exportEvents = new AsyncInvoker(
      Array.from({ length: EXPORT_EVENT_CONTAINERS }, () => (event: Record<string, unknown>) => this.lambdas.exportEvent!(event, lambdaContext('exportEvent'))),
    );
    this.callbackOutage = faultHook(options.faults ?? [], 'states');
    const { definition, taskBindings } = loadDefinition();
    if (options.slotQueue === false) withoutRequeue(definition.States.StartExport!);
    this.machine = new StateMachine(definition as never);
    this.taskBindings = taskBindings;
  }

  /** Tasks whose files are not written yet (they have not ended), and how many of RDS's tasks were looked at. */
  private readonly unwritten = new Set<SimulatedTask>();
  private tasksSeen = 0;

  /** RDS's side of the export's files: data, and for a COMPLETE export its metadata (local/export-files.ts). */
  private writeEndedExports(): void {
    // This runs on every S3 request: only the tasks started since the last one are added, and
    // only the unwritten ones are looked at, not every task of a fleet.
    if (this.rds.tasks.size > this.tasksSeen) {
      let index = 0;
      for (const task of this.rds.tasks.values()) if (index++ >= this.tasksSeen) this.unwritten.add(task);
      this.tasksSeen = this.rds.tasks.size;
    }
    for (const task of this.unwritten) {
      const endedAt = this.rds.endedAt(task);
      if (endedAt === undefined) continue;
      this.unwritten.delete(task);
      const { status, percent } = this.rds.status(task, endedAt);
      if (status !== 'COMPLETE' && status !== 'FAILED' && status !== 'CANCELED') continue;
      const startedAt = task.createdAt + task.behaviour.startingSeconds * 1000;
      writeExportFiles(this.s3, { ...task, startedAt, endedAt }, { status, percent, dataGb: task.behaviour.dataGb }, this.options.tables ?? DEFAULT_TABLES);
    }
  }

  /** Starts an execution (as StartExecution does) and returns its outcome when it ends. */
  execute(input: unknown, name = `local-${++this.unnamed}`): Promise<ExecutionOutcome> {
    if (this.executions.has(name)) throw new QueryError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn(name)}'`);
    const outcome = this.run(input, name);
    this.executions.set(name, outcome);
    return outcome;
  }

  /** Waits until every execution, including those started meanwhile (by the trigger's retries, by sweeps), has ended. */
  async settle(): Promise<ExecutionOutcome[]> {
    let known = -1;
    while (known !== this.executions.size) {
      await this.trigger.idle();
      await this.exportEvents.idle();
      while (this.sweeps.size > 0) await Promise.all(this.sweeps);
      known = this.executions.size;
      await Promise.all(this.executions.values());
    }
    return Promise.all(this.executions.values());
  }

  /** The reconciliation sweep's schedule (rate(1 hour) deployed); returns a function that stops it. */
  startSweepSchedule(everySeconds: number): () => void {
    const timer = setInterval(() => {
      const sweep = this.lambdas.reconcileSnapshots!({ time: new Date().toISOString() }, lambdaContext('reconcileSnapshots'))
        .catch(() => {})
        .finally(() => this.sweeps.delete(sweep));
      this.sweeps.add(sweep);
    }, everySeconds * 1000);
    return () => clearInterval(timer);
  }

  /** RDS as the trigger's containers see it: the same simulator, with the trigger's own throttling, every call timed. */
  private triggerRdsService(options: LocalStackOptions): QueryService {
    const rate = options.triggerThrottleRate ?? 0;
    return {
      handle: (action, params) => {
        this.triggerRdsCalls.push(Date.now());
        if (rate > 0 && options.random.next() < rate) {
          this.rds.calls[action] = (this.rds.calls[action] ?? 0) + 1;
          throw new QueryError('Throttling', 'Rate exceeded', 400);
        }
        return this.rds.handle(action, params);
      },
    };
  }

  /** The dispatcher's schedule (rate(5 minutes) deployed); returns a function that stops it. */
  startDispatchSchedule(everySeconds: number): () => void {
    const timer = setInterval(() => {
      this.lambdas.dispatchExports!({}, lambdaContext('dispatchExports')).catch(() => {});
    }, everySeconds * 1000);
    return () => clearInterval(timer);
  }

  /**
   * EventBridge: routes an RDS event to both rules' targets, as serverless.yml declares them; each
   * Lambda ignores what is not its own (the rules filter by event ID too).
   */
  async deliver(event: Record<string, unknown>): Promise<void> {
    if (event.source !== 'aws.rds') return;
    // The trigger is invoked asynchronously (EventBridge's Lambda target): accepted now, run by its containers.
    this.trigger.invoke(event);
    this.exportEvents.invoke(event);
  }

  /** Step Functions' API, as the Lambdas call it through the SDK. */
  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.sfnCalls[operation] = (this.sfnCalls[operation] ?? 0) + 1;
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
    const outage = this.callbackOutage(operation);
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
    return (event: unknown) => this.lambdas[binding.functionName]!(event, lambdaContext(binding.functionName));
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
        await this.lambdas[binding.functionName]!({ ...parameters.Payload, token }, lambdaContext(binding.functionName));
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

/** As Step Functions Standard bills them: every state entered, and every retry of a state. */
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

export function countStateTransitions(events: EventLog[]): number {
  return events.filter((event) => event.type === 'StateEntered' || event.type === 'StateRetried').length;
}

/** The EventBridge event RDS sends when an export task ends. */
function exportEvent(task: SimulatedTask, status: 'COMPLETE' | 'FAILED' | 'CANCELED'): Record<string, unknown> {
  const kind = /:cluster-snapshot:/.test(task.sourceArn) ? 'CLUSTER_SNAPSHOT' : /:cluster:/.test(task.sourceArn) ? 'CLUSTER' : 'SNAPSHOT';
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': RDS_EVENT_DETAIL_TYPE[kind],
    source: 'aws.rds',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [task.sourceArn],
    detail: {
      EventCategories: ['notification'],
      SourceType: kind,
      SourceArn: task.sourceArn,
      Date: new Date().toISOString(),
      SourceIdentifier: task.sourceArn.split(':').slice(6).join(':'),
      Message: `Export task ${task.id} ${status.toLowerCase()}.`,
      EventID: EXPORT_FINISHED_EVENTS[kind][status],
    },
  };
}

/** A signer that leaves the request as it is. */
const UNSIGNED: HttpSigner = { sign: async (request) => request };

function withoutRequeue(startExport: Record<string, unknown>): void {
  startExport.Catch = (startExport.Catch as Array<{ Next: string }>).filter((catcher) => catcher.Next !== 'AwaitSlot');
}

function executionArn(name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:export-orchestrator-local:${name}`;
}

function lambdaContext(functionName: string) {
  return {
    functionName: `export-orchestrator-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: localFunctionArn(functionName),
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/export-orchestrator-local-${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
  };
}
