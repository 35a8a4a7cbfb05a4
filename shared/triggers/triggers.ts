import type { ExportHistory, SnapshotCatalog, SnapshotInfo } from './rds-snapshots.ts';
import type { ExecutionStarter } from '../workflow/step-functions.ts';
import { ExportServiceError, NamedError } from '../runtime/errors.ts';
import { exportIdentifier, parseSourceArn, type ExportSource } from '../export-kinds/rds/source.ts';

/**
 * What starts an export without a person: RDS "snapshot created" events (the trigger) and a
 * schedule (the planner). Both start executions of the export state machine named by
 * `executionName`, so a snapshot is exported once however many events, retries and planner runs
 * mention it: Step Functions refuses a second execution of the same name.
 */

export const SNAPSHOT_TYPES = ['manual', 'automated', 'awsbackup'] as const;
export type SnapshotType = (typeof SNAPSHOT_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

/** Which snapshots the trigger exports. Patterns apply to the DB instance or cluster identifier. */
export interface Selection {
  include: string[];
  exclude: string[];
  types: SnapshotType[];
}

export interface TriggerSettings {
  selection: Selection;
  /** Whether RDS-EVENT-0197 (a snapshot copy finished: how AWS Backup snapshots appear) is ours. */
  backupEvents: boolean;
}

/** `*` is any run of characters, `?` exactly one; RDS identifiers are case-insensitive, so is this. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

export function matchesGlob(identifier: string, glob: string): boolean {
  return globToRegExp(glob).test(identifier);
}

export type Verdict = { selected: true } | { selected: false; reason: string };

/** Exclude wins over include, so "everything but the test DBs" is `*` and `test-*`. */
export function matchesSelection(snapshot: Pick<SnapshotInfo, 'sourceId' | 'type'>, selection: Selection): Verdict {
  if (!(SNAPSHOT_TYPES as readonly string[]).includes(snapshot.type) || !selection.types.includes(snapshot.type as SnapshotType)) {
    return { selected: false, reason: `${snapshot.type} snapshots are not selected (SNAPSHOT_TYPES=${selection.types.join(',')})` };
  }
  const excludedBy = selection.exclude.find((glob) => matchesGlob(snapshot.sourceId, glob));
  if (excludedBy !== undefined) return { selected: false, reason: `${snapshot.sourceId} matches the exclude pattern "${excludedBy}"` };
  if (selection.include.length === 0) {
    return { selected: false, reason: `no snapshot is selected: SELECTION_INCLUDE is empty (name the DBs to export, or * for every one)` };
  }
  if (!selection.include.some((glob) => matchesGlob(snapshot.sourceId, glob))) {
    return { selected: false, reason: `${snapshot.sourceId} matches no include pattern (${selection.include.join(',')})` };
  }
  return { selected: true };
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** An RDS event as EventBridge delivers it (source `aws.rds`). Everything is optional: we trust nothing. */
export interface RdsEvent {
  version?: string;
  id?: string;
  source?: string;
  'detail-type'?: string;
  time?: string;
  account?: string;
  region?: string;
  resources?: string[];
  detail?: {
    EventID?: string;
    EventCategories?: string[];
    SourceArn?: string;
    SourceIdentifier?: string;
    SourceType?: string;
    Message?: string;
    Date?: string;
  };
}

export const DB_SNAPSHOT_EVENT = 'RDS DB Snapshot Event';
export const DB_CLUSTER_SNAPSHOT_EVENT = 'RDS DB Cluster Snapshot Event';

interface CreatedEvent {
  detailType: string;
  kind: 'SNAPSHOT' | 'CLUSTER_SNAPSHOT';
  /**
   * The snapshot types this event can announce. DescribeDB(Cluster)Snapshots has the last word on
   * the type; this only lets an event whose every possible type is unselected go without an API call.
   */
  types: readonly SnapshotType[];
  backupCopy?: true;
}

/** The events that say "a snapshot is ready". Every other RDS event is someone else's. */
export const SNAPSHOT_CREATED_EVENTS: Readonly<Record<string, CreatedEvent>> = {
  'RDS-EVENT-0042': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['manual', 'awsbackup'] },
  'RDS-EVENT-0091': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['automated'] },
  'RDS-EVENT-0075': { detailType: DB_CLUSTER_SNAPSHOT_EVENT, kind: 'CLUSTER_SNAPSHOT', types: ['manual', 'awsbackup'] },
  'RDS-EVENT-0169': { detailType: DB_CLUSTER_SNAPSHOT_EVENT, kind: 'CLUSTER_SNAPSHOT', types: ['automated'] },
  // "Finished copy of snapshot": AWS Backup's snapshots appear this way, but so does any local copy.
  'RDS-EVENT-0197': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['awsbackup', 'manual'], backupCopy: true },
};

export type ParsedEvent =
  | { ours: true; source: ExportSource; eventId: string; possibleTypes: readonly SnapshotType[]; at: Date }
  | { ours: false; reason: string };

/** Whether an event announces a snapshot this trigger may export, and which one. */
export function parseSnapshotEvent(event: RdsEvent, settings: Pick<TriggerSettings, 'backupEvents'>, now: Date): ParsedEvent {
  if (event?.source !== 'aws.rds') return { ours: false, reason: `source is ${JSON.stringify(event?.source)}, not "aws.rds"` };
  const detailType = event['detail-type'];
  if (detailType !== DB_SNAPSHOT_EVENT && detailType !== DB_CLUSTER_SNAPSHOT_EVENT) {
    return { ours: false, reason: `detail-type ${JSON.stringify(detailType)} is not a snapshot event` };
  }
  const eventId = event.detail?.EventID ?? '';
  const created = SNAPSHOT_CREATED_EVENTS[eventId];
  if (!created || created.detailType !== detailType) {
    return { ours: false, reason: `${eventId || 'an event without EventID'} (${event.detail?.Message ?? 'no message'}) does not announce a new snapshot` };
  }
  if (created.backupCopy && !settings.backupEvents) {
    return { ours: false, reason: `${eventId} (snapshot copy, AWS Backup) is ignored while BACKUP_EVENTS=false` };
  }
  const source = parseSourceArn(event.detail?.SourceArn ?? '');
  if (!source || source.type !== created.kind) {
    return { ours: false, reason: `SourceArn ${JSON.stringify(event.detail?.SourceArn)} is not the ${created.kind === 'SNAPSHOT' ? 'DB' : 'DB cluster'} snapshot ARN ${eventId} should carry` };
  }
  return { ours: true, source, eventId, possibleTypes: created.types, at: firstValidDate(event.time, event.detail?.Date) ?? now };
}

/**
 * The execution name for a source: the export identifier the start step will derive, so a
 * snapshot always gets the same name (a redelivered event cannot start a second execution) and a
 * live cluster gets one per minute.
 */
export function executionName(source: ExportSource, at: Date): string {
  return exportIdentifier(source, at);
}

export type TriggerResult =
  /** Not a snapshot we export: another event, an excluded DB, an unselected type. Logged at DEBUG. */
  | { outcome: 'ignored'; reason: string; sourceArn?: string }
  /** Ours, but not exportable now: gone, or not available. */
  | { outcome: 'skipped'; reason: string; sourceArn: string }
  | { outcome: 'started'; sourceArn: string; executionName: string; executionArn?: string }
  /** An execution of that name exists already: a redelivered event, nothing to do. */
  | { outcome: 'duplicate'; sourceArn: string; executionName: string };

export interface TriggerDeps {
  catalog: Pick<SnapshotCatalog, 'describe'>;
  starter: ExecutionStarter;
  settings: TriggerSettings;
}

export async function handleSnapshotEvent(event: RdsEvent, { catalog, starter, settings }: TriggerDeps, now: Date): Promise<TriggerResult> {
  const parsed = parseSnapshotEvent(event, settings, now);
  if (!parsed.ours) return { outcome: 'ignored', reason: parsed.reason };
  const sourceArn = parsed.source.arn;
  if (!parsed.possibleTypes.some((type) => settings.selection.types.includes(type))) {
    return { outcome: 'ignored', sourceArn, reason: `${parsed.eventId} announces ${parsed.possibleTypes.join(' or ')} snapshots, not selected (SNAPSHOT_TYPES=${settings.selection.types.join(',')})` };
  }
  // The event names the snapshot, not its DB, and says nothing of a manual snapshot's type.
  const snapshot = await catalog.describe(sourceArn);
  if (!snapshot) return { outcome: 'skipped', sourceArn, reason: 'RDS does not know this snapshot (deleted since the event, or another account or region)' };
  const verdict = matchesSelection(snapshot, settings.selection);
  if (!verdict.selected) return { outcome: 'ignored', sourceArn, reason: verdict.reason };
  if (!isAvailable(snapshot)) return { outcome: 'skipped', sourceArn, reason: `snapshot status is "${snapshot.status}", not "available"` };
  const name = executionName(parsed.source, parsed.at);
  const started = await starter.start(name, { sourceArn });
  return started.started
    ? { outcome: 'started', sourceArn, executionName: name, ...(started.executionArn ? { executionArn: started.executionArn } : {}) }
    : { outcome: 'duplicate', sourceArn, executionName: name };
}

// ---------------------------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------------------------

/**
 * One entry of SCHEDULED_SOURCES. A DB instance is only ever exported from a snapshot; an AMI is
 * exported as a disk image; an ADS agent's data over the last `lookbackHours`.
 */
export type ScheduledSource =
  | { db: 'instance'; identifier: string; mode: 'snapshot' }
  | { db: 'cluster'; identifier: string; mode: 'snapshot' | 'live' }
  | { db: 'image'; identifier: string; mode: 'VMDK' | 'RAW' | 'VHD' }
  | { db: 'ads-agent'; identifier: string; mode: 'lookback'; lookbackHours: number };

export function describeSource(source: ScheduledSource): string {
  switch (source.db) {
    case 'instance':
      return `DB instance ${source.identifier}`;
    case 'cluster':
      return `DB cluster ${source.identifier}${source.mode === 'live' ? ' (live)' : ''}`;
    case 'image':
      return `EC2 image ${source.identifier} (${source.mode})`;
    case 'ads-agent':
      return `ADS agent ${source.identifier} (last ${source.lookbackHours} h)`;
  }
}

export type PlanOutcome = 'started' | 'already-exported' | 'already-running' | 'execution-exists' | 'no-snapshot' | 'not-found' | 'failed';

export interface SourcePlan {
  source: string;
  outcome: PlanOutcome;
  sourceArn?: string;
  executionName?: string;
  executionArn?: string;
  detail?: string;
  error?: { name: string; message: string };
}

export function isAvailable(snapshot: Pick<SnapshotInfo, 'status'>): boolean {
  return snapshot.status.toLowerCase() === 'available';
}

/** The newest available snapshot; older ones are never exported in its place (that data is stale). */
export function pickLatestAvailable(snapshots: readonly SnapshotInfo[]): SnapshotInfo | undefined {
  let latest: SnapshotInfo | undefined;
  for (const snapshot of snapshots) {
    if (!isAvailable(snapshot)) continue;
    if (!latest || compareCreation(snapshot, latest) > 0) latest = snapshot;
  }
  return latest;
}

function compareCreation(a: SnapshotInfo, b: SnapshotInfo): number {
  const byTime = (a.createdAt?.getTime() ?? -Infinity) - (b.createdAt?.getTime() ?? -Infinity);
  // Equal times (one clock tick): the ARN decides, so two runs pick the same snapshot.
  return byTime !== 0 ? byTime : a.arn.localeCompare(b.arn);
}

/** Statuses are compared in any case: RDS documents uppercase, the filter wants lowercase, emulators answer lowercase. */
export function exportProgress(tasks: readonly { status: string }[]): 'complete' | 'running' | 'none' {
  const statuses = tasks.map((task) => task.status.toLowerCase());
  if (statuses.includes('complete')) return 'complete';
  if (statuses.some((status) => status === 'starting' || status === 'in_progress')) return 'running';
  return 'none';
}

export interface PlannerDeps {
  catalog: Pick<SnapshotCatalog, 'snapshotsOf' | 'clusterArn'>;
  exports: ExportHistory;
  starter: ExecutionStarter;
}

/**
 * Plans every source in order. A source that fails is recorded as `failed` and the others go on:
 * one broken DB must not stop the exports of the rest.
 */
export async function planExports(sources: readonly ScheduledSource[], deps: PlannerDeps, now: Date): Promise<SourcePlan[]> {
  const plans: SourcePlan[] = [];
  for (const source of sources) {
    try {
      plans.push(await planSource(source, deps, now));
    } catch (error) {
      const e = error as Error;
      plans.push({ source: describeSource(source), outcome: 'failed', error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) } });
    }
  }
  return plans;
}

export async function planSource(source: ScheduledSource, deps: PlannerDeps, now: Date): Promise<SourcePlan> {
  switch (source.db) {
    case 'image':
      return startOtherKind(source, { kind: 'ec2-image', imageId: source.identifier, diskImageFormat: source.mode }, deps.starter, now);
    case 'ads-agent': {
      const startTime = new Date(now.getTime() - source.lookbackHours * 3600_000).toISOString();
      return startOtherKind(source, { kind: 'ads', agentIds: [source.identifier], startTime, endTime: now.toISOString() }, deps.starter, now);
    }
    default:
      return source.mode === 'live' ? planLiveCluster(source.identifier, deps, now) : planLatestSnapshot(source, deps, now);
  }
}

/**
 * EC2 images and ADS agents have no snapshot to pick: each scheduled run exports them once, named
 * after the source and the schedule's minute, so a retried run starts nothing twice.
 */
async function startOtherKind(source: ScheduledSource, input: Record<string, unknown>, starter: ExecutionStarter, now: Date): Promise<SourcePlan> {
  const minute = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 't');
  const name = `${input.kind}-${source.identifier}-${source.mode.toLowerCase()}-${minute}`.slice(0, 80);
  const plan = { source: describeSource(source) };
  const started = await starter.start(name, input);
  return started.started
    ? { ...plan, outcome: 'started', executionName: name, ...(started.executionArn ? { executionArn: started.executionArn } : {}) }
    : { ...plan, outcome: 'execution-exists', executionName: name, detail: 'an execution of this name exists (an earlier run of this schedule)' };
}

async function planLatestSnapshot(
  source: Extract<ScheduledSource, { db: 'instance' | 'cluster' }>,
  { catalog, exports, starter }: PlannerDeps,
  now: Date,
): Promise<SourcePlan> {
  const label = describeSource(source);
  const snapshots = await catalog.snapshotsOf({ db: source.db, identifier: source.identifier });
  if (!snapshots) return { source: label, outcome: 'not-found', detail: `RDS does not know ${label}` };
  const latest = pickLatestAvailable(snapshots);
  if (!latest) {
    return { source: label, outcome: 'no-snapshot', detail: `no available snapshot among ${snapshots.length} (an unknown DB also has none)` };
  }
  const plan = { source: label, sourceArn: latest.arn };
  switch (exportProgress(await exports.exportsOf(latest.arn))) {
    case 'complete':
      return { ...plan, outcome: 'already-exported' };
    case 'running':
      return { ...plan, outcome: 'already-running', detail: 'an export task of this snapshot is starting or in progress' };
    case 'none':
      return start(plan, latest.arn, starter, now);
  }
}

async function planLiveCluster(identifier: string, { catalog, exports, starter }: PlannerDeps, now: Date): Promise<SourcePlan> {
  const label = describeSource({ db: 'cluster', identifier, mode: 'live' });
  const clusterArn = await catalog.clusterArn(identifier);
  if (!clusterArn) return { source: label, outcome: 'not-found', detail: `RDS does not know ${label}` };
  const plan = { source: label, sourceArn: clusterArn };
  // RDS runs one export per source at a time; a complete one is no reason to skip: live data moves on.
  if (exportProgress(await exports.exportsOf(clusterArn)) === 'running') {
    return { ...plan, outcome: 'already-running', detail: 'an export task of this cluster is starting or in progress' };
  }
  return start(plan, clusterArn, starter, now);
}

async function start(plan: { source: string; sourceArn: string }, arn: string, starter: ExecutionStarter, now: Date): Promise<SourcePlan> {
  const source = parseSourceArn(arn);
  if (!source) throw new ExportServiceError(`RDS answered ${arn}, which is not an exportable RDS ARN`);
  const name = executionName(source, now);
  const started = await starter.start(name, { sourceArn: arn });
  return started.started
    ? { ...plan, outcome: 'started', executionName: name, ...(started.executionArn ? { executionArn: started.executionArn } : {}) }
    : { ...plan, outcome: 'execution-exists', executionName: name, detail: 'an execution of this name exists (started by an event or an earlier run)' };
}

/**
 * One or more scheduled sources failed. Thrown after every source was planned so the invocation
 * fails (Lambda retries it, the Errors metric and its alarm see it); the retry is safe because
 * every start is deduplicated by its execution name.
 */
export class ScheduledExportsFailed extends NamedError {
  constructor(readonly failures: SourcePlan[]) {
    super(
      `${failures.length} scheduled source(s) failed: ` +
        failures.map((plan) => `${plan.source}: ${plan.error ? `${plan.error.name}: ${plan.error.message}` : plan.outcome}`).join('; '),
    );
  }
}

function firstValidDate(...candidates: (string | undefined)[]): Date | undefined {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const date = new Date(candidate);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return undefined;
}

/** The time a scheduled event was due: the same on Lambda's retries, so a live cluster's name dedups them. */
export function scheduledTime(event: unknown, now: Date): Date {
  return firstValidDate((event as { time?: string } | null | undefined)?.time) ?? now;
}
