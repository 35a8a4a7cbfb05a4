import type { ActiveReading, CoordinationStore, Lease, QueueEntry, StartInput, WaitingPlace } from './store.ts';
import type { TaskCallbacks } from '../workflow/step-functions.ts';
import { placeKey, type Place } from '../accounts/place.ts';
import { ASL_ERROR_NAMES, TransientAwsError } from '../runtime/errors.ts';
import { logger } from '../runtime/logger.ts';

/**
 * The export slots of each place (account and region). RDS runs at most `quota` export tasks at
 * once per place (snapshot and cluster alike) and one per source. Executions wait for a slot in their
 * place's queue, parked on a task token: waiting costs no state transition and no RDS call. Whenever
 * a slot may have freed in a place (an execution queued there, an export there ended, the periodic
 * tick) the dispatcher hands that place's free slots to its oldest entries.
 *
 * Places are independent: a dispatch reads one place's queue, leases, lock and RDS, so one account's
 * backlog (or its throttled RDS, or its missing role) never delays another's free slots.
 *
 * What a dispatch reads is bounded by the free slots, not by the length of the queue: the queue is
 * kept in request-time order, so the dispatcher reads it from the head, a page of about as many
 * entries as there are free slots, and stops as soon as the slots are handed out. Entries past the
 * slot wait limit are the oldest, so they are at the head too: expiring them needs no scan.
 *
 * What RDS runs in a place is read once per READING_SECONDS and shared through the table by every
 * dispatch of that place (a burst of admissions asks RDS once); a dispatch after an export's end
 * asks afresh, since the slot it freed is the point. See DISPATCHER_RDS_CALLS for the budget.
 */

export interface ActiveExport {
  exportId: string;
  sourceArn: string;
}

/** The export tasks that hold a slot in a place right now, whoever started them (RDS asked in that account and region). */
export interface ActiveExports {
  active(place: Place): Promise<ActiveExport[]>;
}

export interface DispatchDeps {
  store: CoordinationStore;
  exports: ActiveExports;
  callbacks: TaskCallbacks;
  /** Each place's quota: EXPORT_QUOTA unless EXPORT_QUOTA_OVERRIDES names the place or its account (quota.ts). */
  quota: (place: Place) => number;
  /** How long a handed-out slot is held for an export that RDS does not list yet. */
  leaseSeconds: number;
  /** How long an execution may wait in the queue (from its start) before it is failed with SlotWaitTimedOut. */
  slotWaitLimitSeconds: number;
}

/**
 * How long one reading of a place's export tasks (DescribeExportTasks) serves the dispatches that
 * do not follow an export's end: admissions and the tick.
 */
export const READING_SECONDS = 2;

/**
 * The dispatcher's RDS calls (DescribeExportTasks, one page of up to 100 tasks: a place runs about
 * its quota) per place and second, at most: one shared reading per READING_SECONDS (admissions, the
 * tick), plus one per group of exports ending there within a few seconds of each other (a reading
 * taken after an end serves every end before it; at most `quota` exports run in a place). For an
 * account in 3 regions: 3 / 2 = 1.5 calls/s, plus those of the ends; the README's "Many accounts
 * and regions" compares it with the budget and gives the peak measured by `npm run bench`.
 */
export const DISPATCHER_RDS_CALLS_PER_PLACE_PER_SECOND = 1 / READING_SECONDS;

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
  /** Another dispatcher held the place's lock (and was asked for one more round). */
  deferred: boolean;
  /** Export tasks holding a slot when the last round looked; -1 when nobody waited (RDS not asked). */
  active: number;
  /** The start time of the oldest execution waiting when the dispatch began (undefined: nobody). */
  oldestRequestedAt?: string;
  /** Executions still queued: set by the scheduled dispatcher (functions/dispatch-exports), for its log and metrics. */
  waiting?: number;
}

/**
 * Why a dispatch runs. After an export's end it must see that end: a reading taken after the end
 * (with a second's margin for clocks) serves, so exports ending together share one; after a start
 * refused for the quota (an export started elsewhere took the slot) it must see that export: RDS is
 * asked afresh. Others count on a reading up to READING_SECONDS old.
 */
export type DispatchReason = 'queued' | 'requeued' | { exportEndedAt: Date } | 'tick';

/** How much later than an export's end (by its event's or its task's time) a reading must be taken to show it. */
const END_MARGIN_MS = 1000;

/** How long a dispatcher may hold the lock: longer than a Lambda's run, short enough to survive a crash. */
const LOCK_SECONDS = 60;

const idle = (): DispatchResult => ({ released: [], expired: [], unanswered: [], deferred: false, active: -1 });

/** The oldest RDS reading a dispatch may count on. */
function readingNotBefore(reason: DispatchReason, now: Date): Date {
  if (reason === 'requeued') return now;
  if (typeof reason === 'object') return new Date(Math.min(now.getTime(), reason.exportEndedAt.getTime() + END_MARGIN_MS));
  return new Date(now.getTime() - READING_SECONDS * 1000);
}

/**
 * What RDS runs in one place, as one dispatch sees it: the reading it already has when recent
 * enough (its rounds need no second look), else the place's shared reading, else RDS asked, the
 * answer shared for the next dispatches. The tick shares nothing: another dispatch within
 * READING_SECONDS of it is rare, and the write would cost every tick of every place.
 */
class PlaceReading {
  private seen: ActiveReading | undefined;

  constructor(
    private readonly deps: DispatchDeps,
    private readonly place: Place,
    private readonly now: Date,
    private readonly share: boolean,
  ) {}

  async active(notBefore: Date): Promise<ActiveExport[]> {
    const fresh = (reading: ActiveReading | undefined) => reading !== undefined && Date.parse(reading.at) >= notBefore.getTime();
    if (fresh(this.seen)) return this.seen!.active;
    if (this.share) {
      const shared = await this.deps.store.activeReading(this.place);
      if (fresh(shared)) return (this.seen = shared!).active;
    }
    const active = await this.deps.exports.active(this.place);
    this.seen = { at: this.now.toISOString(), active: active.map(({ exportId, sourceArn }) => ({ exportId, sourceArn })) };
    if (this.share) await this.deps.store.putActiveReading(this.place, this.seen);
    return active;
  }
}

/**
 * Hands free slots of one place out, one dispatcher per place at a time: two at once would both see
 * the same free slots. A dispatcher that finds the lock taken asks the holder for another round instead.
 */
export async function dispatch(deps: DispatchDeps, place: Place, now: Date, reason: DispatchReason = 'queued'): Promise<DispatchResult> {
  const { store } = deps;
  const quota = deps.quota(place);
  // Nobody waits here: no lock to take, and no need to ask RDS (throttled per account) what runs.
  // The tick reaches only places with entries; an empty one costs this one key read.
  const oldest = await store.oldestRequestedAt(place);
  if (oldest === undefined) return idle();
  // Every slot held and nobody past the wait limit (a busy queue's usual tick, or the second
  // dispatch after an export's end): nothing to hand out, so no lock to take. A slot that frees
  // later brings its own dispatch.
  // RDS is looked at first: when it lists as many exports as the quota, the leases need no reading.
  const notBefore = readingNotBefore(reason, now);
  const expiring = waitLimitPassed({ requestedAt: oldest }, now, deps.slotWaitLimitSeconds);
  const reading = new PlaceReading(deps, place, now, reason !== 'tick');
  const active = await reading.active(notBefore);
  const busy = { ...idle(), active: active.length, oldestRequestedAt: oldest };
  if (!expiring && active.length >= quota) return busy;
  if (!expiring && viewSlots(await store.leases(place), active, quota, now).free === 0) return busy;
  if (!(await store.tryLock(place, now, LOCK_SECONDS))) {
    await store.markDirty(place, notBefore.toISOString());
    return { ...idle(), deferred: true, oldestRequestedAt: oldest };
  }
  try {
    let result = await dispatchRound(deps, place, quota, () => reading.active(notBefore), now);
    for (let again = await store.takeDirty(place); again !== undefined; again = await store.takeDirty(place)) {
      const notBeforeAgain = new Date(again);
      const round = await dispatchRound(deps, place, quota, () => reading.active(notBeforeAgain), now);
      result = {
        released: [...result.released, ...round.released],
        expired: [...result.expired, ...round.expired],
        unanswered: [...new Set([...result.unanswered, ...round.unanswered])],
        deferred: false,
        active: round.active,
      };
    }
    return { ...result, oldestRequestedAt: oldest };
  } finally {
    await store.unlock(place);
  }
}

/**
 * For callers whose own work is done either way (an execution queued, a poll that saw the end):
 * a failed dispatch is logged, and the next trigger or the schedule hands the slot out.
 */
export async function dispatchBestEffort(deps: DispatchDeps, place: Place, now: Date, reason: DispatchReason = 'queued'): Promise<DispatchResult | undefined> {
  try {
    return await dispatch(deps, place, now, reason);
  } catch (error) {
    logger.warn('could not dispatch export slots now; the dispatcher schedule will', { place: placeKey(place), error });
    return undefined;
  }
}

/** What the periodic tick did, over every place where executions wait. */
export interface TickResult extends DispatchResult {
  /** Places dispatched (those with entries). */
  places: number;
  /** Places whose dispatch failed (RDS throttled or refused there, the role missing…): the next tick tries again. */
  failedPlaces: string[];
  /** Places where executions still wait while RDS runs nothing there: a queue that does not drain (the stalled-queue alarm). */
  stalledPlaces: string[];
}

/** Places dispatched at once by the tick: each is a few DynamoDB reads and at most one RDS call. */
const PLACES_AT_ONCE = 8;

/**
 * The periodic tick: every place where executions wait (one item read lists them), none other;
 * a place whose dispatch fails is logged and left to the next tick, the others go on.
 */
export async function dispatchWaiting(deps: DispatchDeps, now: Date): Promise<TickResult> {
  const listed = await deps.store.waitingPlaces();
  const waiting = listed.filter(({ depth }) => depth > 0);
  // A place emptied since: taken off the list (unless an entry came meanwhile), so the item stays small.
  await Promise.all(listed.filter(({ depth }) => depth <= 0).map(({ place }) => deps.store.forgetPlace(place)));
  const outcomes = await mapAtMost(PLACES_AT_ONCE, waiting, async ({ place, depth }: WaitingPlace) => {
    try {
      const result = await dispatch(deps, place, now, 'tick');
      // The head moved: read it again, for the oldest-waiting gauge.
      const head = result.released.length + result.expired.length > 0 ? await deps.store.oldestRequestedAt(place) : result.oldestRequestedAt;
      const left = depth - result.released.length - result.expired.length;
      return { place, result: { ...result, ...(head !== undefined ? { oldestRequestedAt: head } : {}) }, stalled: left > 0 && result.active === 0 };
    } catch (error) {
      logger.error('could not dispatch the export slots of a place; the next tick tries again', { place: placeKey(place), error });
      return { place, failed: true as const };
    }
  });
  const tick: TickResult = { ...idle(), places: waiting.length, failedPlaces: [], stalledPlaces: [] };
  for (const outcome of outcomes) {
    if ('failed' in outcome) {
      tick.failedPlaces.push(placeKey(outcome.place));
      continue;
    }
    const { result } = outcome;
    tick.released.push(...result.released);
    tick.expired.push(...result.expired);
    tick.unanswered.push(...result.unanswered);
    tick.deferred ||= result.deferred;
    if (result.active >= 0) tick.active = Math.max(0, tick.active) + result.active;
    if (result.oldestRequestedAt !== undefined && (tick.oldestRequestedAt === undefined || result.oldestRequestedAt < tick.oldestRequestedAt)) tick.oldestRequestedAt = result.oldestRequestedAt;
    if (outcome.stalled) tick.stalledPlaces.push(placeKey(outcome.place));
  }
  // What still waits, from the counts the tick read (no second read of them).
  tick.waiting = Math.max(0, waiting.reduce((sum, { depth }) => sum + depth, 0) - tick.released.length - tick.expired.length);
  return tick;
}

/** `work` over `items`, at most `limit` at a time, results in the items' order. */
async function mapAtMost<T, R>(limit: number, items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A page holds the entries the free slots need, plus one for an entry that is skipped (busy source) or gone. */
const LOOKAHEAD = 1;
/** However many slots are free (a raised quota), a page stays a small read. */
const MAX_PAGE = 100;

async function dispatchRound(deps: DispatchDeps, place: Place, quota: number, activeNow: () => Promise<ActiveExport[]>, now: Date): Promise<DispatchResult> {
  const { store } = deps;
  // Looked at again under the lock: what another dispatcher handed out meanwhile is counted (its
  // leases are read afresh; a reading of RDS taken since notBefore already shows its exports or not).
  const [leases, active] = await Promise.all([store.leases(place), activeNow()]);
  const slots = viewSlots(leases, active, quota, now);
  await Promise.all(slots.staleLeases.map((lease) => store.dropLease(place, lease.exportId)));
  const result: DispatchResult = { released: [], expired: [], unanswered: [], deferred: false, active: active.length };
  let after: string | undefined;
  reading: do {
    const page = await store.oldest(place, Math.min(slots.free + LOOKAHEAD, MAX_PAGE), after);
    for (const entry of page.entries) {
      const action = nextAction(entry, slots, now, deps.slotWaitLimitSeconds);
      if (action === 'stop') break reading;
      if (action === 'skip') continue;
      const outcome = action === 'expire' ? await expire(deps, place, entry) : await release(deps, place, entry, now);
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
async function release(deps: DispatchDeps, place: Place, entry: QueueEntry, now: Date): Promise<Outcome> {
  const { store } = deps;
  await store.putLease(place, { exportId: entry.exportId, sourceArn: entry.sourceArn, expiresAt: new Date(now.getTime() + deps.leaseSeconds * 1000).toISOString() });
  const outcome = await answer(entry, () => deps.callbacks.succeed(entry.token, startingNow(entry.release, now)));
  // Not answered: the slot goes to the next one.
  if (outcome !== 'answered') await store.dropLease(place, entry.exportId);
  if (outcome === 'answered' || outcome === 'gone') await store.remove(place, entry);
  return outcome;
}

async function expire(deps: DispatchDeps, place: Place, entry: QueueEntry): Promise<Outcome> {
  const days = (deps.slotWaitLimitSeconds / 86400).toFixed(1).replace(/\.0$/, '');
  const cause = `The export waited for a free export slot since ${entry.requestedAt}, longer than the slot wait limit (${days} days); nothing was started.`;
  const outcome = await answer(entry, () => deps.callbacks.fail(entry.token, ASL_ERROR_NAMES.slotWaitTimedOut, cause));
  if (outcome === 'answered' || outcome === 'gone') await deps.store.remove(place, entry);
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
