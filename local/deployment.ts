import { loadAllAdapters } from '../shared/export-kinds/providers.ts';
import type { ExportDefaults, SlotConfig } from '../shared/runtime/config.ts';
import type { WaitDeps } from '../shared/slots/export-events.ts';
import type { VerifySettings } from '../shared/verification/verify.ts';
import { AdsExportSimulator, type AdsExportBehaviour } from './ads-simulator.ts';
import type { AsyncInvoker } from './async-invoke.ts';
import { LOCAL_CONFIG, localMembers } from './config.ts';
import { LocalIdentities, localCredentials } from './identity.ts';
import { StsSimulator } from './sts-simulator.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './definition.ts';
import { DynamoDbSimulator } from './dynamodb-simulator.ts';
import { Ec2ImageExportSimulator, type ImageExportBehaviour } from './ec2-image-simulator.ts';
import { DEFAULT_TABLES, writeExportFiles, type SimulatedTable } from './export-files.ts';
import { faultHook, type FaultWindow } from './faults.ts';
import { LocalFunctions, type LambdaHandler, type LambdaUsage, type SweepCalls } from './functions.ts';
import { GlueSimulator } from './glue-simulator.ts';
import { exportFinished } from './rds-events.ts';
import { RdsExportSimulator, type SimulatedTask, type SimulatorOptions } from './rds-simulator.ts';
import { S3Simulator } from './s3-simulator.ts';
import { SnsRecorder, type PublishedMessage } from './sns-recorder.ts';
import { StepFunctionsSimulator, type CallbackFaults, type EventLog, type ExecutionOutcome } from './step-functions-simulator.ts';

// The local deployment runs every kind: their adapters load with it, before any virtual clock starts (a
// module that loads mid-run is real work the clock cannot see, and could be overtaken by a timer).
await loadAllAdapters();

export interface LocalDeploymentOptions extends SimulatorOptions {
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
  /** Faults of RDS, SNS and Step Functions' callbacks in windows of time from the deployment's creation (local/faults.ts). */
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
  /** Member accounts (12-digit ids) besides the deployment's own (LOCAL_ACCOUNT); none when absent. */
  memberAccounts?: readonly string[];
  /** Regions served in every account; LOCAL_REGION when absent. */
  memberRegions?: readonly string[];
  /** Member accounts whose member role was never created (the member stack not deployed there): AssumeRole is refused. */
  missingRoles?: readonly string[];
}

/**
 * The deployed stack, locally: simulators of RDS, EC2, ADS, SNS, DynamoDB, S3 and Glue; the real
 * Lambda handlers with real SDK clients whose HTTP goes to them (local/functions.ts); the real state
 * machine definition on aws-local-stepfunctions (local/step-functions-simulator.ts). EventBridge is
 * the `deliver` method, routing events as the deployed rules do, and the two schedules.
 */
export class LocalDeployment {
  readonly rds: RdsExportSimulator;
  readonly ec2: Ec2ImageExportSimulator;
  readonly ads: AdsExportSimulator;
  readonly sns: SnsRecorder;
  readonly dynamo: DynamoDbSimulator;
  readonly s3: S3Simulator;
  readonly glue: GlueSimulator;
  readonly sts: StsSimulator;
  /** The credentials the local STS has issued, which the simulators check. */
  readonly identities: LocalIdentities;
  readonly stepFunctions: StepFunctionsSimulator;
  readonly functions: LocalFunctions;
  private readonly sweeps = new Set<Promise<unknown>>();
  /** Tasks whose files are not written yet (they have not ended), and how many of RDS's tasks were looked at. */
  private readonly unwritten = new Set<SimulatedTask>();
  private tasksSeen = 0;

  constructor(private readonly options: LocalDeploymentOptions) {
    const eventDelayMs = (options.eventDelaySeconds ?? 5) * 1000;
    const members = localMembers(options.memberAccounts, options.memberRegions);
    // Every call is signed with an account's keys or a member session's: the simulators answer each caller for its own place.
    this.identities = new LocalIdentities();
    const missingRoles = new Set(options.missingRoles ?? []);
    this.sts = new StsSimulator({
      identities: this.identities,
      roleExists: (account, roleName) => members.accounts.includes(account) && !missingRoles.has(account) && roleName === members.roleName,
      fault: faultHook(options.faults ?? [], 'sts'),
    });
    this.rds = new RdsExportSimulator({
      ...options,
      identities: this.identities,
      fault: faultHook(options.faults ?? [], 'rds'),
      onTaskEnded: (task, status) => {
        // export-event runs as Lambda's asynchronous invocation (tried three times, then parked): polling covers an event lost for good.
        if (options.exportEvents ?? true) setTimeout(() => this.deliver(exportFinished(task, status)).catch(() => {}), eventDelayMs);
      },
    });
    this.sns = new SnsRecorder(options.onPublish, faultHook(options.faults ?? [], 'sns'));
    // What RDS wrote is in the bucket once the task has ended, whenever anyone looks.
    this.s3 = new S3Simulator({ beforeRequest: () => this.writeEndedExports() });
    this.glue = new GlueSimulator(options.glueThrottle);
    const config = { ...LOCAL_CONFIG, ...options.config };
    this.dynamo = new DynamoDbSimulator(config.COORDINATION_TABLE, undefined, faultHook(options.faults ?? [], 'dynamodb'));
    this.ec2 = new Ec2ImageExportSimulator({ images: options.images ?? (() => false), ...(options.imageExport ? { behaviourFor: options.imageExport } : {}) });
    this.ads = new AdsExportSimulator({ region: LOCAL_REGION, credentials: localCredentials(LOCAL_ACCOUNT), ...(options.adsExport ? { behaviourFor: options.adsExport } : {}) });
    this.stepFunctions = new StepFunctionsSimulator({
      invoke: (functionName, event) => this.functions.invoke(functionName, event),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.callbackFaults ? { callbackFaults: options.callbackFaults } : {}),
      callbackOutage: faultHook(options.faults ?? [], 'states'),
      ...(options.slotQueue !== undefined ? { slotQueue: options.slotQueue } : {}),
    });
    this.functions = new LocalFunctions(
      { rds: this.rds, ec2: this.ec2, ads: this.ads, sns: this.sns, dynamo: this.dynamo, s3: this.s3, glue: this.glue, sts: this.sts, stepFunctions: this.stepFunctions },
      {
        config,
        members,
        random: options.random,
        ...(options.verify ? { verify: options.verify } : {}),
        ...(options.triggerThrottleRate !== undefined ? { triggerThrottleRate: options.triggerThrottleRate } : {}),
        ...(options.sweepLookbackSeconds !== undefined ? { sweepLookbackSeconds: options.sweepLookbackSeconds } : {}),
      },
    );
  }

  get lambdas(): Record<string, LambdaHandler> {
    return this.functions.lambdas;
  }
  /** Each Lambda's invocations and the real time its handler ran (what the cost model bills). */
  get lambdaUsage(): Record<string, LambdaUsage> {
    return this.functions.usage;
  }
  /** The operator's side of the stack (what the CLI's cancel talks to). */
  get operator(): WaitDeps {
    return this.functions.operator;
  }
  get trigger(): AsyncInvoker<Record<string, unknown>> {
    return this.functions.trigger;
  }
  get exportEvents(): AsyncInvoker<Record<string, unknown>> {
    return this.functions.exportEvents;
  }
  get triggerRdsCalls(): number[] {
    return this.functions.triggerRdsCalls;
  }
  get sweepCalls(): SweepCalls {
    return this.functions.sweepCalls;
  }
  get executions(): Map<string, Promise<ExecutionOutcome>> {
    return this.stepFunctions.executions;
  }
  get sfnCalls(): Record<string, number> {
    return this.stepFunctions.calls;
  }
  /** Callbacks refused by the injected faults (callbackFaults). */
  get callbackFaultsInjected(): number {
    return this.stepFunctions.callbackFaultsInjected;
  }

  /** Starts an execution (as StartExecution does) and returns its outcome when it ends. */
  execute(input: unknown, name?: string): Promise<ExecutionOutcome> {
    return this.stepFunctions.execute(input, name);
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
      const sweep = this.functions.invoke('reconcileSnapshots', { time: new Date().toISOString() })
        .catch(() => {})
        .finally(() => this.sweeps.delete(sweep));
      this.sweeps.add(sweep);
    }, everySeconds * 1000);
    return () => clearInterval(timer);
  }

  /** The dispatcher's schedule (rate(5 minutes) deployed); returns a function that stops it. */
  startDispatchSchedule(everySeconds: number): () => void {
    const timer = setInterval(() => {
      this.functions.invoke('dispatchExports', {}).catch(() => {});
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
}
