import type { HttpRequest } from '@smithy/types';
import { placeKey, placeOfArn, samePlace, type Place } from '../shared/accounts/place.ts';
import { QueryError, queryList, type QueryService } from './aws-query.ts';
import { callerOf, type LocalIdentities } from './identity.ts';
import type { Random } from './random.ts';

/** How one simulated export behaves once started. */
export interface ExportBehaviour {
  /** Time spent in STARTING at 0 % before the export begins. */
  startingSeconds: number;
  /** Time from IN_PROGRESS to COMPLETE. */
  exportSeconds: number;
  /** Progress over time: steady, or with stalls and bursts. */
  progress: 'steady' | 'uneven';
  /** The export FAILS when it reaches this percentage. */
  failAtPercent?: number;
  /** How long CANCELING lasts before CANCELED. */
  cancelSeconds: number;
  /** Simulated data size of a completed export. */
  dataGb: number;
}

export interface SimulatedTask {
  id: string;
  sourceArn: string;
  s3Bucket: string;
  s3Prefix: string;
  iamRoleArn: string;
  kmsKeyId: string;
  exportOnly: string[];
  behaviour: ExportBehaviour;
  /** Cumulative progress curve: fraction of the work done at fraction x of the time (0..1 → 0..1). */
  curve: (x: number) => number;
  createdAt: number;
  canceledAt?: number;
  /** When the workflow first read this task's final status; with `endedAt`, the detection latency. */
  terminalSeenAt?: number;
  /** Started by someone else (startOutsideWorkflow), not by the workflow. */
  outsideWorkflow?: boolean;
}

type RdsStatus = 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'CANCELING' | 'CANCELED';

/** The statuses that hold one of the place's (account and region's) export slots. */
const SLOT_HOLDING = new Set<string>(['STARTING', 'IN_PROGRESS', 'CANCELING']);

export interface SimulatorOptions {
  /** Sources that exist; any other SourceArn is answered with the service's not-found error. */
  sources: (arn: string) => boolean;
  /** The snapshots DescribeDBSnapshots / DescribeDBClusterSnapshots know (ARNs), all available. */
  snapshots?: () => string[];
  /** When a snapshot was created (ms); the current time when absent. */
  snapshotCreatedAt?: (arn: string) => number | undefined;
  /** The behaviour of the export of a source. */
  behaviourFor: (sourceArn: string) => ExportBehaviour;
  random: Random;
  /** Share (0-1) of calls answered with a Throttling error, as RDS does above ~12 requests/s. */
  throttleRate: number;
  /** A further share (0-1) of the calls of one place answered with Throttling: an account whose RDS API is busy. */
  placeThrottleRate?: (place: Place) => number;
  /** Returns the current (virtual) time in ms. */
  now?: () => number;
  /** Concurrent export tasks each account and region may run (STARTING, IN_PROGRESS, CANCELING); RDS's default is 5. */
  quota?: number | ((place: Place) => number);
  /** Injected faults (local/faults.ts): the error to answer instead, while a fault window is open. */
  fault?: (operation: string) => Error | undefined;
  /** Called when a task reaches its final status, as RDS emits its export events. */
  onTaskEnded?: (task: SimulatedTask, status: 'COMPLETE' | 'FAILED' | 'CANCELED') => void;
  /** Called as the n-th StartExportTask (from 1) arrives, before it is answered: where a test lets someone else start an export first. */
  beforeStart?: (n: number) => void;
  /**
   * When given, every call must be signed with good credentials (local/identity.ts), and the
   * caller sees its own place only, as RDS does: a source of another account or region is not
   * found, nor are its export tasks or snapshots. So a call made without the member's assumed role shows.
   */
  identities?: LocalIdentities;
}

/**
 * The RDS export service on a virtual clock: StartExportTask, DescribeExportTasks (with Filters and
 * Marker paging) and CancelExportTask, with the service's own statuses, fields and error codes.
 *
 * As RDS, per account and region (a place): the export quota, the tasks a listing sees and the
 * throttling. A request's place is its caller's (the account of its key, the region it signed for:
 * local/identity.ts); an unsigned one (a client of the home account that checks nothing) is placed
 * by the source or task it names, and sees every place.
 */
export class RdsExportSimulator implements QueryService {
  readonly tasks = new Map<string, SimulatedTask>();
  readonly calls: Record<string, number> = {};
  /** When each account's calls came (virtual ms), by account: the API budget is per account. */
  readonly callTimesByAccount = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: SimulatorOptions) {
    this.now = options.now ?? Date.now;
  }

  handle(action: string, params: URLSearchParams, request?: HttpRequest): Record<string, unknown> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    const signed = request && callerOf(request);
    const caller = this.options.identities ? this.options.identities.verify(signed) : signed;
    const place = caller ?? this.placeNamed(params);
    if (place) {
      const times = this.callTimesByAccount.get(place.account) ?? [];
      if (times.length === 0) this.callTimesByAccount.set(place.account, times);
      times.push(this.now());
    }
    const fault = this.options.fault?.(action);
    if (fault) throw fault;
    const throttleRate = this.options.throttleRate + (place ? (this.options.placeThrottleRate?.(place) ?? 0) : 0);
    if (throttleRate > 0 && this.options.random.next() < throttleRate) {
      throw new QueryError('Throttling', 'Rate exceeded', 400);
    }
    switch (action) {
      case 'StartExportTask':
        return this.view(this.start(params, caller));
      case 'DescribeExportTasks':
        return this.describe(params, caller);
      case 'CancelExportTask':
        return this.view(this.cancel(params.get('ExportTaskIdentifier') ?? '', caller));
      case 'DescribeDBSnapshots':
        return this.describeSnapshots(params, 'snapshot', caller);
      case 'DescribeDBClusterSnapshots':
        return this.describeSnapshots(params, 'cluster-snapshot', caller);
      default:
        throw new QueryError('InvalidAction', `The simulator does not implement ${action}`);
    }
  }

  status(task: SimulatedTask, at = this.now()): { status: RdsStatus; percent: number } {
    const { behaviour } = task;
    const elapsed = (at - task.createdAt) / 1000;
    if (task.canceledAt !== undefined && at >= task.canceledAt) {
      const canceledFor = (at - task.canceledAt) / 1000;
      return { status: canceledFor >= behaviour.cancelSeconds ? 'CANCELED' : 'CANCELING', percent: this.percentAt(task, (task.canceledAt - task.createdAt) / 1000) };
    }
    if (elapsed < behaviour.startingSeconds) return { status: 'STARTING', percent: 0 };
    const percent = this.percentAt(task, elapsed);
    if (behaviour.failAtPercent !== undefined && percent >= behaviour.failAtPercent) {
      return { status: 'FAILED', percent: behaviour.failAtPercent };
    }
    if (elapsed >= behaviour.startingSeconds + behaviour.exportSeconds) return { status: 'COMPLETE', percent: 100 };
    return { status: 'IN_PROGRESS', percent };
  }

  /**
   * The task's real end, whenever it comes (even after the run stopped looking): when, and with
   * which status. A cancel not yet asked for is not foreseen.
   */
  realEnd(task: SimulatedTask): { at: number; status: RdsStatus } {
    const { behaviour } = task;
    const naturalEnd = task.createdAt + (behaviour.startingSeconds + behaviour.exportSeconds) * 1000;
    const failAt = behaviour.failAtPercent === undefined ? Infinity : this.timeOfPercent(task, behaviour.failAtPercent);
    const cancelEnd = task.canceledAt === undefined ? Infinity : task.canceledAt + behaviour.cancelSeconds * 1000;
    const at = Math.min(naturalEnd, failAt, cancelEnd);
    return { at, status: this.status(task, at).status };
  }

  /** When the task reached its final status (ms), or undefined while it runs. */
  endedAt(task: SimulatedTask): number | undefined {
    const { behaviour } = task;
    const naturalEnd = task.createdAt + (behaviour.startingSeconds + behaviour.exportSeconds) * 1000;
    const failAt = behaviour.failAtPercent === undefined ? undefined : this.timeOfPercent(task, behaviour.failAtPercent);
    const cancelEnd = task.canceledAt === undefined ? undefined : task.canceledAt + behaviour.cancelSeconds * 1000;
    const end = Math.min(naturalEnd, failAt ?? Infinity, cancelEnd ?? Infinity);
    return end <= this.now() ? end : undefined;
  }

  /**
   * An export started outside the workflow (the console, another tool), under the same quota:
   * false when the quota is full. It is not counted among the API calls.
   */
  startOutsideWorkflow(id: string, sourceArn: string, behaviour: ExportBehaviour): boolean {
    const place = placeOfArn(sourceArn);
    if (this.activeCount(this.now(), place) >= this.quotaOf(place)) return false;
    const task: SimulatedTask = { id, sourceArn, s3Bucket: 'elsewhere', s3Prefix: '', iamRoleArn: '', kmsKeyId: '', exportOnly: [], behaviour, curve: (x) => x, createdAt: this.now(), outsideWorkflow: true };
    this.add(task);
    return true;
  }

  /** The quota of a place (of the place a source is in). */
  quotaOf(place: Place | undefined): number {
    const { quota = 5 } = this.options;
    return typeof quota === 'number' ? quota : place ? quota(place) : 5;
  }

  /** The place a request names, for one without a caller: its source's, or its task's. */
  private placeNamed(params: URLSearchParams): Place | undefined {
    const sourceArn = params.get('SourceArn');
    if (sourceArn) return placeOfArn(sourceArn);
    const task = this.tasks.get(params.get('ExportTaskIdentifier')?.toLowerCase() ?? '');
    return task ? placeOfArn(task.sourceArn) : undefined;
  }

  private add(task: SimulatedTask): void {
    this.tasks.set(task.id, task);
    this.unfinished.add(task);
    const key = keyOfSource(task.sourceArn);
    let here = this.unfinishedByPlace.get(key);
    if (!here) this.unfinishedByPlace.set(key, (here = new Set()));
    here.add(task);
  }

  private starts = 0;

  private start(params: URLSearchParams, caller: Place | undefined): SimulatedTask {
    this.options.beforeStart?.(++this.starts);
    const id = required(params, 'ExportTaskIdentifier').toLowerCase();
    const sourceArn = required(params, 'SourceArn');
    // Another account's snapshot is not the caller's to see: RDS answers as for one that does not exist.
    if (!visibleTo(caller, sourceArn)) throw notFound(sourceArn);
    if (this.tasks.has(id)) throw new QueryError('ExportTaskAlreadyExists', `Cannot start export task because a task with the identifier ${id} already exists.`);
    if (!this.options.sources(sourceArn)) throw notFound(sourceArn);
    // The quota is the source's place's (which is the caller's when calls are checked).
    const place = placeOfArn(sourceArn);
    const quota = this.quotaOf(place);
    if (this.activeCount(this.now(), place) >= quota) {
      // RDS's own answer past the quota (which is 5 unless raised: the message names the account's).
      throw new QueryError('ExportTaskLimitReachedFault', `You have reached the limit of ${quota} concurrent export tasks.`);
    }
    const behaviour = this.options.behaviourFor(sourceArn);
    const task: SimulatedTask = {
      id,
      sourceArn,
      s3Bucket: required(params, 'S3BucketName'),
      s3Prefix: params.get('S3Prefix') ?? '',
      iamRoleArn: required(params, 'IamRoleArn'),
      kmsKeyId: required(params, 'KmsKeyId'),
      exportOnly: queryList(params, 'ExportOnly'),
      behaviour,
      curve: behaviour.progress === 'steady' ? (x) => x : unevenCurve(this.options.random),
      createdAt: this.now(),
    };
    this.add(task);
    this.reportEndAt(task, (behaviour.startingSeconds + behaviour.exportSeconds) * 1000);
    if (behaviour.failAtPercent !== undefined) this.reportEndAt(task, this.timeOfPercent(task, behaviour.failAtPercent) - task.createdAt);
    return task;
  }

  /** Tasks holding a slot now: in one place, or (no place) in all. */
  activeCount(at = this.now(), place?: Place): number {
    return this.unfinishedTasks(place).filter((task) => SLOT_HOLDING.has(this.status(task, at).status)).length;
  }

  /** Tasks that have not ended, in the order they started, in all places and per place; the ended ones are dropped as they are met. */
  private readonly unfinished = new Set<SimulatedTask>();
  private readonly unfinishedByPlace = new Map<string, Set<SimulatedTask>>();

  private unfinishedTasks(place?: Place): SimulatedTask[] {
    const tasks = place ? this.unfinishedByPlace.get(placeKey(place)) ?? new Set<SimulatedTask>() : this.unfinished;
    for (const task of tasks) {
      if (this.endedAt(task) === undefined) continue;
      this.unfinished.delete(task);
      this.unfinishedByPlace.get(keyOfSource(task.sourceArn))?.delete(task);
    }
    return [...tasks];
  }

  /**
   * The tasks a describe can match, without reading all of them: by identifier one, with a status
   * filter of running statuses only the unfinished ones of the caller's place (what the dispatcher
   * asks on every round).
   */
  private candidates(id: string | undefined, filters: Map<string, string[]>, caller: Place | undefined): SimulatedTask[] {
    if (id) return [this.tasks.get(id)!];
    const statuses = filters.get('status');
    if (statuses && statuses.every((status) => SLOT_HOLDING.has(status.toUpperCase()))) return this.unfinishedTasks(caller);
    return [...this.tasks.values()];
  }

  private readonly reported = new Set<string>();

  private reportEndAt(task: SimulatedTask, afterMs: number): void {
    const onTaskEnded = this.options.onTaskEnded;
    if (!onTaskEnded) return;
    setTimeout(() => {
      const { status } = this.status(task);
      if ((status === 'COMPLETE' || status === 'FAILED' || status === 'CANCELED') && !this.reported.has(task.id)) {
        this.reported.add(task.id);
        onTaskEnded(task, status);
      }
    }, Math.max(0, task.createdAt + afterMs - this.now()));
  }

  private describe(params: URLSearchParams, caller: Place | undefined): Record<string, unknown> {
    const id = params.get('ExportTaskIdentifier')?.toLowerCase();
    const sourceArn = params.get('SourceArn');
    const filters = new Map<string, string[]>();
    for (let i = 1; params.has(`Filters.Filter.${i}.Name`); i++) {
      filters.set(params.get(`Filters.Filter.${i}.Name`)!, queryList(params, `Filters.Filter.${i}.Values`, 'Value').map((v) => v.toLowerCase()));
    }
    if (id && (!this.tasks.has(id) || !visibleTo(caller, this.tasks.get(id)!.sourceArn))) throw new QueryError('ExportTaskNotFound', `Cannot find export task with identifier ${id}.`, 404);
    const matching = this.candidates(id, filters, caller).filter((task) => {
      const { status } = this.status(task);
      return (
        (!id || task.id === id) &&
        visibleTo(caller, task.sourceArn) &&
        (!sourceArn || task.sourceArn === sourceArn) &&
        [...filters].every(([name, values]) => values.includes(filterValue(task, name, status).toLowerCase()))
      );
    });
    const pageSize = Math.max(20, Math.min(100, Number(params.get('MaxRecords') ?? 100)));
    const offset = Number(params.get('Marker') ?? 0);
    const page = matching.slice(offset, offset + pageSize);
    for (const task of page) if (this.endedAt(task) !== undefined) task.terminalSeenAt ??= this.now();
    return {
      ExportTasks: { $name: 'ExportTask', $items: page.map((task) => this.view(task)) },
      Marker: offset + pageSize < matching.length ? String(offset + pageSize) : undefined,
    };
  }

  /**
   * By identifier, as the snapshot trigger asks, or every snapshot of the account page by page
   * (Marker, MaxRecords 20-100), as the reconciliation sweep lists them: enough of each for the selection.
   */
  private describeSnapshots(params: URLSearchParams, kind: 'snapshot' | 'cluster-snapshot', caller: Place | undefined): Record<string, unknown> {
    const cluster = kind === 'cluster-snapshot';
    const identifier = params.get(cluster ? 'DBClusterSnapshotIdentifier' : 'DBSnapshotIdentifier');
    const ofKind = (this.options.snapshots?.() ?? []).filter((arn) => arn.includes(`:${kind}:`) && visibleTo(caller, arn));
    const found = identifier ? ofKind.filter((arn) => arn.endsWith(`:${kind}:${identifier}`)) : ofKind;
    if (identifier && found.length === 0) {
      throw cluster
        ? new QueryError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${identifier} not found.`, 404)
        : new QueryError('DBSnapshotNotFound', `DBSnapshot ${identifier} not found.`, 404);
    }
    const nameOf = (arn: string) => arn.slice(arn.indexOf(`:${kind}:`) + kind.length + 2);
    const typeOf = (arn: string) => (nameOf(arn).startsWith('rds:') ? 'automated' : 'manual');
    // Only manual and automated snapshots exist here: asked for another type, RDS has none.
    const type = params.get('SnapshotType');
    const typed = type ? found.filter((arn) => typeOf(arn) === type) : found;
    const pageSize = Math.max(20, Math.min(100, Number(params.get('MaxRecords') ?? 100)));
    const offset = Number(params.get('Marker') ?? 0);
    // Only the page is described: a sweep of a large account pages through it every hour.
    const page = typed.slice(offset, offset + pageSize).map((arn) => {
      const name = nameOf(arn);
      const database = name.replace(/^rds:/, '').replace(/-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$/, '');
      return {
        [cluster ? 'DBClusterSnapshotIdentifier' : 'DBSnapshotIdentifier']: name,
        [cluster ? 'DBClusterIdentifier' : 'DBInstanceIdentifier']: database,
        [cluster ? 'DBClusterSnapshotArn' : 'DBSnapshotArn']: arn,
        SnapshotCreateTime: new Date(this.options.snapshotCreatedAt?.(arn) ?? this.now()),
        Status: 'available',
        SnapshotType: typeOf(arn),
      };
    });
    const list = cluster ? 'DBClusterSnapshots' : 'DBSnapshots';
    return {
      [list]: { $name: cluster ? 'DBClusterSnapshot' : 'DBSnapshot', $items: page },
      Marker: offset + pageSize < typed.length ? String(offset + pageSize) : undefined,
    };
  }

  private cancel(rawId: string, caller: Place | undefined): SimulatedTask {
    const task = this.tasks.get(rawId.toLowerCase());
    if (!task || !visibleTo(caller, task.sourceArn)) throw new QueryError('ExportTaskNotFound', `Cannot find export task with identifier ${rawId}.`, 404);
    const { status } = this.status(task);
    if (status !== 'STARTING' && status !== 'IN_PROGRESS') {
      throw new QueryError('InvalidExportTaskStateFault', `Cannot cancel export task ${task.id} because it is ${status}.`);
    }
    task.canceledAt = this.now();
    this.reportEndAt(task, task.canceledAt - task.createdAt + task.behaviour.cancelSeconds * 1000);
    return task;
  }

  private view(task: SimulatedTask): Record<string, unknown> {
    const { status, percent } = this.status(task);
    const behaviour = task.behaviour;
    const started = status !== 'STARTING';
    const ended = this.endedAt(task);
    return {
      ExportTaskIdentifier: task.id,
      SourceArn: task.sourceArn,
      ExportOnly: task.exportOnly.length > 0 ? task.exportOnly : undefined,
      SnapshotTime: new Date(task.createdAt),
      TaskStartTime: started ? new Date(task.createdAt + behaviour.startingSeconds * 1000) : undefined,
      TaskEndTime: ended !== undefined ? new Date(ended) : undefined,
      S3Bucket: task.s3Bucket,
      S3Prefix: task.s3Prefix || undefined,
      IamRoleArn: task.iamRoleArn,
      KmsKeyId: task.kmsKeyId,
      Status: status,
      PercentProgress: percent,
      TotalExtractedDataInGB: status === 'COMPLETE' ? behaviour.dataGb : undefined,
      FailureCause: status === 'FAILED' ? `The export failed at ${percent}%: S3 write access was denied for ${task.iamRoleArn} (simulated).` : undefined,
      SourceType: /:cluster:/.test(task.sourceArn) ? 'CLUSTER' : 'SNAPSHOT',
    };
  }

  private percentAt(task: SimulatedTask, elapsedSeconds: number): number {
    const x = (elapsedSeconds - task.behaviour.startingSeconds) / task.behaviour.exportSeconds;
    if (x <= 0) return 0;
    return Math.min(100, Math.floor(100 * task.curve(Math.min(1, x))));
  }

  private timeOfPercent(task: SimulatedTask, percent: number): number {
    // The curve is monotone: bisect for the first time it reaches `percent`.
    let [lo, hi] = [0, 1];
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (Math.floor(100 * task.curve(mid)) >= percent) hi = mid;
      else lo = mid;
    }
    return task.createdAt + (task.behaviour.startingSeconds + hi * task.behaviour.exportSeconds) * 1000;
  }
}

/** The key of the place a task's source is in ('' for a source with none). */
function keyOfSource(sourceArn: string): string {
  const place = placeOfArn(sourceArn);
  return place ? placeKey(place) : '';
}

/** Whether a resource is the caller's: of its account and of the region it called (anyone's when calls are not checked). */
function visibleTo(caller: Place | undefined, arn: string): boolean {
  if (!caller) return true;
  const place = placeOfArn(arn);
  return place !== undefined && samePlace(place, caller);
}

function filterValue(task: SimulatedTask, name: string, status: string): string {
  switch (name) {
    case 'export-task-identifier':
      return task.id;
    case 's3-bucket':
      return task.s3Bucket;
    case 'source-arn':
      return task.sourceArn;
    case 'status':
      return status;
    case 'source-type':
      return /:cluster:/.test(task.sourceArn) ? 'CLUSTER' : 'SNAPSHOT';
    default:
      throw new QueryError('InvalidParameterValue', `Unknown filter name ${name}`);
  }
}

function notFound(sourceArn: string): QueryError {
  if (/:cluster-snapshot:/.test(sourceArn)) return new QueryError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${sourceArn} not found.`, 404);
  if (/:cluster:/.test(sourceArn)) return new QueryError('DBClusterNotFoundFault', `DBCluster ${sourceArn} not found.`, 404);
  return new QueryError('DBSnapshotNotFound', `DBSnapshot ${sourceArn} not found.`, 404);
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new QueryError('InvalidParameterValue', `${name} is required`);
  return value;
}

/**
 * Stalls and bursts: ten stretches of equal time whose rates are drawn at random (some near zero),
 * normalised so the export still ends on time. Monotone, from (0,0) to (1,1).
 */
function unevenCurve(random: Random): (x: number) => number {
  const rates = Array.from({ length: 10 }, () => (random.next() < 0.3 ? 0.02 : 0.3 + random.next() * 2));
  const total = rates.reduce((sum, rate) => sum + rate, 0);
  const cumulative = [0];
  for (const rate of rates) cumulative.push(cumulative.at(-1)! + rate / total);
  return (x) => {
    const scaled = x * rates.length;
    const index = Math.min(rates.length - 1, Math.floor(scaled));
    return cumulative[index]! + (scaled - index) * (rates[index]! / total);
  };
}
