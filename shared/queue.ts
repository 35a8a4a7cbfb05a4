import type { CoordinationStore, Lease, QueueEntry } from './aws/coordination-store.ts';
import type { TaskCallbacks } from './aws/step-functions.ts';
import { logger } from './lambda.ts';

/**
 * The account's export slots. RDS runs at most `quota` export tasks at once (snapshot and cluster
 * alike) and one per source. Executions wait for a slot in a queue, parked on a task token: waiting
 * costs no state transition and no RDS call. Whenever a slot may have freed (an execution queued,
 * an export ended, the periodic tick) the dispatcher hands free slots to the oldest entries.
 */

export interface ActiveExport {
  exportId: string;
  sourceArn: string;
}

/** The export tasks that hold a slot right now, whoever started them. */
export interface ActiveExports {
  active(): Promise<ActiveExport[]>;
}

export interface DispatchDeps {
  store: CoordinationStore;
  exports: ActiveExports;
  callbacks: TaskCallbacks;
  quota: number;
  /** How long a handed-out slot is held for an export that RDS does not list yet. */
  leaseSeconds: number;
}

export interface DispatchPlan {
  /** Oldest first, at most the free slots, never two for one source, none for a busy source. */
  release: QueueEntry[];
  /** The next eligible entries, in order: they take the slot of a released execution that is gone. */
  standby: QueueEntry[];
  /** Entries whose deadline passed while they waited. */
  expire: QueueEntry[];
  /** Leases no longer needed: expired, or their export now listed by RDS. */
  staleLeases: Lease[];
  free: number;
}

export function planDispatch(queue: QueueEntry[], leases: Lease[], active: ActiveExport[], quota: number, now: Date): DispatchPlan {
  const activeIds = new Set(active.map((task) => task.exportId.toLowerCase()));
  const isStale = (lease: Lease) => Date.parse(lease.expiresAt) <= now.getTime() || activeIds.has(lease.exportId.toLowerCase());
  const liveLeases = leases.filter((lease) => !isStale(lease));
  const busySources = new Set([...active, ...liveLeases].map((held) => held.sourceArn));
  let free = quota - active.length - liveLeases.length;
  const plan: DispatchPlan = { release: [], standby: [], expire: [], staleLeases: leases.filter(isStale), free: Math.max(0, free) };
  for (const entry of [...queue].sort(firstComeFirstServed)) {
    if (Date.parse(entry.release.request.deadline) <= now.getTime()) plan.expire.push(entry);
    else if (!busySources.has(entry.sourceArn)) {
      (free > 0 ? plan.release : plan.standby).push(entry);
      busySources.add(entry.sourceArn);
      free--;
    }
  }
  return plan;
}

export interface DispatchResult {
  released: string[];
  expired: string[];
  /** -1 when another dispatcher held the lock (and was asked for one more round). */
  waiting: number;
  active: number;
}

/** How long a dispatcher may hold the lock: longer than a Lambda's run, short enough to survive a crash. */
const LOCK_SECONDS = 60;

/**
 * Hands free slots out, one dispatcher at a time: two at once would both see the same free slots.
 * A dispatcher that finds the lock taken asks the holder for another round instead.
 */
export async function dispatch(deps: DispatchDeps, now: Date): Promise<DispatchResult> {
  const { store } = deps;
  if (await nothingToDo(store)) return { released: [], expired: [], waiting: 0, active: 0 };
  if (!(await store.tryLock(now, LOCK_SECONDS))) {
    await store.markDirty();
    return { released: [], expired: [], waiting: -1, active: -1 };
  }
  try {
    let result = await dispatchRound(deps, now);
    while (await store.takeDirty()) {
      const again = await dispatchRound(deps, now);
      result = { released: [...result.released, ...again.released], expired: [...result.expired, ...again.expired], waiting: again.waiting, active: again.active };
    }
    return result;
  } finally {
    await store.unlock();
  }
}

/** Nobody waits and no slot is lent: no lock to take, and no need to ask RDS (shared, throttled per account) what runs. */
/**
 * For callers whose own work is done either way (an execution queued, a poll that saw the end):
 * a failed dispatch is logged, and the next trigger or the schedule hands the slot out.
 */
export async function dispatchBestEffort(deps: DispatchDeps, now: Date): Promise<DispatchResult | undefined> {
  try {
    return await dispatch(deps, now);
  } catch (error) {
    logger.warn('could not dispatch export slots now; the dispatcher schedule will', { error });
    return undefined;
  }
}

async function nothingToDo(store: DispatchDeps['store']): Promise<boolean> {
  const [queue, leases] = await Promise.all([store.waiting(), store.leases()]);
  return queue.length === 0 && leases.length === 0;
}

async function dispatchRound(deps: DispatchDeps, now: Date): Promise<DispatchResult> {
  const { store, callbacks } = deps;
  const [queue, leases, active] = await Promise.all([store.waiting(), store.leases(), deps.exports.active()]);
  const plan = planDispatch(queue, leases, active, deps.quota, now);
  const released: string[] = [];
  const expired: string[] = [];
  for (const entry of plan.expire) {
    if (!(await store.claim(entry))) continue;
    await callbacks.fail(entry.token, 'ExportTimedOut', `The deadline ${entry.release.request.deadline} passed while the export waited for a free export slot.`);
    expired.push(entry.exportId);
  }
  const candidates = [...plan.release, ...plan.standby];
  while (released.length < plan.free && candidates.length > 0) {
    const entry = candidates.shift()!;
    // Claiming first means two dispatchers never hand out the same entry.
    if (!(await store.claim(entry))) continue;
    await store.putLease({ exportId: entry.exportId, sourceArn: entry.sourceArn, expiresAt: new Date(now.getTime() + deps.leaseSeconds * 1000).toISOString() });
    if (await callbacks.succeed(entry.token, entry.release)) released.push(entry.exportId);
    else await store.dropLease(entry.exportId); // the execution is gone: its slot goes to the next one
  }
  await Promise.all(plan.staleLeases.map((lease) => store.dropLease(lease.exportId)));
  return { released, expired, waiting: queue.length - released.length - expired.length, active: active.length };
}

function firstComeFirstServed(a: QueueEntry, b: QueueEntry): number {
  return a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : a.exportId.localeCompare(b.exportId);
}
