/** Stand-ins of the ports (coordination store, publisher, execution starter) for tests that do not exercise an adapter. */
import { vi } from 'vitest';
import type { ActiveReading, CoordinationStore, Lease, QueueEntry, QueuePage, WaitingPlace, WaitRecord } from '../../shared/slots/store.ts';
import { parsePlaceKey, placeKey, placeOfArn, type Place } from '../../shared/accounts/place.ts';
import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import type { ExecutionStarter } from '../../shared/workflow/step-functions.ts';
import type { Notification } from '../../shared/notify/record.ts';

/** Where an entry stands in the queue, as the DynamoDB adapter sorts it: by request time, then execution. */
const positionOf = (entry: QueueEntry) => `${entry.requestedAt}#${entry.execution}`;

/**
 * A coordination store of mocks: the given queue waiting (oldest first) in whatever place is asked
 * (the tick finds the places of its sources), one dispatcher, nothing lent, nothing to cancel.
 */
export function mockCoordinationStore(queue: QueueEntry[], overrides: Partial<CoordinationStore> = {}): CoordinationStore {
  const waiting = [...queue].sort((a, b) => positionOf(a).localeCompare(positionOf(b)));
  return {
    enqueue: vi.fn(async () => {}),
    oldestRequestedAt: vi.fn(async () => waiting[0]?.requestedAt),
    oldest: vi.fn(async (_place: Place, limit: number, after?: string) => {
      const from = after === undefined ? 0 : waiting.findIndex((entry) => positionOf(entry) > after);
      const entries = from < 0 ? [] : waiting.slice(from, from + limit);
      return entries.length === limit ? { entries, next: positionOf(entries.at(-1)!) } : { entries };
    }),
    depth: vi.fn(async () => waiting.length),
    waitingPlaces: vi.fn(async () => {
      const counts = new Map<string, number>();
      for (const entry of waiting) {
        const place = placeOfArn(entry.sourceArn);
        if (place) counts.set(placeKey(place), (counts.get(placeKey(place)) ?? 0) + 1);
      }
      return [...counts].map(([key, depth]) => ({ place: parsePlaceKey(key)!, depth }));
    }),
    forgetPlace: vi.fn(async () => {}),
    remove: vi.fn(async (_place: Place, entry: QueueEntry) => {
      const index = waiting.indexOf(entry);
      if (index >= 0) waiting.splice(index, 1);
    }),
    putLease: vi.fn(async () => {}),
    leases: vi.fn(async () => []),
    dropLease: vi.fn(async () => false),
    activeReading: vi.fn(async () => undefined),
    putActiveReading: vi.fn(async () => {}),
    swapWait: vi.fn(async () => undefined),
    takeWait: vi.fn(async () => undefined),
    restoreWait: vi.fn(async () => true),
    tryLock: vi.fn(async () => true),
    unlock: vi.fn(async () => {}),
    markDirty: vi.fn(async () => {}),
    takeDirty: vi.fn(async () => undefined),
    requestCancel: vi.fn(async () => {}),
    takeCancelRequest: vi.fn(async () => false),
    ...overrides,
  };
}

/** One place's part of the in-memory store. */
class PlaceState {
  queue = new Map<string, QueueEntry>();
  leaseMap = new Map<string, Lease>();
  reading: ActiveReading | undefined;
  locked = false;
  dirty: string | undefined;
}

/**
 * An in-memory store with the DynamoDB adapter's semantics (a queue per place sorted by request
 * time, read in pages; a count per place), counting what is read. `queue`, `leaseMap`, `locked` and
 * `dirty` are those of the default place (us-east-1 of 123456789012, where the tests' sources are).
 */
export class MemoryCoordinationStore implements CoordinationStore {
  static readonly DEFAULT_PLACE: Place = { account: '123456789012', region: 'us-east-1' };
  private places = new Map<string, PlaceState>();
  waits = new Map<string, WaitRecord>();
  entriesRead = 0;
  /** RDS readings shared by the dispatches of a place (put). */
  readingsPut = 0;
  log: string[] = [];
  at(place: Place): PlaceState {
    const key = placeKey(place);
    let state = this.places.get(key);
    if (!state) this.places.set(key, (state = new PlaceState()));
    return state;
  }
  private get home() { return this.at(MemoryCoordinationStore.DEFAULT_PLACE); }
  get queue() { return this.home.queue; }
  get leaseMap() { return this.home.leaseMap; }
  get locked() { return this.home.locked; }
  set locked(value: boolean) { this.home.locked = value; }
  get dirty() { return this.home.dirty !== undefined; }
  async enqueue(p: Place, e: QueueEntry) { this.at(p).queue.set(positionOf(e), e); }
  async oldestRequestedAt(p: Place) { return this.sorted(p)[0]?.requestedAt; }
  async oldest(p: Place, limit: number, after?: string): Promise<QueuePage> {
    const entries = this.sorted(p).filter((e) => after === undefined || positionOf(e) > after).slice(0, limit);
    this.entriesRead += entries.length;
    return entries.length === limit ? { entries, next: positionOf(entries.at(-1)!) } : { entries };
  }
  async waitingPlaces(): Promise<WaitingPlace[]> {
    return [...this.places.entries()].filter(([, state]) => state.queue.size > 0).map(([key, state]) => ({ place: parsePlaceKey(key)!, depth: state.queue.size }));
  }
  async forgetPlace() {}
  async depth() { return [...this.places.values()].reduce((sum, state) => sum + state.queue.size, 0); }
  async remove(p: Place, e: QueueEntry) { this.log.push(`remove ${e.exportId}`); this.at(p).queue.delete(positionOf(e)); }
  async putLease(p: Place, l: Lease) { this.at(p).leaseMap.set(l.exportId, l); }
  async leases(p: Place) { return [...this.at(p).leaseMap.values()]; }
  async dropLease(p: Place, id: string) { return this.at(p).leaseMap.delete(id); }
  async activeReading(p: Place) { return this.at(p).reading; }
  async putActiveReading(p: Place, reading: ActiveReading) { this.readingsPut++; this.at(p).reading = reading; }
  async swapWait(arn: string, r: WaitRecord) { const old = this.waits.get(arn); this.waits.set(arn, r); return old; }
  async takeWait(arn: string) { const old = this.waits.get(arn); this.waits.delete(arn); return old; }
  async restoreWait(arn: string, r: WaitRecord) { if (this.waits.has(arn)) return false; this.waits.set(arn, r); return true; }
  async tryLock(p: Place) { const state = this.at(p); if (state.locked) return false; state.locked = true; return true; }
  async unlock(p: Place) { this.at(p).locked = false; }
  async markDirty(p: Place, notBefore: string) { this.at(p).dirty = notBefore; }
  async takeDirty(p: Place) { const state = this.at(p); const was = state.dirty; state.dirty = undefined; return was; }
  async requestCancel() {}
  async takeCancelRequest() { return false; }
  private sorted(p: Place) { return [...this.at(p).queue.values()].sort((a, b) => positionOf(a).localeCompare(positionOf(b))); }
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
