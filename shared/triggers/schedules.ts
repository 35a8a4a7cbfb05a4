import { ExportServiceError, NamedError } from '../runtime/errors.ts';
import { parseSourceArn } from '../export-kinds/rds/source.ts';
import type { ExecutionStarter } from '../workflow/step-functions.ts';
import { executionName } from './selection.ts';
import { isAvailable, type ExportHistory, type SnapshotCatalog, type SnapshotInfo } from './snapshots.ts';

/** The planner (functions/plan-exports): each scheduled run starts the exports of SCHEDULED_SOURCES. */

/**
 * One entry of SCHEDULED_SOURCES. A DB instance is only ever exported from a snapshot; an AMI is
 * exported as a disk image; an ADS agent's data over the last `lookbackHours`.
 */
export type ScheduledSource =
  | ({ resource: 'instance'; identifier: string; mode: 'snapshot' } & SourcePlace)
  | ({ resource: 'cluster'; identifier: string; mode: 'snapshot' | 'live' } & SourcePlace)
  | { resource: 'image'; identifier: string; mode: 'VMDK' | 'RAW' | 'VHD' }
  | { resource: 'ads-agent'; identifier: string; mode: 'lookback'; lookbackHours: number };

/** A DB of a member account or another served Region; absent: the stack's own account, its Region. */
export interface SourcePlace {
  account?: string;
  region?: string;
}

export function describeSource(source: ScheduledSource): string {
  const where = (place: SourcePlace) => (place.account || place.region ? ` in ${place.account ?? 'this account'}/${place.region ?? "the stack's Region"}` : '');
  switch (source.resource) {
    case 'instance':
      return `DB instance ${source.identifier}${where(source)}`;
    case 'cluster':
      return `DB cluster ${source.identifier}${source.mode === 'live' ? ' (live)' : ''}${where(source)}`;
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
  /** RDS in a source's account or Region (a member's through its role); the sources that name one are asked there. */
  inPlace?: (place: SourcePlace) => Pick<PlannerDeps, 'catalog' | 'exports'>;
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
  switch (source.resource) {
    case 'image':
      return startOtherKind(source, { kind: 'ec2-image', imageId: source.identifier, diskImageFormat: source.mode }, deps.starter, now);
    case 'ads-agent': {
      const startTime = new Date(now.getTime() - source.lookbackHours * 3600_000).toISOString();
      return startOtherKind(source, { kind: 'ads', agentIds: [source.identifier], startTime, endTime: now.toISOString() }, deps.starter, now);
    }
    default: {
      const there = (source.account || source.region) && deps.inPlace ? { ...deps, ...deps.inPlace({ ...(source.account ? { account: source.account } : {}), ...(source.region ? { region: source.region } : {}) }) } : deps;
      return source.mode === 'live' ? planLiveCluster(source, there, now) : planLatestSnapshot(source, there, now);
    }
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
  source: Extract<ScheduledSource, { resource: 'instance' | 'cluster' }>,
  { catalog, exports, starter }: PlannerDeps,
  now: Date,
): Promise<SourcePlan> {
  const label = describeSource(source);
  const snapshots = await catalog.snapshotsOf({ db: source.resource, identifier: source.identifier });
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

async function planLiveCluster(source: Extract<ScheduledSource, { resource: 'cluster' }>, { catalog, exports, starter }: PlannerDeps, now: Date): Promise<SourcePlan> {
  const label = describeSource(source);
  const clusterArn = await catalog.clusterArn(source.identifier);
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
