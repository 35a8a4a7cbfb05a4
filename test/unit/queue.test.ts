import { describe, expect, it } from 'vitest';
import type { Lease, QueueEntry } from '../../shared/slots/store.ts';
import type { TaskCallbacks } from '../../shared/workflow/step-functions.ts';
import { TransientAwsError, ExportServiceError } from '../../shared/runtime/errors.ts';
import { DISPATCHER_RDS_CALLS_PER_PLACE_PER_SECOND, dispatch, dispatchWaiting, nextAction, READING_SECONDS, startingNow, viewSlots, type ActiveExport, type DispatchDeps } from '../../shared/slots/dispatch.ts';
import { placeKey, type Place } from '../../shared/accounts/place.ts';
import { quotaOf } from '../../shared/slots/quota.ts';
import { RDS_CALL_BUDGET, RDS_REQUESTS_PER_SECOND, worstCaseRate } from '../../shared/runtime/pacing.ts';
import { MemoryCoordinationStore } from '../support/stores.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const PLACE = MemoryCoordinationStore.DEFAULT_PLACE;
const DAY = 86400;

function entry(n: number, overrides: Partial<QueueEntry> = {}): QueueEntry {
  const exportId = `snap-${n}`;
  const requestedAt = overrides.requestedAt ?? `2026-11-23T11:${String(n).padStart(2, '0')}:00.000Z`;
  return {
    exportId,
    sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:snap-${n}`,
    token: `token-${n}`,
    requestedAt,
    execution: `execution-${n}`,
    release: { request: { exportId, requestedAt, deadline: new Date(Date.parse(requestedAt) + 3600_000).toISOString() } as never, bounds: { minSeconds: 60, maxSeconds: 3600 } },
    ...overrides,
  };
}

const active = (...ns: number[]): ActiveExport[] => ns.map((n) => ({ exportId: `snap-${n}`, sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:snap-${n}` }));

type Answer = 'ok' | 'gone' | Error;

/** Step Functions' side: each token answered as told (default: accepted), recording the order of calls. */
function callbacks(store: MemoryCoordinationStore, answers: Record<string, Answer[]> = {}): TaskCallbacks & { succeeded: string[]; failed: Array<[string, string]> } {
  const succeeded: string[] = [];
  const failed: Array<[string, string]> = [];
  const next = (token: string): Answer => answers[token]?.shift() ?? 'ok';
  const settle = (token: string, record: () => void) => {
    const answer = next(token);
    store.log.push(`answer ${token}`);
    if (answer instanceof Error) throw answer;
    if (answer === 'gone') return false;
    record();
    return true;
  };
  return {
    succeeded,
    failed,
    async succeed(token) { return settle(token, () => succeeded.push(token)); },
    async fail(token, error) { return settle(token, () => failed.push([token, error])); },
  };
}

function deps(store: MemoryCoordinationStore, overrides: Partial<DispatchDeps> = {}): DispatchDeps {
  return { store, callbacks: callbacks(store), exports: { active: async () => [] }, quota: () => 5, leaseSeconds: 600, slotWaitLimitSeconds: 30 * DAY, ...overrides };
}

async function queueOf(...entries: QueueEntry[]): Promise<MemoryCoordinationStore> {
  const store = new MemoryCoordinationStore();
  for (const e of entries) await store.enqueue(PLACE, e);
  return store;
}

describe('viewSlots and nextAction', () => {
  it('counts lent slots whose export RDS does not list yet, and forgets expired or visible ones', () => {
    const leases: Lease[] = [
      { exportId: 'snap-20', sourceArn: 'a', expiresAt: '2026-11-23T12:05:00Z' }, // lent, not visible yet: counts
      { exportId: 'snap-21', sourceArn: 'b', expiresAt: '2026-11-23T11:59:00Z' }, // expired
      { exportId: 'snap-10', sourceArn: 'c', expiresAt: '2026-11-23T12:05:00Z' }, // RDS lists it: counted once
    ];

    const slots = viewSlots(leases, active(10, 11, 12), 5, NOW);

    expect(slots.free).toBe(1);
    expect(slots.staleLeases.map((l) => l.exportId).sort()).toEqual(['snap-10', 'snap-21']);
    expect(slots.busySources.has('a')).toBe(true);
  });

  it('expires an entry past the slot wait limit, skips a busy source and stops once no slot is left', () => {
    const slots = viewSlots([], active(1), 2, NOW);
    const old = entry(2, { requestedAt: '2026-10-01T00:00:00.000Z' });

    expect(nextAction(old, slots, NOW, 30 * DAY)).toBe('expire');
    expect(nextAction(entry(1, { exportId: 'again' }), slots, NOW, 30 * DAY)).toBe('skip');
    expect(nextAction(entry(3), slots, NOW, 30 * DAY)).toBe('release');
    expect(nextAction(entry(3), { ...slots, free: 0 }, NOW, 30 * DAY)).toBe('stop');
  });

  it('counts the export deadline from the release, not from the time queued', () => {
    const queued = entry(1, { requestedAt: '2026-11-20T12:00:00.000Z' }); // one hour allowed, three days queued

    const released = startingNow(queued.release, NOW);

    expect(released.request.deadline).toBe('2026-11-23T13:00:00.000Z');
    expect(released.request.requestedAt).toBe('2026-11-20T12:00:00.000Z');
  });
});

describe('dispatch', () => {
  it('hands the free slots to the oldest entries first, with their deadline counted from now, and lends their slots', async () => {
    const store = await queueOf(entry(3), entry(1), entry(2));
    const answered = callbacks(store);
    let startInput: unknown;
    answered.succeed = async (token, output) => ((startInput ??= output), answered.succeeded.push(token), true);

    const result = await dispatch(deps(store, { callbacks: answered, exports: { active: async () => active(10, 11, 12) } }), PLACE, NOW);

    expect(result.released).toEqual(['snap-1', 'snap-2']);
    expect(answered.succeeded).toEqual(['token-1', 'token-2']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-1', 'snap-2']);
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-3']);
    expect(startInput).toEqual(startingNow(entry(1).release, NOW));
  });

  it('hands out nothing while the quota is full, and never two exports of one source', async () => {
    const full = await queueOf(entry(1));
    expect((await dispatch(deps(full, { exports: { active: async () => active(10, 11, 12, 13, 14) } }), PLACE, NOW)).released).toEqual([]);

    const busy = await queueOf(entry(1, { exportId: 'snap-1-again' }), entry(2));
    expect((await dispatch(deps(busy, { exports: { active: async () => active(1) } }), PLACE, NOW)).released).toEqual(['snap-2']);
    expect([...busy.queue.values()].map((e) => e.exportId)).toEqual(['snap-1-again']);
  });

  it('removes an entry only after its token was answered', async () => {
    const store = await queueOf(entry(1));

    await dispatch(deps(store), PLACE, NOW);

    expect(store.log).toEqual(['answer token-1', 'remove snap-1']);
  });

  it('passes a slot on when the woken execution is gone (TaskDoesNotExist, TaskTimedOut), and forgets its entry', async () => {
    const store = await queueOf(entry(1), entry(2));

    const result = await dispatch(deps(store, { callbacks: callbacks(store, { 'token-1': ['gone'] }), quota: () => 1 }), PLACE, NOW);

    expect(result.released).toEqual(['snap-2']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-2']);
    expect(store.queue.size).toBe(0);
  });

  it('keeps the entry queued, in its place, when Step Functions throttles the callback; the next round releases it', async () => {
    const store = await queueOf(entry(1), entry(2));
    const throttledOnce = callbacks(store, { 'token-1': [new TransientAwsError('SendTaskSuccess failed: ThrottlingException: Rate exceeded')] });

    const first = await dispatch(deps(store, { callbacks: throttledOnce }), PLACE, NOW);

    expect(first).toMatchObject({ released: [], unanswered: ['snap-1'] });
    expect(store.queue.size).toBe(2);
    expect(store.leaseMap.size).toBe(0);

    const second = await dispatch(deps(store, { callbacks: throttledOnce }), PLACE, NOW);

    expect(second.released).toEqual(['snap-1', 'snap-2']);
    expect(throttledOnce.succeeded).toEqual(['token-1', 'token-2']);
    expect(store.queue.size).toBe(0);
  });

  it('keeps an entry whose callback fails for good queued, and gives the slot to the next one', async () => {
    const store = await queueOf(entry(1), entry(2));

    const result = await dispatch(deps(store, { callbacks: callbacks(store, { 'token-1': [new ExportServiceError('SendTaskSuccess failed: AccessDenied')] }), quota: () => 1 }), PLACE, NOW);

    expect(result).toMatchObject({ released: ['snap-2'], unanswered: ['snap-1'] });
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-1']);
  });

  it('fails an entry that waited past the slot wait limit with SlotWaitTimedOut, even with no slot free', async () => {
    const store = await queueOf(entry(1, { requestedAt: '2026-10-01T00:00:00.000Z' }), entry(2));
    const answered = callbacks(store);

    const result = await dispatch(deps(store, { callbacks: answered, exports: { active: async () => active(10, 11, 12, 13, 14) } }), PLACE, NOW);

    expect(result.expired).toEqual(['snap-1']);
    expect(answered.failed).toEqual([['token-1', 'SlotWaitTimedOut']]);
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-2']);
  });

  it('reads about as many entries as there are free slots, however long the queue', async () => {
    const store = new MemoryCoordinationStore();
    for (let n = 1; n <= 1000; n++) await store.enqueue(PLACE, entry(n, { requestedAt: new Date(NOW.getTime() - (2000 - n) * 1000).toISOString() }));

    await dispatch(deps(store, { exports: { active: async () => active(9001, 9002, 9003) } }), PLACE, NOW);
    expect(store.entriesRead).toBeLessThanOrEqual(3);

    store.entriesRead = 0;
    await dispatch(deps(store, { exports: { active: async () => active(9001, 9002, 9003, 9004, 9005) } }), PLACE, NOW);
    expect(store.entriesRead).toBeLessThanOrEqual(1);
  });

  it('asks the dispatcher holding the lock for another round instead of dispatching twice', async () => {
    const store = await queueOf(entry(1));
    store.locked = true;

    const result = await dispatch(deps(store), PLACE, NOW);

    expect(result).toMatchObject({ released: [], deferred: true });
    expect(store.dirty).toBe(true);
    expect(store.queue.size).toBe(1);
  });

  it('takes no lock, and writes nothing, when every slot is held and nobody waited past the limit', async () => {
    const store = await queueOf(entry(1));
    let locks = 0;
    store.tryLock = async () => (locks++, true);

    const result = await dispatch(deps(store, { exports: { active: async () => active(10, 11, 12, 13, 14) } }), PLACE, NOW);

    expect(result).toMatchObject({ released: [], expired: [], active: 5 });
    expect(locks).toBe(0);
    expect(store.entriesRead).toBe(0);
  });

  it('does not take the lock nor ask RDS what runs when nobody waits', async () => {
    const store = new MemoryCoordinationStore();
    let asked = 0;

    await dispatch(deps(store, { exports: { active: async () => (asked++, []) } }), PLACE, NOW);

    expect(asked).toBe(0);
    expect(store.entriesRead).toBe(0);
  });
});

/** An entry of a source in another account and region. */
function entryIn(place: Place, n: number, overrides: Partial<QueueEntry> = {}): QueueEntry {
  const base = entry(n, overrides);
  return { ...base, sourceArn: `arn:aws:rds:${place.region}:${place.account}:snapshot:snap-${n}`, ...overrides };
}

const OTHER: Place = { account: '210987654321', region: 'eu-west-1' };

/** RDS in each place: what runs there (by placeKey), counting the calls per place. */
function rdsByPlace(running: Record<string, ActiveExport[]>) {
  const calls: Record<string, number> = {};
  return {
    calls,
    active: async (place: Place) => {
      calls[placeKey(place)] = (calls[placeKey(place)] ?? 0) + 1;
      return running[placeKey(place)] ?? [];
    },
  };
}

describe('dispatch per account and region', () => {
  it('hands another place its free slot at once, however long a full place\'s backlog', async () => {
    // Prepare: 500 entries wait in a full place, all older than the one entry of another place.
    const store = new MemoryCoordinationStore();
    for (let n = 1; n <= 500; n++) await store.enqueue(PLACE, entry(n, { requestedAt: new Date(NOW.getTime() - (1000 - n) * 1000).toISOString() }));
    await store.enqueue(OTHER, entryIn(OTHER, 900, { requestedAt: NOW.toISOString() }));
    const rds = rdsByPlace({ [placeKey(PLACE)]: active(10, 11, 12, 13, 14) });

    // Act
    const result = await dispatch(deps(store, { exports: rds }), OTHER, NOW);

    // Assess: the other place's entry is released; the full place's queue, leases and RDS were not read.
    expect(result.released).toEqual(['snap-900']);
    expect(store.entriesRead).toBe(1);
    expect(rds.calls).toEqual({ [placeKey(OTHER)]: 1 });
    expect(store.at(PLACE).queue.size).toBe(500);
    expect([...store.at(OTHER).leaseMap.keys()]).toEqual(['snap-900']);
  });

  it('gives each place its own quota: the default, its account\'s override, its own override', async () => {
    // Prepare: 10 entries in each of three places; overrides for one account (3) and one place of it (1).
    const store = new MemoryCoordinationStore();
    const places: Place[] = [PLACE, { account: '210987654321', region: 'us-east-1' }, OTHER];
    for (const place of places) for (let n = 1; n <= 10; n++) await store.enqueue(place, entryIn(place, n));
    const quota = quotaOf(5, { accounts: new Map([['210987654321', 3]]), places: new Map([['210987654321/eu-west-1', 1]]) });

    // Act
    const released = [];
    for (const place of places) released.push((await dispatch(deps(store, { quota }), place, NOW)).released.length);

    // Assess
    expect(released).toEqual([5, 3, 1]);
  });

  it('never lends one place\'s free slots to another: a lease counts in its own place only', async () => {
    const store = new MemoryCoordinationStore();
    for (let n = 1; n <= 4; n++) await store.putLease(PLACE, { exportId: `snap-${10 + n}`, sourceArn: entry(10 + n).sourceArn, expiresAt: new Date(NOW.getTime() + 600_000).toISOString() });
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(PLACE, entry(2));
    await store.enqueue(OTHER, entryIn(OTHER, 3));

    const here = await dispatch(deps(store, { quota: () => 5 }), PLACE, NOW);
    const there = await dispatch(deps(store, { quota: () => 1 }), OTHER, NOW);

    expect(here.released).toEqual(['snap-1']);
    expect(there.released).toEqual(['snap-3']);
  });

  it('locks per place: a dispatcher holding one place\'s lock does not stop another place\'s dispatch', async () => {
    const store = new MemoryCoordinationStore();
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(OTHER, entryIn(OTHER, 2));
    store.at(PLACE).locked = true;

    const blocked = await dispatch(deps(store), PLACE, NOW);
    const free = await dispatch(deps(store), OTHER, NOW);

    expect(blocked).toMatchObject({ released: [], deferred: true });
    expect(store.at(PLACE).dirty).toBeDefined();
    expect(free.released).toEqual(['snap-2']);
  });
});

describe('the periodic tick', () => {
  it('dispatches every place where executions wait, and reads no other place', async () => {
    // Prepare: entries in 3 of 4 places known; the fourth has only a lease (no entry).
    const store = new MemoryCoordinationStore();
    const waiting: Place[] = [PLACE, OTHER, { account: '111122223333', region: 'ap-southeast-2' }];
    for (const [i, place] of waiting.entries()) await store.enqueue(place, entryIn(place, i + 1));
    const idle: Place = { account: '444455556666', region: 'us-west-2' };
    await store.putLease(idle, { exportId: 'snap-9', sourceArn: entryIn(idle, 9).sourceArn, expiresAt: new Date(NOW.getTime() + 600_000).toISOString() });
    const rds = rdsByPlace({});

    // Act
    const tick = await dispatchWaiting(deps(store, { exports: rds }), NOW);

    // Assess
    expect(tick.released.sort()).toEqual(['snap-1', 'snap-2', 'snap-3']);
    expect(tick.places).toBe(3);
    expect(Object.keys(rds.calls).sort()).toEqual(waiting.map(placeKey).sort());
    expect(await store.depth()).toBe(0);
  });

  it('goes on with the other places when one place\'s RDS refuses (throttled, role missing), and names it', async () => {
    const store = new MemoryCoordinationStore();
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(OTHER, entryIn(OTHER, 2));
    const exports = {
      active: async (place: Place) => {
        if (place.account === OTHER.account) throw new TransientAwsError('DescribeExportTasks failed: ThrottlingException: Rate exceeded');
        return [];
      },
    };

    const tick = await dispatchWaiting(deps(store, { exports }), NOW);

    expect(tick.released).toEqual(['snap-1']);
    expect(tick.failedPlaces).toEqual([placeKey(OTHER)]);
    expect(store.at(OTHER).queue.size).toBe(1);
  });

  it('names the places where executions wait while RDS runs nothing there (the stalled-queue alarm), and reports the oldest entry left', async () => {
    // Prepare: a place whose callbacks fail for good (the entry stays, nothing runs); a full place.
    const store = new MemoryCoordinationStore();
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(OTHER, entryIn(OTHER, 2, { requestedAt: '2026-11-23T10:00:00.000Z' }));
    const rds = rdsByPlace({ [placeKey(OTHER)]: active(10, 11, 12, 13, 14) });
    const failing = callbacks(store, { 'token-1': [new ExportServiceError('SendTaskSuccess failed: AccessDenied')] });

    const tick = await dispatchWaiting(deps(store, { exports: rds, callbacks: failing }), NOW);

    expect(tick.stalledPlaces).toEqual([placeKey(PLACE)]);
    expect(tick.active).toBe(5);
    expect(tick.oldestRequestedAt).toBe('2026-11-23T10:00:00.000Z');
  });
});

describe('what the dispatcher asks RDS', () => {
  it('keeps the shared readings of an account in 3 Regions within what the trigger and the sweep leave of the account\'s RDS budget', () => {
    const others = Object.values(RDS_CALL_BUDGET).reduce((sum, caller) => sum + worstCaseRate(caller), 0);

    expect(DISPATCHER_RDS_CALLS_PER_PLACE_PER_SECOND).toBe(1 / READING_SECONDS);
    expect(others + 3 * DISPATCHER_RDS_CALLS_PER_PLACE_PER_SECOND).toBeLessThan(RDS_REQUESTS_PER_SECOND);
  });

  it('asks RDS once for a burst of admissions in one place: the reading is shared for READING_SECONDS', async () => {
    // Prepare: a full place; 20 executions queue there within a second.
    const store = new MemoryCoordinationStore();
    const rds = rdsByPlace({ [placeKey(PLACE)]: active(10, 11, 12, 13, 14) });

    // Act
    for (let n = 1; n <= 20; n++) {
      await store.enqueue(PLACE, entry(n));
      await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + n * 50));
    }
    await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + 1000 + READING_SECONDS * 1000));

    // Assess: one call for the burst, one more once the reading is older than READING_SECONDS.
    expect(rds.calls[placeKey(PLACE)]).toBe(2);
  });

  it('asks RDS afresh after an export\'s end and after a start refused for the quota, so the freed (or taken) slot is seen', async () => {
    const store = await queueOf(entry(1));
    const running = { [placeKey(PLACE)]: active(10, 11, 12, 13, 14) };
    const rds = rdsByPlace(running);
    await dispatch(deps(store, { exports: rds }), PLACE, NOW);
    running[placeKey(PLACE)] = active(10, 11, 12, 13);

    const queued = await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + 100), 'queued');
    const ended = await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + 200), { exportEndedAt: new Date(NOW.getTime() + 150) });

    expect(queued.released).toEqual([]);
    expect(ended.released).toEqual(['snap-1']);
    expect(rds.calls[placeKey(PLACE)]).toBe(2);
    await store.enqueue(PLACE, entry(2));
    await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + 300), 'requeued');
    expect(rds.calls[placeKey(PLACE)]).toBe(3);
  });

  it('shares one reading among exports that ended before it was taken; an end after it asks again', async () => {
    // Prepare: a full place with a backlog; each end's event comes 5 s after it.
    const store = await queueOf(entry(1), entry(2), entry(3));
    const rds = rdsByPlace({ [placeKey(PLACE)]: active(10, 11, 12, 13, 14) });
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
    const ended = (endedAt: number, dispatchedAt: number) => dispatch(deps(store, { exports: rds }), PLACE, at(dispatchedAt), { exportEndedAt: at(endedAt) });

    // Act: exports end at 0 s, 2 s and 6 s.
    await ended(0, 5);
    await ended(2, 7);
    const calledBefore = rds.calls[placeKey(PLACE)];
    await ended(6, 11);

    // Assess: the reading of 5 s showed both earlier ends; the end at 6 s needed its own.
    expect(calledBefore).toBe(1);
    expect(rds.calls[placeKey(PLACE)]).toBe(2);
  });

  it('looks at RDS once per dispatch, however many rounds, and the tick shares no reading (another dispatch right after it is rare)', async () => {
    // Prepare: three waiting; while the first is released, another admission asks for one more round.
    const store = await queueOf(entry(1), entry(2), entry(3));
    const rds = rdsByPlace({});
    const answered = callbacks(store);
    const succeed = answered.succeed;
    answered.succeed = async (token, output) => {
      if (token === 'token-1') await store.markDirty(PLACE, new Date(NOW.getTime() - READING_SECONDS * 1000).toISOString());
      return succeed(token, output);
    };

    // Act
    const queued = await dispatch(deps(store, { exports: rds, callbacks: answered }), PLACE, NOW);
    await store.enqueue(PLACE, entry(4));
    const readingsBefore = store.readingsPut;
    await dispatchWaiting(deps(store, { exports: rds }), new Date(NOW.getTime() + 3600_000));

    // Assess
    expect(queued.released).toEqual(['snap-1', 'snap-2', 'snap-3']);
    expect(rds.calls[placeKey(PLACE)]).toBe(2);
    expect(store.readingsPut - readingsBefore).toBe(0);
  });

  it('counts on a reading taken before its round only when it is recent enough for the round\'s reason', async () => {
    // A dirty round asked for after an export's end reads RDS afresh, though the holder's own round did not.
    const store = await queueOf(entry(1), entry(2));
    const running = { [placeKey(PLACE)]: active(10, 11, 12, 13) };
    const rds = rdsByPlace(running);
    const answered = callbacks(store);
    const succeed = answered.succeed;
    answered.succeed = async (token, output) => {
      if (token === 'token-1') {
        // While the holder releases snap-1, an export ends and its dispatch finds the lock taken.
        running[placeKey(PLACE)] = active(10, 11, 12);
        expect((await dispatch(deps(store, { exports: rds }), PLACE, new Date(NOW.getTime() + 10), { exportEndedAt: new Date(NOW.getTime() + 10) })).deferred).toBe(true);
      }
      return succeed(token, output);
    };

    const result = await dispatch(deps(store, { exports: rds, callbacks: answered }), PLACE, NOW);

    expect(result.released).toEqual(['snap-1', 'snap-2']);
  });
});
