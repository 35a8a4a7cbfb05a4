import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_SLOT_WAIT_LIMIT_SECONDS, MAX_SLOT_WAIT_LIMIT_SECONDS } from '../shared/runtime/config.ts';
import { ASL_ERROR_NAMES } from '../shared/runtime/errors.ts';
import { describeIssue } from '../shared/export-kinds/input-rules.ts';
import { exportIdentifier, parseSourceArn, type ExportSource, type SourceType } from '../shared/export-kinds/rds/source.ts';
import { SNAPSHOT_CREATED_EVENTS } from '../shared/triggers/snapshot-events.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './definition.ts';
import { parsePlaceKey, placeKey, placeOfArn, type Place } from '../shared/accounts/place.ts';
import { quotaOf } from '../shared/slots/quota.ts';
import { parseQuotaOverrides } from '../shared/runtime/quota-overrides.ts';
import { FAULT_ERRORS, FAULT_SERVICES } from './faults.ts';
import { LOCAL_CONFIG, LOCAL_VERIFY_SETTINGS } from './config.ts';
import { LocalDeployment } from './deployment.ts';
import type { LambdaUsage } from './functions.ts';
import type { EventLog, ExecutionOutcome } from './step-functions-simulator.ts';
import type { ExportState } from '../shared/workflow/export-state.ts';
import type { PartialData } from '../shared/verification/partial-data.ts';
import { seededRandom, withSeededMathRandom } from './random.ts';
import type { SimulatedTask } from './rds-simulator.ts';
import { DEFAULT_SWEEP_LOOKBACK_SECONDS, failedThroughAnOutage, SWEEP_MAX_ATTEMPT } from '../shared/triggers/sweep.ts';
import { findAttempt } from '../shared/workflow/attempts.ts';
import type { PublishedMessage } from './sns-recorder.ts';
import { onVirtualClock } from './virtual-clock.ts';
import { snapshotCreated } from './rds-events.ts';

// Full zod here (not zod/mini): this runs on a laptop, not in a Lambda bundle, and its messages are friendlier.

const eventBridgeEvent = z.object({ source: z.string(), 'detail-type': z.string(), detail: z.record(z.string(), z.unknown()) }).passthrough();

/** A scenario file for `npm start -- --scenario FILE`. Every field is optional; an unknown one is an error. */
export const scenarioSchema = z.strictObject({
  sourceType: z.enum(['SNAPSHOT', 'CLUSTER_SNAPSHOT', 'CLUSTER', 'EC2_IMAGE', 'ADS']).default('SNAPSHOT'),
  exportSeconds: z.number().positive().default(7200),
  exportSecondsRange: z.tuple([z.number().positive(), z.number().positive()]).refine(([min, max]) => min <= max, 'min must not exceed max').optional(),
  startingSeconds: z.number().min(0).default(60),
  progress: z.enum(['steady', 'uneven']).default('steady'),
  failAtPercent: z.number().int().min(0).max(99).optional(),
  deadlineSeconds: z.number().int().positive().optional(),
  throttleRate: z.number().min(0).max(0.95).default(0),
  seed: z.number().int().default(1),
  cancelSeconds: z.number().min(0).default(90),
  dataGb: z.number().min(0).default(42),
  minPollSeconds: z.number().int().positive().default(60),
  maxPollSeconds: z.number().int().positive().default(3600),
  sourceMissing: z.boolean().default(false),
  input: z.record(z.string(), z.unknown()).default({}),
  fleet: z.number().int().min(0).max(5000).default(0),
  /** Member accounts the fleet is spread over (the first is the orchestrator's own, 123456789012). */
  accounts: z.number().int().min(1).max(200).default(1),
  /** Regions the fleet is spread over, in every account: the fleet's snapshots go round every (account, region). */
  regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as eu-west-1')).min(1).refine((regions) => new Set(regions).size === regions.length, 'names a region twice').default([LOCAL_REGION]),
  /** RDS throttling in some places only: `account` is the member's number (1 the first), `region` one of `regions` (absent: all). */
  placeThrottles: z.array(z.strictObject({ account: z.number().int().min(1), region: z.string().optional(), rate: z.number().min(0).max(1) })).default([]),
  /** Member accounts (by number, 2 the first member: 1 is the orchestrator's own) whose member role was never created: AssumeRole is refused there. */
  missingRoles: z.array(z.number().int().min(2)).default([]),
  /** Each account and region's export quota (RDS: 5 unless raised there). */
  quota: z.number().int().positive().default(5),
  /** Quotas other than `quota`, as exportQuotaOverrides takes them: `210000000001=3,210000000002/eu-west-1=2`. */
  quotaOverrides: z
    .string()
    .default('')
    .superRefine((text, ctx) => {
      for (const problem of parseQuotaOverrides(text).problems) ctx.addIssue({ code: 'custom', message: problem });
    }),
  exportEvents: z.boolean().default(true),
  /** false: no export-slot queue, every execution starts at once and retries on quota errors (the naive baseline). */
  slotQueue: z.boolean().default(true),
  eventSafetyNetSeconds: z.number().int().min(0).default(6 * 3600),
  /** Share of Step Functions task-token callbacks (SendTaskSuccess/Failure) answered ThrottlingException. */
  callbackThrottleRate: z.number().min(0).max(0.95).default(0),
  /** Share of those callbacks answered with a 500 (ServiceUnavailable). */
  callbackErrorRate: z.number().min(0).max(0.95).default(0),
  /** Export tasks started outside the workflow, each just before the workflow's n-th StartExportTask: they take a slot the dispatcher counted as free (a quota race). */
  foreignExports: z.array(z.strictObject({ beforeStart: z.number().int().positive(), exportSeconds: z.number().positive() })).default([]),
  /** How long an execution may wait for an export slot before it ends TIMED_OUT (SLOT_WAIT_LIMIT_SECONDS). */
  slotWaitLimitSeconds: z.number().int().positive().max(MAX_SLOT_WAIT_LIMIT_SECONDS).default(DEFAULT_SLOT_WAIT_LIMIT_SECONDS),
  events: z.array(z.strictObject({ at: z.number().min(0), event: eventBridgeEvent })).default([]),
  /** Windows of injected faults (local/faults.ts): RDS throttling, 5xx or network errors in bursts (on one operation or all); SNS outages; Step Functions refusing callbacks. */
  faults: z
    .array(
      z
        .strictObject({
          service: z.enum(FAULT_SERVICES),
          error: z.enum(FAULT_ERRORS),
          at: z.number().min(0).default(0),
          seconds: z.number().positive(),
          every: z.number().positive().optional(),
          operation: z.string().min(1).optional(),
        })
        .refine((fault) => fault.error !== 'kms-denied' || fault.service === 'sns', 'kms-denied is an SNS fault (the topic key)')
        .refine((fault) => fault.every === undefined || fault.every > fault.seconds, 'every must be longer than seconds (the bursts would overlap)'),
    )
    .default([]),
  /** The tables each RDS export writes, with their outcome (issue 12: verify, catalog, partial data). */
  tables: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[^.]+\.[^.]+(\.[^.]+)?$/, 'must be database.schema.table (or database.table)'),
        status: z.enum(['COMPLETE', 'FAILED', 'SKIPPED']).default('COMPLETE'),
        reason: z.string().optional(),
        columns: z.array(z.strictObject({ name: z.string(), originalType: z.string(), exportedType: z.string() })).optional(),
        weight: z.number().positive().optional(),
      }),
    )
    .min(1)
    .optional(),
  /** Glue database template of the catalog ({source}: the DB instance or cluster); "" turns cataloguing off. */
  glueDatabase: z.string().default(LOCAL_VERIFY_SETTINGS.catalogDatabase ?? ''),
  /** Delete what a FAILED, CANCELED or TIMED_OUT export wrote. */
  deletePartialData: z.boolean().default(false),
  /** Share (0-1) of the snapshot trigger's RDS calls answered with Throttling: its retries, dead letters and the sweep. */
  triggerThrottleRate: z.number().min(0).max(1).default(0),
  /** Share (0-1) of snapshot-created events that EventBridge never delivers (drawn with `seed`); the snapshots exist all the same. */
  lostSnapshotEvents: z.number().min(0).max(1).default(0),
  /** How often the reconciliation sweep runs (rate(1 hour) deployed); 0 turns it off. */
  sweepSeconds: z.number().int().min(0).default(3600),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export function parseScenario(raw: unknown, origin = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => describeIssue(issue, Object.keys(scenarioSchema.shape), { input: 'scenario' }));
  throw new Error(`${origin}: ${problems.join('; ')}`);
}

export function readScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the scenario (${(error as Error).message})`);
  }
  return parseScenario(raw, path);
}

const LOCAL_AMI = 'ami-0123456789abcdef0';
const LOCAL_AGENT = 'o-0123456789abcdef0';

/** The execution input of the other kinds (RDS kinds take the source ARN). */
const OTHER_KIND_INPUTS: Record<'EC2_IMAGE' | 'ADS', Record<string, unknown>> = {
  EC2_IMAGE: { kind: 'ec2-image', imageId: LOCAL_AMI, diskImageFormat: 'VMDK' },
  ADS: { kind: 'ads', agentIds: [LOCAL_AGENT], startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-20T00:00:00Z' },
};

const SOURCE_ARNS: Record<SourceType, string> = {
  SNAPSHOT: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:snapshot:rds:prod-db-2026-11-23-03-10`,
  CLUSTER_SNAPSHOT: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster-snapshot:rds:prod-aurora-2026-11-23-03-10`,
  CLUSTER: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:prod-aurora`,
};

export interface ExportRecord {
  exportId: string;
  sourceArn: string;
  /** The place of the export: its source's account and region. */
  account: string;
  region: string;
  exportSeconds: number;
  startedAt: number;
  endedAt: number | null;
  status: string;
}

export interface ScenarioResult {
  status: string;
  executionStatus: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  exportId?: string;
  sourceArn: string;
  notifications: Array<{ status: string; percent: number | null; subject: string; notice?: string }>;
  /** The notification failure the (first) execution's output records, when one could not be sent. */
  notifyError?: unknown;
  /** Publish calls SNS refused (injected faults). */
  notificationsRefused: number;
  stateTransitions: number;
  /** Of stateTransitions, those after the export's final status was seen (verification, the final notification). */
  transitionsAfterEnd: number;
  apiCalls: Record<string, number>;
  simulatedSeconds: number;
  exportSeconds: number;
  detectionLatencySeconds: number | null;
  executions: number;
  succeeded: number;
  failed: number;
  exportsStarted: number;
  /** Of those, the exports whose last status notified is the task's real end (TIMED_OUT for one canceled at its deadline). */
  exportsFollowedToRealEnd: number;
  makespanSeconds: number | null;
  lowerBoundSeconds: number;
  /** Most export tasks that held a slot at one time: never above the quota. */
  peakConcurrentExports: number;
  /** Step Functions callbacks refused by the injected faults (callbackThrottleRate, callbackErrorRate). */
  callbackFaultsInjected: number;
  /** Executions that waited past the slot wait limit (TIMED_OUT, nothing started). */
  timedOutInQueue: number;
  /** What the coordination table consumed, as DynamoDB bills it: in all, and per execution. */
  dynamodb: DynamoDbFigures & { perExecution: DynamoDbFigures };
  /** Per Lambda: invocations and the real milliseconds its handler ran (the simulators answer at once: no network time). */
  lambdas: Record<string, LambdaUsage>;
  exports: ExportRecord[];
  /** A COMPLETE RDS export, table by table (from the execution's output). */
  tables?: { exported: number; failed: number; skipped: number; items: Array<{ name: string; status: string; reason?: string }> };
  /** The Glue tables the export is now queryable through. */
  catalog?: { database: string; tables: string[] };
  /** What a FAILED, CANCELED or TIMED_OUT RDS export left (or deleted). */
  partialData?: PartialData;
  /** Snapshots announced by snapshot-created events (the fleet's and the scenario's), delivered or lost. */
  snapshotsAnnounced: number;
  /** Of those, the ones with an export task; and how many have more than one (never, by design). */
  snapshotsExported: number;
  snapshotsExportedTwice: number;
  /** Snapshot-created events EventBridge did not deliver (`lostSnapshotEvents`). */
  snapshotEventsLost: number;
  /** Events the trigger failed on every try, parked in its on-failure destination. */
  triggerDeadLetters: number;
  /** Most RDS calls the trigger's containers made within one second (the budget is about 12/s). */
  triggerPeakRdsCallsPerSecond: number;
  /** The reconciliation sweep: its runs (one an hour by default) and the calls they made in all. */
  sweep: { runs: number; startExecutions: number; rdsCalls: number; dynamoDbCalls: number };
  /** With more than one account or region: the run per place. */
  places?: PlaceFigures;
}

/** A run over many accounts and regions, place by place. */
export interface PlaceFigures {
  accounts: number;
  regions: string[];
  count: number;
  /** Most export tasks that held a slot at one time in any one place (each place's quota bounds its own). */
  peakConcurrentExportsPerPlace: number;
  /** Places whose peak went above their quota (never, by design). */
  placesOverQuota: number;
  /** The largest of the places' lower bounds (the longest export, or the place's work over its quota): what the makespan is held to. */
  largestLowerBoundSeconds: number;
  /** Most RDS calls (all callers) of one account within one second. */
  peakRdsCallsPerAccountPerSecond: number;
  /** Of those, the slot dispatcher's own (DescribeExportTasks). */
  dispatcherPeakRdsCallsPerAccountPerSecond: number;
  /** Exports started per place: the fewest and the most. */
  exportsPerPlace: { min: number; max: number };
  /**
   * The makespan of a dispatcher with no latency at all, starting each place's exports in the order
   * this run did (first come, first served) the moment a slot frees: what the run's makespan is
   * above this is the dispatcher's own delay; what this is above the lower bound is the order's
   * (the longest exports of a place may come last: no dispatcher knows an export's length before).
   */
  zeroLatencyMakespanSeconds: number;
}

export interface DynamoDbFigures {
  /** Items read by Queries (what read units are charged on). */
  items: number;
  rru: number;
  wru: number;
}

export interface ScenarioObserver {
  onEvent?: (event: EventLog, execution: string) => void;
  onPublish?: (message: PublishedMessage) => void;
}

/** A fixed start time, so runs with the same seed print the same dates. */
export const SCENARIO_EPOCH = Date.parse('2026-11-23T03:15:00Z');
const DISPATCH_SCHEDULE_SECONDS = 300;

/**
 * Runs the real workflow against the simulators, on the virtual clock: one export, or a fleet of
 * snapshots created at once, plus any EventBridge events the scenario delivers.
 */
export async function runScenario(scenario: Scenario, observer: ScenarioObserver = {}): Promise<ScenarioResult> {
  const random = seededRandom(scenario.seed);
  const otherKind = scenario.sourceType === 'EC2_IMAGE' || scenario.sourceType === 'ADS' ? scenario.sourceType : undefined;
  const places = placesOf(scenario);
  // The fleet goes round every place: snapshot i in place i mod places.
  const fleet = Array.from({ length: scenario.fleet }, (_, i) => {
    const { account, region } = places[i % places.length]!;
    return `arn:aws:rds:${region}:${account}:snapshot:rds:fleet-db-${String(i + 1).padStart(4, '0')}-2026-11-23-03-10`;
  });
  // A snapshot-created event in `events` creates the snapshot it announces; with such events and no
  // fleet, those snapshots are the run (no default execution).
  const announcedByEvents = announcedSnapshots(scenario.events);
  const onlyEvents = !otherKind && scenario.fleet === 0 && announcedByEvents.length > 0;
  const sources =
    otherKind ? [`arn:aws:ec2:${LOCAL_REGION}::image/${LOCAL_AMI}`]
    : scenario.fleet > 0 ? fleet
    : onlyEvents ? []
    : [SOURCE_ARNS[scenario.sourceType as SourceType]];
  const announced = [...new Set([...fleet, ...announcedByEvents.map((a) => a.arn)])];
  const durations = new Map([...new Set([...sources, ...announced])].map((arn) => [arn, drawExportSeconds(scenario, random.next())]));
  // Snapshots exist from their creation: the fleet's and the default source at the start, the announced ones at their event.
  const created = new Map<string, number>([...sources].map((arn) => [arn, SCENARIO_EPOCH]));
  const lossDraw = seededRandom(scenario.seed ^ 0x5eed);
  let snapshotEventsLost = 0;
  /** EventBridge, for a snapshot-created event: sometimes it never arrives. */
  const announce = (stack: LocalDeployment, event: Record<string, unknown>): Promise<void> => {
    if (scenario.lostSnapshotEvents > 0 && lossDraw.next() < scenario.lostSnapshotEvents) {
      snapshotEventsLost++;
      return Promise.resolve();
    }
    return stack.deliver(event).catch(() => {});
  };
  const { result: outcome, virtualSeconds } = await withSeededMathRandom(scenario.seed, () => onVirtualClock(SCENARIO_EPOCH, async () => {
    const stack: LocalDeployment = new LocalDeployment({
      beforeStart: (n) =>
        scenario.foreignExports.forEach((foreign, i) => {
          if (foreign.beforeStart !== n) return;
          const behaviour = { startingSeconds: 0, exportSeconds: foreign.exportSeconds, progress: 'steady' as const, cancelSeconds: scenario.cancelSeconds, dataGb: 1 };
          stack.rds.startOutsideWorkflow(`foreign-export-${i + 1}`, `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:snapshot:foreign-db-${i + 1}`, behaviour);
        }),
      sources: (arn) => !scenario.sourceMissing && created.has(arn),
      snapshots: () => (scenario.sourceMissing ? [] : [...created.keys()]),
      snapshotCreatedAt: (arn) => created.get(arn),
      triggerThrottleRate: scenario.triggerThrottleRate,
      behaviourFor: (arn) => ({
        startingSeconds: scenario.startingSeconds,
        exportSeconds: durations.get(arn)!,
        progress: scenario.progress,
        cancelSeconds: scenario.cancelSeconds,
        dataGb: scenario.dataGb,
        ...(scenario.failAtPercent !== undefined ? { failAtPercent: scenario.failAtPercent } : {}),
      }),
      random,
      // The members: every account of the scenario but the orchestrator's own, in the scenario's regions.
      ...(places.length > 1 || scenario.regions[0] !== LOCAL_REGION
        ? { memberAccounts: [...new Set(places.map((place) => place.account))].filter((account) => account !== LOCAL_ACCOUNT), memberRegions: scenario.regions }
        : {}),
      throttleRate: scenario.throttleRate,
      ...(scenario.missingRoles.length > 0 ? { missingRoles: scenario.missingRoles.map(memberAccount) } : {}),
      ...(scenario.placeThrottles.length > 0 ? { placeThrottleRate: placeThrottleRate(scenario) } : {}),
      faults: scenario.faults,
      quota: quotaOfScenario(scenario),
      exportEvents: scenario.exportEvents,
      slotQueue: scenario.slotQueue,
      callbackFaults: { throttleRate: scenario.callbackThrottleRate, errorRate: scenario.callbackErrorRate, random: seededRandom(scenario.seed + 7919) },
      config: {
        SLOT_WAIT_LIMIT_SECONDS: scenario.slotWaitLimitSeconds,
        MIN_POLL_SECONDS: scenario.minPollSeconds,
        MAX_POLL_SECONDS: scenario.maxPollSeconds,
        // Without the queue the dispatcher lets everyone through; RDS (the simulator) still enforces the quota.
        EXPORT_QUOTA: scenario.slotQueue ? scenario.quota : Number.MAX_SAFE_INTEGER,
        ...(scenario.quotaOverrides && scenario.slotQueue ? { EXPORT_QUOTA_OVERRIDES: parseQuotaOverrides(scenario.quotaOverrides).overrides } : {}),
        EVENT_SAFETY_NET_SECONDS: scenario.exportEvents ? scenario.eventSafetyNetSeconds : 0,
        // Many Regions: RDS exports to a bucket and with a key of the source's Region ({region} names them).
        ...(scenario.regions.length > 1 || scenario.regions[0] !== LOCAL_REGION
          ? { EXPORT_BUCKET: `${LOCAL_CONFIG.EXPORT_BUCKET}-{region}`, EXPORT_KMS_KEY_ID: LOCAL_CONFIG.EXPORT_KMS_KEY_ID.replace(`:${LOCAL_REGION}:`, ':{region}:') }
          : {}),
        // Triggered executions carry no deadline of their own: the deploy-time default applies.
        ...(scenario.deadlineSeconds ? { DEFAULT_DEADLINE_SECONDS: scenario.deadlineSeconds } : {}),
      },
      ...(scenario.tables ? { tables: scenario.tables } : {}),
      verify: { deletePartialData: scenario.deletePartialData, ...(scenario.glueDatabase ? { catalogDatabase: scenario.glueDatabase } : { catalogDatabase: undefined }) },
      ...(observer.onPublish ? { onPublish: observer.onPublish } : {}),
      ...(observer.onEvent ? { onEvent: observer.onEvent } : {}),
      // The other kinds' simulators play their own service's vocabulary (EC2 active/deleting, ADS SUCCEEDED).
      images: (imageId) => !scenario.sourceMissing && imageId === LOCAL_AMI,
      imageExport: () => ({
        validatingSeconds: scenario.startingSeconds,
        exportSeconds: scenario.exportSeconds,
        deletingSeconds: scenario.cancelSeconds,
        finalTransferPercent: 95,
        ...(scenario.failAtPercent !== undefined ? { failAtPercent: scenario.failAtPercent } : {}),
      }),
      adsExport: () => ({
        exportSeconds: scenario.startingSeconds + scenario.exportSeconds,
        ...(scenario.failAtPercent !== undefined
          ? { fail: { afterSeconds: ((scenario.startingSeconds + scenario.exportSeconds) * scenario.failAtPercent) / 100, message: 'The export failed (simulated).' } }
          : {}),
      }),
    });
    const stopSchedule = stack.startDispatchSchedule(DISPATCH_SCHEDULE_SECONDS);
    const stopSweeps = scenario.sweepSeconds > 0 ? stack.startSweepSchedule(scenario.sweepSeconds) : () => {};
    const deliveries = scenario.events.map(
      ({ at, event }) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            const arn = announcedArn(event);
            if (arn === undefined) return stack.deliver(event).catch(() => {}).finally(resolve);
            if (!created.has(arn)) created.set(arn, Date.now());
            return announce(stack, event).finally(resolve);
          }, at * 1000),
        ),
    );
    if (scenario.fleet > 0) {
      // The fleet's snapshots are all created now: RDS announces each, and the trigger starts its export.
      for (const sourceArn of sources) deliveries.push(announce(stack, snapshotCreated(sourceArn)));
    } else if (!onlyEvents) {
      const target = otherKind ? OTHER_KIND_INPUTS[otherKind] : { sourceArn: sources[0]! };
      const input = { ...target, ...(scenario.deadlineSeconds ? { deadlineSeconds: scenario.deadlineSeconds } : {}), ...scenario.input };
      const source = parseSourceArn(sources[0]!);
      void stack.execute(input, source ? exportIdentifier(source, new Date()) : undefined);
    }
    await Promise.all(deliveries);
    let executions = await stack.settle();
    // Events lost or parked: the hourly sweep starts what no event did, within its look-back window.
    for (let sweep = 0; scenario.sweepSeconds > 0 && sweep * scenario.sweepSeconds < DEFAULT_SWEEP_LOOKBACK_SECONDS; sweep++) {
      const ended = new Map(executions.map((execution) => [execution.name, execution]));
      const exported = new Set([...stack.rds.tasks.values()].map((task) => task.sourceArn));
      const waiting = await Promise.all(announced.map((arn) => awaitsTheSweep(parseSourceArn(arn)!, ended, exported.has(arn), new Date())));
      if (!waiting.includes(true)) break;
      await new Promise((resolve) => setTimeout(resolve, scenario.sweepSeconds * 1000));
      executions = await stack.settle();
    }
    stopSweeps();
    stopSchedule();
    return { executions, stack };
  }));
  const exportedBySource = new Map<string, number>();
  for (const task of outcome.stack.rds.tasks.values()) exportedBySource.set(task.sourceArn, (exportedBySource.get(task.sourceArn) ?? 0) + 1);
  return {
    ...summarise(scenario, outcome.stack, outcome.executions, virtualSeconds, durations),
    snapshotsAnnounced: announced.length,
    snapshotsExported: announced.filter((arn) => exportedBySource.has(arn)).length,
    snapshotsExportedTwice: announced.filter((arn) => (exportedBySource.get(arn) ?? 0) > 1).length,
    snapshotEventsLost,
    triggerDeadLetters: outcome.stack.trigger.deadLetters.length,
    triggerPeakRdsCallsPerSecond: peakRate(outcome.stack.triggerRdsCalls, 1000),
    sweep: {
      runs: outcome.stack.lambdaUsage.reconcileSnapshots?.invocations ?? 0,
      startExecutions: outcome.stack.sweepCalls.stepFunctions,
      rdsCalls: outcome.stack.sweepCalls.rds,
      dynamoDbCalls: outcome.stack.sweepCalls.dynamodb,
    },
    ...(places.length > 1 ? { places: placeFigures(scenario, places, outcome.stack, durations) } : {}),
  };
}

/**
 * Whether the sweep still has a snapshot to start: its event was lost (no execution of its name),
 * or its attempts so far failed through an outage and exported nothing (the sweep starts the next).
 */
async function awaitsTheSweep(source: ExportSource, executions: ReadonlyMap<string, ExecutionOutcome>, exported: boolean, now: Date): Promise<boolean> {
  // The sweep's own walk of the attempts (sweep.ts), over the executions that ended.
  const found = await findAttempt(source, now, { describe: async (name) => executions.get(name) }, failedThroughAnOutage, SWEEP_MAX_ATTEMPT);
  return found?.free === true && (found.attempt === 1 || !exported);
}

/** The places of a scenario: every region of every account; the first account is the orchestrator's own. */
export function placesOf(scenario: Pick<Scenario, 'accounts' | 'regions'>): Place[] {
  return Array.from({ length: scenario.accounts }, (_, i) => memberAccount(i + 1)).flatMap((account) => scenario.regions.map((region) => ({ account, region })));
}

/** The n-th member account (from 1): the local account first, then 210000000001, 210000000002… */
export function memberAccount(n: number): string {
  return n === 1 ? LOCAL_ACCOUNT : String(210000000000 + n - 1);
}

function placeThrottleRate(scenario: Scenario): (place: Place) => number {
  return (place) =>
    scenario.placeThrottles
      .filter((throttle) => memberAccount(throttle.account) === place.account && (throttle.region === undefined || throttle.region === place.region))
      .reduce((rate, throttle) => Math.max(rate, throttle.rate), 0);
}

/** Each place's quota: `quota`, or its override (as the deployed EXPORT_QUOTA_OVERRIDES). */
function quotaOfScenario(scenario: Pick<Scenario, 'quota' | 'quotaOverrides'>): (place: Place) => number {
  return quotaOf(scenario.quota, parseQuotaOverrides(scenario.quotaOverrides).overrides);
}

/** Each place's lower bound: its longest export, or its work spread over its quota, whichever is longer. */
function lowerBoundsByPlace(scenario: Scenario, durations: Map<string, number>): Map<string, number> {
  const jobs = new Map<string, number[]>();
  for (const [arn, seconds] of durations) {
    const key = placeKey(placeOfArn(arn) ?? { account: LOCAL_ACCOUNT, region: LOCAL_REGION });
    jobs.set(key, [...(jobs.get(key) ?? []), seconds + scenario.startingSeconds]);
  }
  const quota = quotaOfScenario(scenario);
  return new Map([...jobs].map(([key, seconds]) => [key, Math.round(Math.max(...seconds, seconds.reduce((a, b) => a + b, 0) / quota(parsePlaceKey(key)!)))]));
}

function placeFigures(scenario: Scenario, places: Place[], stack: LocalDeployment, durations: Map<string, number>): PlaceFigures {
  const records = [...stack.rds.tasks.values()].map((task) => ({ place: keyOfArn(task.sourceArn), ...exportTimes(stack, task) }));
  const peaks = places.map((place) => peakConcurrency(records.filter((record) => record.place === placeKey(place))));
  const started = places.map((place) => records.filter((record) => record.place === placeKey(place)).length);
  const peakPerAccount = (calls: Map<string, number[]>) => Math.max(0, ...[...calls.values()].map((times) => peakRate(times, 1000)));
  return {
    accounts: scenario.accounts,
    regions: scenario.regions,
    count: places.length,
    peakConcurrentExportsPerPlace: Math.max(0, ...peaks),
    placesOverQuota: peaks.filter((peak, i) => peak > quotaOfScenario(scenario)(places[i]!)).length,
    largestLowerBoundSeconds: Math.max(0, ...lowerBoundsByPlace(scenario, durations).values()),
    peakRdsCallsPerAccountPerSecond: peakPerAccount(stack.rds.callTimesByAccount),
    dispatcherPeakRdsCallsPerAccountPerSecond: peakPerAccount(stack.functions.dispatcherRdsCalls),
    exportsPerPlace: { min: Math.min(...started), max: Math.max(...started) },
    zeroLatencyMakespanSeconds: Math.max(0, ...places.map((place) => zeroLatencyMakespan(records.filter((record) => record.place === placeKey(place)), quotaOfScenario(scenario)(place)))),
  };
}

/** First come, first served on `quota` slots, each export started the moment a slot frees (in the order they were started). */
function zeroLatencyMakespan(exports: Array<{ startedAt: number; endedAt: number }>, quota: number): number {
  const slots = Array.from({ length: quota }, () => 0);
  for (const { startedAt, endedAt } of [...exports].sort((a, b) => a.startedAt - b.startedAt)) {
    const earliest = slots.indexOf(Math.min(...slots));
    slots[earliest]! += endedAt - startedAt;
  }
  return Math.max(...slots);
}

function keyOfArn(arn: string): string {
  const place = placeOfArn(arn);
  return place ? placeKey(place) : '';
}

/** A task's start and real end, in seconds since the scenario's start. */
function exportTimes(stack: LocalDeployment, task: SimulatedTask): { startedAt: number; endedAt: number } {
  return { startedAt: Math.round((task.createdAt - SCENARIO_EPOCH) / 1000), endedAt: Math.round((stack.rds.realEnd(task).at - SCENARIO_EPOCH) / 1000) };
}

/** The snapshot an event announces, if it is a snapshot-created event (RDS-EVENT-0042, 0091, 0075, 0169, 0197). */
function announcedArn(event: Record<string, unknown>): string | undefined {
  const detail = event.detail as { EventID?: unknown; SourceArn?: unknown } | undefined;
  const id = typeof detail?.EventID === 'string' ? detail.EventID : '';
  return SNAPSHOT_CREATED_EVENTS[id] && typeof detail?.SourceArn === 'string' && parseSourceArn(detail.SourceArn) ? detail.SourceArn : undefined;
}

function announcedSnapshots(events: Scenario['events']): Array<{ arn: string; at: number }> {
  return events.flatMap(({ at, event }) => {
    const arn = announcedArn(event);
    return arn === undefined ? [] : [{ arn, at }];
  });
}

/** Most timestamps (ms) within any window of `windowMs`. */
export function peakRate(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[last]! - sorted[first]! >= windowMs) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

function drawExportSeconds(scenario: Scenario, draw: number): number {
  if (!scenario.exportSecondsRange) return scenario.exportSeconds;
  const [min, max] = scenario.exportSecondsRange;
  return Math.round(min + draw * (max - min));
}

type BaseResult = Omit<ScenarioResult, 'snapshotsAnnounced' | 'snapshotsExported' | 'snapshotsExportedTwice' | 'snapshotEventsLost' | 'triggerDeadLetters' | 'triggerPeakRdsCallsPerSecond' | 'sweep'>;

function summarise(scenario: Scenario, stack: LocalDeployment, executions: ExecutionOutcome[], virtualSeconds: number, durations: Map<string, number>): BaseResult {
  const everyTask = [...stack.rds.tasks.values()];
  const tasks = everyTask.filter((task) => !task.outsideWorkflow);
  const secondsSinceStart = (ms: number) => Math.round((ms - SCENARIO_EPOCH) / 1000);
  // The task's real end and status, even if it comes after the run stopped following it.
  const exportRecord = (task: SimulatedTask): ExportRecord => {
    const end = stack.rds.realEnd(task);
    const place = placeOfArn(task.sourceArn);
    return {
      exportId: task.id,
      sourceArn: task.sourceArn,
      account: place?.account ?? '',
      region: place?.region ?? '',
      exportSeconds: Math.round((end.at - task.createdAt) / 1000),
      startedAt: secondsSinceStart(task.createdAt),
      endedAt: secondsSinceStart(end.at),
      status: end.status,
    };
  };
  const exports = tasks.map(exportRecord);
  const lastStatus = new Map<string, string>();
  const notifications = stack.sns.messages.map((message) => {
    const record = JSON.parse(message.message.slice(message.message.lastIndexOf('\n') + 1)) as { percent?: number; exportId?: string };
    if (record.exportId && !message.attributes.notice && message.attributes.status) lastStatus.set(record.exportId, message.attributes.status);
    return { status: message.attributes.status ?? '', percent: record.percent ?? null, subject: message.subject, ...(message.attributes.notice ? { notice: message.attributes.notice } : {}) };
  });
  const first = executions[0];
  const task = tasks[0];
  const endedAt = task ? stack.rds.endedAt(task) : undefined;
  const jobSeconds = [...durations.values()].map((seconds) => seconds + scenario.startingSeconds);
  const endTimes = exports.map((e) => e.endedAt).filter((t): t is number => t !== null);
  return {
    status: notifications.filter((n) => !n.notice).at(-1)?.status ?? exports[0]?.status ?? 'NONE',
    ...(notifyErrorOf(first) ? { notifyError: notifyErrorOf(first) } : {}),
    executionStatus: first?.status ?? 'FAILED',
    ...(first?.error ? { error: first.error, cause: first.cause } : {}),
    ...(task ? { exportId: task.id } : {}),
    sourceArn: task?.sourceArn ?? [...durations.keys()][0]!,
    notifications,
    notificationsRefused: stack.sns.refused.length,
    stateTransitions: executions.reduce((sum, e) => sum + e.stateTransitions, 0),
    transitionsAfterEnd: executions.reduce((sum, e) => sum + e.transitionsAfterEnd, 0),
    apiCalls: {
      ...stack.rds.calls,
      ...stack.sns.calls,
      ...prefixed('EC2', stack.ec2.calls),
      ...prefixed('Discovery', stack.ads.calls),
      ...prefixed('DynamoDB', stack.dynamo.calls),
      ...prefixed('States', stack.sfnCalls),
      ...prefixed('S3', stack.s3.calls),
      ...prefixed('Glue', stack.glue.calls),
    },
    simulatedSeconds: Math.round(virtualSeconds),
    exportSeconds: jobSeconds[0] ?? 0,
    detectionLatencySeconds: task?.terminalSeenAt !== undefined && endedAt !== undefined ? Math.round((task.terminalSeenAt - endedAt) / 1000) : null,
    executions: executions.length,
    succeeded: executions.filter((e) => e.status === 'SUCCEEDED').length,
    failed: executions.filter((e) => e.status === 'FAILED').length,
    exportsStarted: tasks.length,
    exportsFollowedToRealEnd: exports.filter((e) => followedToRealEnd(e.status, lastStatus.get(e.exportId))).length,
    makespanSeconds: endTimes.length > 0 ? Math.max(...endTimes) : null,
    // Each place runs its own exports under its own quota: the run takes at least its slowest place's bound.
    lowerBoundSeconds: Math.max(0, ...lowerBoundsByPlace(scenario, durations).values()),
    // Exports started outside the workflow share the quota: they count here, not in `exports`.
    peakConcurrentExports: peakConcurrency(everyTask.map(exportRecord)),
    callbackFaultsInjected: stack.callbackFaultsInjected,
    timedOutInQueue: executions.filter((e) => e.error === ASL_ERROR_NAMES.slotWaitTimedOut).length,
    dynamodb: dynamoDbFigures(stack.dynamo.consumed, executions.length),
    lambdas: Object.fromEntries(Object.entries(stack.lambdaUsage).filter(([, usage]) => usage.invocations > 0).map(([name, usage]) => [name, { invocations: usage.invocations, ms: Math.round(usage.ms * 10) / 10 }])),
    exports,
    ...verificationOf(first, stack),
  };
}

/** The verify step's findings: from the execution's output, or (a failed execution has none) from its last notification. */
function verificationOf(execution: ExecutionOutcome | undefined, stack: LocalDeployment): Pick<ScenarioResult, 'tables' | 'catalog' | 'partialData'> {
  const output = execution?.output as ExportState | undefined;
  const verification = output?.verification;
  const recorded = stack.sns.messages.at(-1)?.message;
  const record = recorded ? (JSON.parse(recorded.slice(recorded.lastIndexOf('\n') + 1)) as { verification?: { partialData?: PartialData } }) : undefined;
  const partialData = verification?.partialData ?? record?.verification?.partialData;
  return {
    ...(verification?.tables
      ? {
          tables: {
            exported: verification.tables.exported,
            failed: verification.tables.failed,
            skipped: verification.tables.skipped,
            items: verification.tables.items.map(({ name, status, reason }) => ({ name, status, ...(reason ? { reason } : {}) })),
          },
        }
      : {}),
    ...(verification?.catalog ? { catalog: { database: verification.catalog.database, tables: verification.catalog.tables.map((table) => table.name) } } : {}),
    ...(partialData ? { partialData } : {}),
  };
}

function dynamoDbFigures(consumed: { itemsRead: number; rru: number; wru: number }, executions: number): ScenarioResult['dynamodb'] {
  const per = (value: number) => Math.round((value / Math.max(1, executions)) * 100) / 100;
  return {
    items: consumed.itemsRead,
    rru: consumed.rru,
    wru: consumed.wru,
    perExecution: { items: per(consumed.itemsRead), rru: per(consumed.rru), wru: per(consumed.wru) },
  };
}

function notifyErrorOf(execution: ExecutionOutcome | undefined): unknown {
  return (execution?.output as { notifyError?: unknown } | undefined)?.notifyError;
}

function prefixed(prefix: string, calls: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(calls).map(([operation, count]) => [`${prefix}.${operation}`, count]));
}

/** Whether the last status notified for an export is the task's real end (RDS ended it, or the deadline's cancel did). */
export function followedToRealEnd(realStatus: string, notified: string | undefined): boolean {
  if (notified === undefined) return false;
  if (realStatus === 'COMPLETE') return notified === 'COMPLETE' || notified === 'COMPLETE_WITH_WARNINGS';
  return notified === realStatus || (realStatus === 'CANCELED' && notified === 'TIMED_OUT');
}

/** From the exports' start and end times: anyone can recompute it from the JSON. */
export function peakConcurrency(exports: Array<{ startedAt: number; endedAt: number | null }>): number {
  const edges = exports.flatMap((e) => [
    { at: e.startedAt, delta: 1 },
    { at: e.endedAt ?? Infinity, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let peak = 0;
  for (const edge of edges) peak = Math.max(peak, (running += edge.delta));
  return peak;
}
