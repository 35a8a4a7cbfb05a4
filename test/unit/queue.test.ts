import { describe, expect, it } from 'vitest';
import type { CoordinationStore, Lease, QueueEntry, WaitRecord } from '../../shared/aws/coordination-store.ts';
import type { TaskCallbacks } from '../../shared/aws/step-functions.ts';
import { dispatch, planDispatch, type ActiveExport } from '../../shared/queue.ts';

const NOW = new Date('2026-11-23T12:00:00Z');

function entry(n: number, overrides: Partial<QueueEntry> = {}, deadline = '2026-11-24T00:00:00Z'): QueueEntry {
  const exportId = `snap-${n}`;
  return {
    exportId,
    sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:snap-${n}`,
    token: `token-${n}`,
    requestedAt: `2026-11-23T11:${String(n).padStart(2, '0')}:00Z`,
    execution: `execution-${n}`,
    release: { request: { exportId, deadline } as never, bounds: { minSeconds: 60, maxSeconds: 3600 } },
    ...overrides,
  };
}

const active = (...ns: number[]): ActiveExport[] => ns.map((n) => ({ exportId: `snap-${n}`, sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:snap-${n}` }));

describe('planDispatch', () => {
  it('hands the free slots to the oldest entries first', () => {
    const queue = [entry(3), entry(1), entry(2)];

    const plan = planDispatch(queue, [], active(10, 11, 12), 5, NOW);

    expect(plan.release.map((e) => e.exportId)).toEqual(['snap-1', 'snap-2']);
  });

  it('hands out nothing while the quota is full', () => {
    const plan = planDispatch([entry(1)], [], active(10, 11, 12, 13, 14), 5, NOW);

    expect(plan.release).toEqual([]);
  });

  it('counts lent slots whose export RDS does not list yet, and forgets expired or visible ones', () => {
    const leases: Lease[] = [
      { exportId: 'snap-20', sourceArn: 'a', expiresAt: '2026-11-23T12:05:00Z' }, // lent, not visible yet: counts
      { exportId: 'snap-21', sourceArn: 'b', expiresAt: '2026-11-23T11:59:00Z' }, // expired
      { exportId: 'snap-10', sourceArn: 'c', expiresAt: '2026-11-23T12:05:00Z' }, // RDS lists it: counted once
    ];

    const plan = planDispatch([entry(1), entry(2), entry(3)], leases, active(10, 11, 12), 5, NOW);

    expect(plan.release.map((e) => e.exportId)).toEqual(['snap-1']);
    expect(plan.staleLeases.map((l) => l.exportId).sort()).toEqual(['snap-10', 'snap-21']);
  });

  it('never runs two exports of one source at a time', () => {
    const sameSource = entry(2, { sourceArn: entry(1).sourceArn });

    const plan = planDispatch([entry(1), sameSource], [], active(1), 5, NOW);

    expect(plan.release).toEqual([]);
  });

  it('gives up on entries whose deadline passed while they waited', () => {
    const late = entry(1, {}, '2026-11-23T11:30:00Z');

    const plan = planDispatch([late, entry(2)], [], [], 5, NOW);

    expect(plan.expire.map((e) => e.exportId)).toEqual(['snap-1']);
    expect(plan.release.map((e) => e.exportId)).toEqual(['snap-2']);
  });
});

/** An in-memory store with the DynamoDB adapter's semantics, for the dispatcher's own logic. */
class MemoryStore implements CoordinationStore {
  queue = new Map<string, QueueEntry>();
  leaseMap = new Map<string, Lease>();
  waits = new Map<string, WaitRecord>();
  locked = false;
  dirty = false;
  async enqueue(e: QueueEntry) { this.queue.set(e.execution, e); }
  async waiting() { return [...this.queue.values()]; }
  async claim(e: QueueEntry) { return this.queue.delete(e.execution); }
  async putLease(l: Lease) { this.leaseMap.set(l.exportId, l); }
  async leases() { return [...this.leaseMap.values()]; }
  async dropLease(id: string) { this.leaseMap.delete(id); }
  async swapWait(arn: string, r: WaitRecord) { const old = this.waits.get(arn); this.waits.set(arn, r); return old; }
  async takeWait(arn: string) { const old = this.waits.get(arn); this.waits.delete(arn); return old; }
  async tryLock() { if (this.locked) return false; this.locked = true; return true; }
  async unlock() { this.locked = false; }
  async markDirty() { this.dirty = true; }
  async takeDirty() { const was = this.dirty; this.dirty = false; return was; }
  async requestCancel() {}
  async takeCancelRequest() { return false; }
}

function recordingCallbacks(gone: string[] = []): TaskCallbacks & { succeeded: string[]; failed: string[] } {
  const succeeded: string[] = [];
  const failed: string[] = [];
  return {
    succeeded,
    failed,
    async succeed(token) { if (gone.includes(token)) return false; succeeded.push(token); return true; },
    async fail(token) { failed.push(token); return true; },
  };
}

describe('dispatch', () => {
  it('wakes the released executions with their start input and lends their slots', async () => {
    const store = new MemoryStore();
    await store.enqueue(entry(1));
    const callbacks = recordingCallbacks();

    const result = await dispatch({ store, callbacks, exports: { active: async () => [] }, quota: 5, leaseSeconds: 600 }, NOW);

    expect(result.released).toEqual(['snap-1']);
    expect(callbacks.succeeded).toEqual(['token-1']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-1']);
    expect(store.queue.size).toBe(0);
  });

  it('passes a slot on when the woken execution is gone', async () => {
    const store = new MemoryStore();
    await store.enqueue(entry(1));
    await store.enqueue(entry(2));
    const callbacks = recordingCallbacks(['token-1']);

    const result = await dispatch({ store, callbacks, exports: { active: async () => active(9) }, quota: 2, leaseSeconds: 600 }, NOW);

    expect(result.released).toEqual(['snap-2']);
    expect([...store.leaseMap.keys()]).toEqual(['snap-2']);
  });

  it('asks the dispatcher holding the lock for another round instead of dispatching twice', async () => {
    const store = new MemoryStore();
    await store.enqueue(entry(1));
    store.locked = true;
    let asked = 0;

    const result = await dispatch({ store, callbacks: recordingCallbacks(), exports: { active: async () => (asked++, []) }, quota: 5, leaseSeconds: 600 }, NOW);

    expect(result.released).toEqual([]);
    expect(store.dirty).toBe(true);
    expect(asked).toBe(0);
  });

  it('does not ask RDS what runs when nobody waits', async () => {
    let asked = 0;

    await dispatch({ store: new MemoryStore(), callbacks: recordingCallbacks(), exports: { active: async () => (asked++, []) }, quota: 5, leaseSeconds: 600 }, NOW);

    expect(asked).toBe(0);
  });

  it('fails the token of an entry whose deadline passed, with ExportTimedOut', async () => {
    const store = new MemoryStore();
    await store.enqueue(entry(1, {}, '2026-11-23T11:00:00Z'));
    const callbacks = recordingCallbacks();

    const result = await dispatch({ store, callbacks, exports: { active: async () => [] }, quota: 5, leaseSeconds: 600 }, NOW);

    expect(result.expired).toEqual(['snap-1']);
    expect(callbacks.failed).toEqual(['token-1']);
  });
});
