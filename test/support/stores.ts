/** Stand-ins of the ports (coordination store, publisher, execution starter) for tests that do not exercise an adapter. */
import { vi } from 'vitest';
import type { CoordinationStore, Lease, QueueEntry, QueuePage, WaitRecord } from '../../shared/slots/store.ts';
import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import type { ExecutionStarter } from '../../shared/workflow/step-functions.ts';
import type { Notification } from '../../shared/notify/record.ts';

/** Where an entry stands in the queue, as the DynamoDB adapter sorts it: by request time, then execution. */
const positionOf = (entry: QueueEntry) => `${entry.requestedAt}#${entry.execution}`;

/** A coordination store of mocks: the given queue waiting (oldest first), one dispatcher, nothing lent, nothing to cancel. */
export function mockCoordinationStore(queue: QueueEntry[], overrides: Partial<CoordinationStore> = {}): CoordinationStore {
  const waiting = [...queue].sort((a, b) => positionOf(a).localeCompare(positionOf(b)));
  return {
    enqueue: vi.fn(async () => {}),
    oldestRequestedAt: vi.fn(async () => waiting[0]?.requestedAt),
    oldest: vi.fn(async (limit: number, after?: string) => {
      const from = after === undefined ? 0 : waiting.findIndex((entry) => positionOf(entry) > after);
      const entries = from < 0 ? [] : waiting.slice(from, from + limit);
      return entries.length === limit ? { entries, next: positionOf(entries.at(-1)!) } : { entries };
    }),
    depth: vi.fn(async () => waiting.length),
    remove: vi.fn(async (entry: QueueEntry) => {
      const index = waiting.indexOf(entry);
      if (index >= 0) waiting.splice(index, 1);
    }),
    putLease: vi.fn(async () => {}),
    leases: vi.fn(async () => []),
    dropLease: vi.fn(async () => {}),
    swapWait: vi.fn(async () => undefined),
    takeWait: vi.fn(async () => undefined),
    restoreWait: vi.fn(async () => true),
    tryLock: vi.fn(async () => true),
    unlock: vi.fn(async () => {}),
    markDirty: vi.fn(async () => {}),
    takeDirty: vi.fn(async () => false),
    requestCancel: vi.fn(async () => {}),
    takeCancelRequest: vi.fn(async () => false),
    ...overrides,
  };
}

/** An in-memory store with the DynamoDB adapter's semantics (a queue sorted by request time, read in pages), counting what is read. */
export class MemoryCoordinationStore implements CoordinationStore {
  queue = new Map<string, QueueEntry>();
  leaseMap = new Map<string, Lease>();
  waits = new Map<string, WaitRecord>();
  locked = false;
  dirty = false;
  entriesRead = 0;
  log: string[] = [];
  async enqueue(e: QueueEntry) { this.queue.set(positionOf(e), e); }
  async oldestRequestedAt() { return this.sorted()[0]?.requestedAt; }
  async oldest(limit: number, after?: string): Promise<QueuePage> {
    const entries = this.sorted().filter((e) => after === undefined || positionOf(e) > after).slice(0, limit);
    this.entriesRead += entries.length;
    return entries.length === limit ? { entries, next: positionOf(entries.at(-1)!) } : { entries };
  }
  async depth() { return this.queue.size; }
  async remove(e: QueueEntry) { this.log.push(`remove ${e.exportId}`); this.queue.delete(positionOf(e)); }
  async putLease(l: Lease) { this.leaseMap.set(l.exportId, l); }
  async leases() { return [...this.leaseMap.values()]; }
  async dropLease(id: string) { this.leaseMap.delete(id); }
  async swapWait(arn: string, r: WaitRecord) { const old = this.waits.get(arn); this.waits.set(arn, r); return old; }
  async takeWait(arn: string) { const old = this.waits.get(arn); this.waits.delete(arn); return old; }
  async restoreWait(arn: string, r: WaitRecord) { if (this.waits.has(arn)) return false; this.waits.set(arn, r); return true; }
  async tryLock() { if (this.locked) return false; this.locked = true; return true; }
  async unlock() { this.locked = false; }
  async markDirty() { this.dirty = true; }
  async takeDirty() { const was = this.dirty; this.dirty = false; return was; }
  async requestCancel() {}
  async takeCancelRequest() { return false; }
  private sorted() { return [...this.queue.values()].sort((a, b) => positionOf(a).localeCompare(positionOf(b))); }
}

/** A publisher that keeps what it was given (or fails with `failWith`), for the steps that notify themselves. */
export function recordingPublisher(failWith?: () => Error): NotificationPublisher & { published: Notification[] } {
  const published: Notification[] = [];
  return {
    published,
    async publish(notification) {
      if (failWith) throw failWith();
      published.push(notification);
    },
  };
}

/** Remembers names like Step Functions does: a second start of a name is refused. */
export function recordingStarter(): ExecutionStarter & { started: Array<{ name: string; input: unknown }> } {
  const started: Array<{ name: string; input: unknown }> = [];
  return {
    started,
    async start(name, input) {
      if (started.some((s) => s.name === name)) return { started: false };
      started.push({ name, input });
      return { started: true };
    },
  };
}
