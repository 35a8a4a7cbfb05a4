import type { CoordinationStore, Lease, QueueEntry } from './store.ts';
import type { TaskCallbacks } from '../workflow/step-functions.ts';
import { ASL_ERROR_NAMES, TransientAwsError } from '../runtime/errors.ts';
import { logger } from '../runtime/logger.ts';
import type { StartInput } from './store.ts';

/**
 * The account's export slots. RDS runs at most `quota` export tasks at once (snapshot and cluster
 * alike) and one per source. Executions wait for a slot in a queue, parked on a task token: waiting
 * costs no state transition and no RDS call. Whenever a slot may have freed (an execution queued,
 * an export ended, the periodic tick) the dispatcher hands free slots to the oldest entries.
 *
 * What a dispatch reads is bounded by the free slots, not by the length of the queue: the queue is
 * kept in request-time order, so the dispatcher reads it from the head, a page of about as many
 * entries as there are free slots, and stops as soon as the slots are handed out. Entries past the
 * slot wait limit are the oldest, so they are at the head too: expiring them needs no scan.
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
  /** How long an execution may wait in the queue (from its start) before it is failed with SlotWaitTimedOut. */
  slotWaitLimitSeconds: number;
}

/** What the slots look like before the queue is read: how many are free, and which sources are busy. */
export interface SlotView {
  free: number;
  busySources: Set<string>;
  /** Leases no longer needed: expired, or their export now listed by RDS. */
  staleLeases: Lease[];
}

export function viewSlots(leases: Lease[], active: ActiveExport[], quota: number, now: Date): SlotView {
  const activeIds = new Set(active.map((task) => task.exportId.toLowerCase()));
  const isStale = (lease: Lease) => Date.parse(lease.expiresAt) <= now.getTime() || activeIds.has(lease.exportId.toLowerCase());
  const liveLeases = leases.filter((lease) => !isStale(lease));
  return {
    free: Math.max(0, quota - active.length - liveLeases.length),
    busySources: new Set([...active, ...liveLeases].map((held) => held.sourceArn)),
    staleLeases: leases.filter(isStale),
  };
}

export type QueueAction = 'expire' | 'release' | 'skip' | 'stop';

/**
 * What to do with the entry at the head of what is left of the queue. Entries come oldest first,
 * so once none is past the wait limit and no slot is left, nothing behind can change: stop reading.
 */
export function nextAction(entry: QueueEntry, slots: SlotView, now: Date, slotWaitLimitSeconds: number): QueueAction {
  if (waitLimitPassed(entry, now, slotWaitLimitSeconds)) return 'expire';
  if (slots.free <= 0) return 'stop';
  return slots.busySources.has(entry.sourceArn) ? 'skip' : 'release';
}

export function waitLimitPassed(entry: Pick<QueueEntry, 'requestedAt'>, now: Date, slotWaitLimitSeconds: number): boolean {
  return Date.parse(entry.requestedAt) + slotWaitLimitSeconds * 1000 <= now.getTime();
}

/**
 * The export deadline counts from the moment the export may start, not from queueing: an
 * execution released after a day in the queue still gets its whole deadline.
 */
export function startingNow(release: StartInput, now: Date): StartInput {
  const { request } = release;
  const allowedMs = Date.parse(request.deadline) - Date.parse(request.requestedAt);
  return { ...release, request: { ...request, deadline: new Date(now.getTime() + allowedMs).toISOString() } };
}

export interface DispatchResult {
  released: string[];
  expired: string[];
  /** Entries whose token could not be answered now (Step Functions throttled or failing): still queued, tried again next round. */
  unanswered: string[];
  /** Another dispatcher held the lock (and was asked for one more round). */
  deferred: boolean;
  /** Export tasks holding a slot when the last round looked; -1 when nobody waited (RDS not asked). */
  active: number;
  /** Executions still queued: set by the scheduled dispatcher (functions/dispatch-exports), for its log and metrics. */
  waiting?: number;
}

/** How long a dispatcher may hold the lock: longer than a Lambda's run, short enough to survive a crash. */
const LOCK_SECONDS = 60;

const IDLE: DispatchResult = { released: [], expired: [], unanswered: [], deferred: false, active: -1 };

/**
 * Hands free slots out, one dispatcher at a time: two at once would both see the same free slots.
 * A dispatcher that finds the lock taken asks the holder for another round instead.
 */
export async function dispatch(deps: DispatchDeps, now: Date): Promise<DispatchResult> {
  const { store } = deps;
  // Nobody waits: no lock to take, and no need to ask RDS (shared, throttled per account) what runs.
  // The 5-minute tick on an empty queue costs this one key read.
  const oldest = await store.oldestRequestedAt();
  if (oldest === undefined) return IDLE;
  // Every slot held and nobody past the wait limit (a busy queue's usual tick, or the second
  // dispatch after an export's end): nothing to hand out, so no lock to write. A slot that frees
  // later brings its own dispatch.
  // RDS is asked first: when it lists as many exports as the quota, the leases need no reading.
  const expiring = waitLimitPassed({ requestedAt: oldest }, now, deps.slotWaitLimitSeconds);
  const active = await deps.exports.active();
  if (!expiring && active.length >= deps.quota) return { ...IDLE, active: active.length };
  if (!expiring && viewSlots(await store.leases(), active, deps.quota, now).free === 0) return { ...IDLE, active: active.length };
  if (!(await store.tryLock(now, LOCK_SECONDS))) {
    await store.markDirty();
    return { ...IDLE, deferred: true };
  }
  try {
    let result = await dispatchRound(deps, now);
    while (await store.takeDirty()) {
      const again = await dispatchRound(deps, now);
      result = {
        released: [...result.released, ...again.released],
        expired: [...result.expired, ...again.expired],
        unanswered: [...new Set([...result.unanswered, ...again.unanswered])],
        deferred: false,
        active: again.active,
      };
    }
    return result;
  } finally {
    await store.unlock();
  }
}

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

/** A page holds the entries the free slots need, plus one for an entry that is skipped (busy source) or gone. */
const LOOKAHEAD = 1;
/** However many slots are free (a raised quota), a page stays a small read. */
const MAX_PAGE = 100;

async function dispatchRound(deps: DispatchDeps, now: Date): Promise<DispatchResult> {
  const { store } = deps;
  // Looked at again under the lock: what another dispatcher handed out meanwhile is counted.
  const [leases, active] = await Promise.all([store.leases(), deps.exports.active()]);
  const slots = viewSlots(leases, active, deps.quota, now);
  await Promise.all(slots.staleLeases.map((lease) => store.dropLease(lease.exportId)));
  const result: DispatchResult = { released: [], expired: [], unanswered: [], deferred: false, active: active.length };
  let after: string | undefined;
  reading: do {
    const page = await store.oldest(Math.min(slots.free + LOOKAHEAD, MAX_PAGE), after);
    for (const entry of page.entries) {
      const action = nextAction(entry, slots, now, deps.slotWaitLimitSeconds);
      if (action === 'stop') break reading;
      if (action === 'skip') continue;
      const outcome = action === 'expire' ? await expire(deps, entry) : await release(deps, entry, now);
      if (outcome === 'answered') {
        (action === 'expire' ? result.expired : result.released).push(entry.exportId);
        if (action === 'release') {
          slots.free--;
          slots.busySources.add(entry.sourceArn);
        }
      } else if (outcome === 'throttled') {
        // Step Functions refuses callbacks for now: the entry keeps its place, and the next round
        // (another export's end, the schedule) tries again rather than this one hammering on.
        result.unanswered.push(entry.exportId);
        break reading;
      } else if (outcome === 'failed') result.unanswered.push(entry.exportId);
    }
    after = page.next;
  } while (after !== undefined);
  return result;
}

type Outcome = 'answered' | 'gone' | 'throttled' | 'failed';

/**
 * The slot is lent before the token is answered (the execution may start at once) and the entry
 * leaves the queue only once the answer went through, so a failed callback never loses an entry.
 */
async function release(deps: DispatchDeps, entry: QueueEntry, now: Date): Promise<Outcome> {
  const { store } = deps;
  await store.putLease({ exportId: entry.exportId, sourceArn: entry.sourceArn, expiresAt: new Date(now.getTime() + deps.leaseSeconds * 1000).toISOString() });
  const outcome = await answer(entry, () => deps.callbacks.succeed(entry.token, startingNow(entry.release, now)));
  // Not answered: the slot goes to the next one.
  if (outcome !== 'answered') await store.dropLease(entry.exportId);
  if (outcome === 'answered' || outcome === 'gone') await store.remove(entry);
  return outcome;
}

async function expire(deps: DispatchDeps, entry: QueueEntry): Promise<Outcome> {
  const days = (deps.slotWaitLimitSeconds / 86400).toFixed(1).replace(/\.0$/, '');
  const cause = `The export waited for a free export slot since ${entry.requestedAt}, longer than the slot wait limit (${days} days); nothing was started.`;
  const outcome = await answer(entry, () => deps.callbacks.fail(entry.token, ASL_ERROR_NAMES.slotWaitTimedOut, cause));
  if (outcome === 'answered' || outcome === 'gone') await deps.store.remove(entry);
  return outcome;
}

/** TaskDoesNotExist / TaskTimedOut (the callbacks' `false`) mean the execution is gone; anything else keeps the entry queued. */
async function answer(entry: QueueEntry, send: () => Promise<boolean>): Promise<Outcome> {
  try {
    return (await send()) ? 'answered' : 'gone';
  } catch (error) {
    logger.warn('could not answer a queued execution; it stays queued', { exportId: entry.exportId, execution: entry.execution, error });
    return error instanceof TransientAwsError ? 'throttled' : 'failed';
  }
}
