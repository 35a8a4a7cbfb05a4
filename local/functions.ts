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
import { makeHandler as makeVerifyExport } from '../functions/verify-export/app.ts';
import { placeClients } from '../shared/accounts/clients.ts';
import { servedPlaces, type Members } from '../shared/accounts/members.ts';
import { exportProviders } from '../shared/export-kinds/providers.ts';
import { snsPublisher } from '../shared/notify/sns-publisher.ts';
import type { Place } from '../shared/accounts/place.ts';
import type { Clock } from '../shared/runtime/clock.ts';
import type { ExportDefaults, SlotConfig } from '../shared/runtime/config.ts';
import { RDS_CALL_BUDGET } from '../shared/runtime/pacing.ts';
import { dispatchDeps } from '../shared/slots/clients.ts';
import { SLOT_ADAPTERS_WITH_THE_HANDLER } from '../shared/slots/adapters.ts';
import { coordinationStore } from '../shared/slots/dynamodb-store.ts';
import type { WaitDeps } from '../shared/slots/export-events.ts';
import { rdsSnapshotsOfPlaces, rdsSnapshotsPerPlace } from '../shared/triggers/rds-snapshots.ts';
import { DEFAULT_SWEEP_LOOKBACK_SECONDS } from '../shared/triggers/sweep.ts';
import { stepFunctions, taskCallbacks } from '../shared/workflow/step-functions.ts';
import { verifyDeps } from '../shared/verification/aws/clients.ts';
import type { VerifySettings } from '../shared/verification/verify.ts';
import type { AdsExportSimulator } from './ads-simulator.ts';
import { AsyncInvoker } from './async-invoke.ts';
import { jsonHandler, type JsonService } from './aws-json.ts';
import { QueryError, queryHandler, type QueryService } from './aws-query.ts';
import { EXPORT_EVENT_CONTAINERS, LOCAL_SELECTION, LOCAL_STATE_MACHINE_ARN, LOCAL_TOPIC_ARN, LOCAL_VERIFY_SETTINGS } from './config.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn } from './definition.ts';
import { callerOf, LOCAL_AUTH_SCHEMES, localCredentials } from './identity.ts';
import { STS_XML_NAMESPACE, type StsSimulator } from './sts-simulator.ts';
import type { DynamoDbSimulator } from './dynamodb-simulator.ts';
import { ec2QueryHandler, type Ec2ImageExportSimulator } from './ec2-image-simulator.ts';
import type { GlueSimulator } from './glue-simulator.ts';
import type { Random } from './random.ts';
import type { RdsExportSimulator } from './rds-simulator.ts';
import type { S3Simulator } from './s3-simulator.ts';
import type { SnsRecorder } from './sns-recorder.ts';

export type LambdaHandler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LambdaUsage {
  invocations: number;
  /** Real milliseconds the handler ran, in all: performance.now, which the virtual clock leaves alone. */
  ms: number;
}

export interface SweepCalls {
  rds: number;
  dynamodb: number;
  stepFunctions: number;
}

/** The simulated services the functions' SDK clients talk to. */
export interface LocalServices {
  rds: RdsExportSimulator;
  ec2: Ec2ImageExportSimulator;
  ads: AdsExportSimulator;
  sns: SnsRecorder;
  dynamo: DynamoDbSimulator;
  s3: S3Simulator;
  glue: GlueSimulator;
  sts: StsSimulator;
  stepFunctions: JsonService;
}

export interface FunctionSettings {
  config: ExportDefaults & SlotConfig;
  /** The places the deployment serves and the member roles it assumes (local/config.ts localMembers). */
  members: Members;
  /** Draws the trigger's throttling. */
  random: Random;
  /** The verify step's settings; locally exports are catalogued in rds_{source} unless told otherwise. */
  verify?: Partial<VerifySettings>;
  /** Share (0-1) of the snapshot trigger's RDS calls answered with Throttling (on top of the RDS simulator's own). */
  triggerThrottleRate?: number;
  /** The reconciliation sweep's look-back window. */
  sweepLookbackSeconds?: number;
}

const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * The deployed Lambda functions, locally: the real handlers (makeHandler of functions/<step>/app.ts)
 * with real SDK clients whose HTTP goes to the simulators, each invocation counted and timed; the
 * snapshot trigger and export-event behind Lambda's asynchronous invocation, as EventBridge invokes them.
 */
export class LocalFunctions {
  /** The handlers by serverless.yml function name (snapshotTrigger runs through `trigger`). */
  readonly lambdas: Record<string, LambdaHandler>;
  /** Each Lambda's invocations and the real time its handler ran (what the cost model bills). */
  readonly usage: Record<string, LambdaUsage> = {};
  /** The operator's side of the stack (what the CLI's cancel talks to). */
  readonly operator: WaitDeps;
  /** EventBridge's asynchronous invocations of the snapshot trigger (reserved concurrency, retries, on-failure destination). */
  readonly trigger: AsyncInvoker<Record<string, unknown>>;
  /** And of export-event: no reserved concurrency, a failed event tried twice more, then parked. */
  readonly exportEvents: AsyncInvoker<Record<string, unknown>>;
  /** When the snapshot trigger's containers called RDS (ms), throttled calls included. */
  readonly triggerRdsCalls: number[] = [];
  /** When the slot dispatcher called RDS (ms), by the account it called. */
  readonly dispatcherRdsCalls = new Map<string, number[]>();
  /** The reconciliation sweep's calls, by service (its runs are usage.reconcileSnapshots). */
  readonly sweepCalls: SweepCalls = { rds: 0, dynamodb: 0, stepFunctions: 0 };

  constructor(services: LocalServices, settings: FunctionSettings) {
    const { config } = settings;
    // The deployment's own account's credentials, signed by the local signer (local/identity.ts: no HMAC,
    // which is close to half of what an SDK call costs here; the wire tests keep the real signer): the
    // simulators know who calls, and a member's RDS is reached only with the member role's session.
    const credentials = localCredentials(LOCAL_ACCOUNT);
    const sdk = { region: LOCAL_REGION, credentials, httpAuthSchemes: LOCAL_AUTH_SCHEMES };
    const clock: Clock = () => new Date();
    const inPlace = placeClients(settings.members, { sts: { ...sdk, requestHandler: queryHandler(services.sts, STS_XML_NAMESPACE) }, clock });
    const rdsSdk = { ...sdk, requestHandler: queryHandler(services.rds, RDS_XMLNS) };
    const dynamoSdk = { ...sdk, requestHandler: jsonHandler(services.dynamo) };
    const sfnSdk = { ...sdk, requestHandler: jsonHandler(services.stepFunctions) };
    const providerFor = exportProviders({
      rds: rdsSdk,
      rdsFor: (place) => inPlace(place, rdsSdk),
      ec2: { ...sdk, requestHandler: ec2QueryHandler(services.ec2) },
      ads: { region: LOCAL_REGION, credentials: sdk.credentials, fetch: services.ads.fetch },
    });
    // The dispatcher asks RDS in each place as the providers do (the member role's session; RDS lists
    // the caller's own tasks only). Its calls are timed per account (the API budget is per account).
    const dispatcherRds = { ...rdsSdk, requestHandler: queryHandler(timedPerAccount(services.rds, this.dispatcherRdsCalls), RDS_XMLNS) };
    const rdsOf = (place: Place) => inPlace(place, dispatcherRds);
    const slots = dispatchDeps(config, SLOT_ADAPTERS_WITH_THE_HANDLER, { rds: rdsSdk, rdsOf, dynamo: dynamoSdk, sfn: sfnSdk });
    // The sweep's own clients, its calls counted (what an hourly run costs, in the bench).
    // Every served place is swept in its own account and region, as the deployed sweep does.
    const sweepRds = { ...sdk, requestHandler: queryHandler(counted(services.rds, this.sweepCalls, 'rds'), RDS_XMLNS) };
    const sweepListings = rdsSnapshotsOfPlaces((place) => inPlace(place, sweepRds), RDS_CALL_BUDGET.reconcileSnapshots.intervalMs);
    this.operator = { store: coordinationStore(config.COORDINATION_TABLE, dynamoSdk), callbacks: taskCallbacks(sfnSdk) };
    const publisher = snsPublisher(LOCAL_TOPIC_ARN, { ...sdk, requestHandler: queryHandler(services.sns, SNS_XMLNS) });
    this.lambdas = {
      admitExport: makeAdmitExport({ defaults: { ...config, members: settings.members }, slots, clock, reach: inPlace.reach }),
      startExport: makeStartExport({ providerFor, publisher, clock }),
      pollExport: makePollExport({ providerFor, slots, publisher, clock }),
      cancelExport: makeCancelExport({ providerFor, publisher, clock }),
      notify: makeNotify({ publisher, clock }),
      awaitExport: makeAwaitExport(this.operator),
      verifyExport: makeVerifyExport({
        verify: verifyDeps({ ...LOCAL_VERIFY_SETTINGS, ...settings.verify }, {
          s3: { ...sdk, forcePathStyle: true, requestHandler: services.s3.requestHandler() },
          glue: { ...sdk, requestHandler: jsonHandler(services.glue) },
          rds: rdsSdk,
          rdsFor: (place) => inPlace(place, rdsSdk),
        }),
        publisher,
        clock,
      }),
      exportEvent: makeExportEvent({ slots, clock }),
      dispatchExports: makeDispatchExports({ slots, clock }),
      reconcileSnapshots: makeReconcileSnapshots({
        places: { served: servedPlaces(settings.members), listingsOf: sweepListings },
        inFlight: coordinationStore(config.COORDINATION_TABLE, { ...sdk, requestHandler: jsonHandler(counted(services.dynamo, this.sweepCalls, 'dynamodb')) }),
        starter: stepFunctions(LOCAL_STATE_MACHINE_ARN, { ...sdk, requestHandler: jsonHandler(counted(services.stepFunctions, this.sweepCalls, 'stepFunctions')) }),
        settings: { selection: LOCAL_SELECTION, lookbackSeconds: settings.sweepLookbackSeconds ?? DEFAULT_SWEEP_LOOKBACK_SECONDS },
        clock,
      }),
    } as Record<string, LambdaHandler>;
    for (const [name, handler] of Object.entries(this.lambdas)) this.lambdas[name] = metered(handler, (this.usage[name] = { invocations: 0, ms: 0 }));
    // Each container of the trigger has its own paced RDS client, as each Lambda cold start makes one.
    const triggerRds = this.triggerRdsService(services.rds, settings);
    const budget = RDS_CALL_BUDGET.snapshotTrigger;
    const triggerUsage = (this.usage.snapshotTrigger = { invocations: 0, ms: 0 });
    this.trigger = new AsyncInvoker(
      Array.from({ length: budget.reservedConcurrency }, () => {
        const handler = metered(makeSnapshotTrigger({
          // Each snapshot described in its own place (the member role's session there), paced per account.
          catalog: rdsSnapshotsPerPlace((place) => inPlace(place, { ...sdk, requestHandler: queryHandler(triggerRds, RDS_XMLNS) }), budget.intervalMs),
          starter: stepFunctions(LOCAL_STATE_MACHINE_ARN, sfnSdk),
          settings: { selection: LOCAL_SELECTION, backupEvents: false },
          clock,
        }) as LambdaHandler, triggerUsage);
        return (event: Record<string, unknown>) => handler(event, lambdaContext('snapshotTrigger'));
      }),
    );
    this.exportEvents = new AsyncInvoker(
      Array.from({ length: EXPORT_EVENT_CONTAINERS }, () => (event: Record<string, unknown>) => this.invoke('exportEvent', event)),
    );
  }

  /** A synchronous invocation, as Step Functions' Task states and the schedules make them. */
  invoke(functionName: string, event: unknown): Promise<unknown> {
    return this.lambdas[functionName]!(event, lambdaContext(functionName));
  }

  /** RDS as the trigger's containers see it: the same simulator, with the trigger's own throttling, every call timed. */
  private triggerRdsService(rds: RdsExportSimulator, settings: FunctionSettings): QueryService {
    const rate = settings.triggerThrottleRate ?? 0;
    return {
      handle: (action, params, request) => {
        this.triggerRdsCalls.push(Date.now());
        if (rate > 0 && settings.random.next() < rate) {
          rds.calls[action] = (rds.calls[action] ?? 0) + 1;
          throw new QueryError('Throttling', 'Rate exceeded', 400);
        }
        return rds.handle(action, params, request);
      },
    };
  }
}

/** A service whose calls are also counted under `key` (one caller's share of a simulator shared by all). */
function counted<S extends QueryService | JsonService>(service: S, counts: SweepCalls, key: keyof SweepCalls): S {
  return {
    handle: (action: string, params: never, request: never) => {
      counts[key]++;
      return service.handle(action, params, request);
    },
  } as S;
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

/** The service, each call's time (ms) kept under the caller's account. */
function timedPerAccount(service: QueryService, times: Map<string, number[]>): QueryService {
  return {
    handle: (action, params, request) => {
      const account = request ? callerOf(request)?.account : undefined;
      if (account) {
        const list = times.get(account) ?? [];
        if (list.length === 0) times.set(account, list);
        list.push(Date.now());
      }
      return service.handle(action, params, request);
    },
  };
}
