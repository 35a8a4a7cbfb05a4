import { describe, expect, it } from 'vitest';
import type { Lease, QueueEntry } from '../../shared/slots/store.ts';
import type { TaskCallbacks } from '../../shared/workflow/step-functions.ts';
import { TransientAwsError, ExportServiceError } from '../../shared/runtime/errors.ts';
import { dispatch, nextAction, startingNow, viewSlots, type ActiveExport, type DispatchDeps } from '../../shared/slots/dispatch.ts';
import { MemoryCoordinationStore } from '../support/stores.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
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
  return { store, callbacks: callbacks(store), exports: { active: async () => [] }, quota: 5, leaseSeconds: 600, slotWaitLimitSeconds: 30 * DAY, ...overrides };
}

async function queueOf(...entries: QueueEntry[]): Promise<MemoryCoordinationStore> {
  const store = new MemoryCoordinationStore();
  for (const e of entries) await store.enqueue(e);
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

    const result = await dispatch(deps(store, { callbacks: answered, exports: { active: async () => active(10, 11, 12) } }), NOW);

    expect(result.released).toEqual(['snap-1', 'snap-2']);
    expect(answered.succeeded).toEqual(['token-1', 'token-2']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-1', 'snap-2']);
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-3']);
    expect(startInput).toEqual(startingNow(entry(1).release, NOW));
  });

  it('hands out nothing while the quota is full, and never two exports of one source', async () => {
    const full = await queueOf(entry(1));
    expect((await dispatch(deps(full, { exports: { active: async () => active(10, 11, 12, 13, 14) } }), NOW)).released).toEqual([]);

    const busy = await queueOf(entry(1, { exportId: 'snap-1-again' }), entry(2));
    expect((await dispatch(deps(busy, { exports: { active: async () => active(1) } }), NOW)).released).toEqual(['snap-2']);
    expect([...busy.queue.values()].map((e) => e.exportId)).toEqual(['snap-1-again']);
  });

  it('removes an entry only after its token was answered', async () => {
    const store = await queueOf(entry(1));

    await dispatch(deps(store), NOW);

    expect(store.log).toEqual(['answer token-1', 'remove snap-1']);
  });

  it('passes a slot on when the woken execution is gone (TaskDoesNotExist, TaskTimedOut), and forgets its entry', async () => {
    const store = await queueOf(entry(1), entry(2));

    const result = await dispatch(deps(store, { callbacks: callbacks(store, { 'token-1': ['gone'] }), quota: 1 }), NOW);

    expect(result.released).toEqual(['snap-2']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-2']);
    expect(store.queue.size).toBe(0);
  });

  it('keeps the entry queued, in its place, when Step Functions throttles the callback; the next round releases it', async () => {
    const store = await queueOf(entry(1), entry(2));
    const throttledOnce = callbacks(store, { 'token-1': [new TransientAwsError('SendTaskSuccess failed: ThrottlingException: Rate exceeded')] });

    const first = await dispatch(deps(store, { callbacks: throttledOnce }), NOW);

    expect(first).toMatchObject({ released: [], unanswered: ['snap-1'] });
    expect(store.queue.size).toBe(2);
    expect(store.leaseMap.size).toBe(0);

    const second = await dispatch(deps(store, { callbacks: throttledOnce }), NOW);

    expect(second.released).toEqual(['snap-1', 'snap-2']);
    expect(throttledOnce.succeeded).toEqual(['token-1', 'token-2']);
    expect(store.queue.size).toBe(0);
  });

  it('keeps an entry whose callback fails for good queued, and gives the slot to the next one', async () => {
    const store = await queueOf(entry(1), entry(2));

    const result = await dispatch(deps(store, { callbacks: callbacks(store, { 'token-1': [new ExportServiceError('SendTaskSuccess failed: AccessDenied')] }), quota: 1 }), NOW);

    expect(result).toMatchObject({ released: ['snap-2'], unanswered: ['snap-1'] });
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-1']);
  });

  it('fails an entry that waited past the slot wait limit with SlotWaitTimedOut, even with no slot free', async () => {
    const store = await queueOf(entry(1, { requestedAt: '2026-10-01T00:00:00.000Z' }), entry(2));
    const answered = callbacks(store);

    const result = await dispatch(deps(store, { callbacks: answered, exports: { active: async () => active(10, 11, 12, 13, 14) } }), NOW);

    expect(result.expired).toEqual(['snap-1']);
    expect(answered.failed).toEqual([['token-1', 'SlotWaitTimedOut']]);
    expect([...store.queue.values()].map((e) => e.exportId)).toEqual(['snap-2']);
  });

  it('reads about as many entries as there are free slots, however long the queue', async () => {
    const store = new MemoryCoordinationStore();
    for (let n = 1; n <= 1000; n++) await store.enqueue(entry(n, { requestedAt: new Date(NOW.getTime() - (2000 - n) * 1000).toISOString() }));

    await dispatch(deps(store, { exports: { active: async () => active(9001, 9002, 9003) } }), NOW);
    expect(store.entriesRead).toBeLessThanOrEqual(3);

    store.entriesRead = 0;
    await dispatch(deps(store, { exports: { active: async () => active(9001, 9002, 9003, 9004, 9005) } }), NOW);
    expect(store.entriesRead).toBeLessThanOrEqual(1);
  });

  it('asks the dispatcher holding the lock for another round instead of dispatching twice', async () => {
    const store = await queueOf(entry(1));
    store.locked = true;

    const result = await dispatch(deps(store), NOW);

    expect(result).toMatchObject({ released: [], deferred: true });
    expect(store.dirty).toBe(true);
    expect(store.queue.size).toBe(1);
  });

  it('takes no lock, and writes nothing, when every slot is held and nobody waited past the limit', async () => {
    const store = await queueOf(entry(1));
    let locks = 0;
    store.tryLock = async () => (locks++, true);

    const result = await dispatch(deps(store, { exports: { active: async () => active(10, 11, 12, 13, 14) } }), NOW);

    expect(result).toMatchObject({ released: [], expired: [], active: 5 });
    expect(locks).toBe(0);
    expect(store.entriesRead).toBe(0);
  });

  it('does not take the lock nor ask RDS what runs when nobody waits', async () => {
    const store = new MemoryCoordinationStore();
    let asked = 0;

    await dispatch(deps(store, { exports: { active: async () => (asked++, []) } }), NOW);

    expect(asked).toBe(0);
    expect(store.entriesRead).toBe(0);
  });
});
