import type { Place } from '../accounts/place.ts';
import type { ExportRequest } from '../export-kinds/request.ts';
import type { PollBounds } from '../workflow/wait-policy.ts';

/**
 * The slot queue's port: what the dispatcher, the admission and the export waits need of a store.
 * The DynamoDB adapter is beside it (dynamodb-store.ts); the domain imports only this file.
 *
 * RDS's export quota is per account and region (a place, shared/accounts/place.ts): each place has
 * its own queue, its own lent slots and its own dispatcher lock, so what one place does (a backlog,
 * a held lock) never reads nor waits on another's.
 */

/** What an execution gets once it holds an export slot: the start step's input (functions/start-export). */
export interface StartInput {
  request: ExportRequest;
  bounds: PollBounds;
}

/** An execution waiting for one of its place's export slots. */
export interface QueueEntry {
  exportId: string;
  sourceArn: string;
  /** The task token of the execution's AdmitExport state. */
  token: string;
  /** What the execution gets when its slot is free. */
  release: StartInput;
  /** The execution's start time: the queue is first come, first served. */
  requestedAt: string;
  execution: string;
}

/** A slot handed to an execution whose export may not be visible in RDS yet. */
export interface Lease {
  exportId: string;
  sourceArn: string;
  expiresAt: string;
}

/** A page of the queue, oldest first. */
export interface QueuePage {
  entries: QueueEntry[];
  /** Where the next page starts; absent at the end of the queue. */
  next?: string;
}

/** The places where executions wait, each with how many: one item, kept by enqueue and remove. */
export interface WaitingPlace {
  place: Place;
  depth: number;
}

/**
 * What RDS listed as running in a place, and when: one reading serves the dispatches of the next
 * moment (a burst of admissions asks RDS once), so the dispatcher's RDS calls per place stay paced.
 */
export interface ActiveReading {
  at: string;
  active: Array<{ exportId: string; sourceArn: string }>;
}

/** Where executions wait: for a slot (the queue, per place) and for their export's end (the wait tokens). */
export interface CoordinationStore {
  /** Queues the execution in its place; queueing the same execution again (a retried admission) keeps one entry. */
  enqueue(place: Place, entry: QueueEntry): Promise<void>;
  /** The start time of the place's oldest waiting execution, undefined when nobody waits there: one key read. */
  oldestRequestedAt(place: Place): Promise<string | undefined>;
  /** At most `limit` entries of the place, oldest first, from the start of its queue or after the position `after`. */
  oldest(place: Place, limit: number, after?: string): Promise<QueuePage>;
  /** Takes an answered (or gone) entry off its place's queue; removing one that is already gone is no error. */
  remove(place: Place, entry: QueueEntry): Promise<void>;
  /**
   * The places where executions wait, with how many: one item read however many places and entries.
   * A count errs high, never low (a crash between the entry's write and the count's): a place with
   * entries is always listed. Entries a store kept in another layout before (an upgrade) are moved
   * to their places first, so they are listed too.
   */
  waitingPlaces(): Promise<WaitingPlace[]>;
  /** Takes a place off the list if its count is zero (a concurrent enqueue keeps it). */
  forgetPlace(place: Place): Promise<void>;
  /** How many executions wait, in every place: the sum of waitingPlaces' counts. */
  depth(): Promise<number>;
  putLease(place: Place, lease: Lease): Promise<void>;
  /** The place's slots lent: at most about its quota, as the dispatcher drops the stale ones. */
  leases(place: Place): Promise<Lease[]>;
  /** True when there was a lease to drop. */
  dropLease(place: Place, exportId: string): Promise<boolean>;
  /** The place's last reading of what RDS runs there (undefined: none yet). */
  activeReading(place: Place): Promise<ActiveReading | undefined>;
  putActiveReading(place: Place, reading: ActiveReading): Promise<void>;
  /** Records what waits on (or has happened to) this source's export; returns what was recorded before. */
  swapWait(sourceArn: string, record: WaitRecord): Promise<WaitRecord | undefined>;
  /** Returns and forgets the record, so an event delivered twice completes a wait once. */
  takeWait(sourceArn: string): Promise<WaitRecord | undefined>;
  /** Puts back a record taken for a callback that failed, unless a newer one is there; false then. */
  restoreWait(sourceArn: string, record: WaitRecord): Promise<boolean>;
  /** An operator asked to cancel this export (the CLI); the next poll takes the request. */
  requestCancel(exportId: string, requestedBy: string): Promise<void>;
  takeCancelRequest(exportId: string): Promise<boolean>;
  /** One dispatcher per place at a time; false while another holds the place's lock (until it expires). */
  tryLock(place: Place, now: Date, holdSeconds: number): Promise<boolean>;
  unlock(place: Place): Promise<void>;
  /**
   * Asks the place's lock holder for one more round: something changed while it was dispatching.
   * `notBefore`: the round must not count on an RDS reading older than this (an export ended then).
   */
  markDirty(place: Place, notBefore: string): Promise<void>;
  /** The pending request for another round (its notBefore), taken; undefined when none. */
  takeDirty(place: Place): Promise<string | undefined>;
}

/**
 * Per source: either the task token of the execution waiting for its export to end, or the note
 * that an export-finished event came while nobody was waiting (between two waits).
 */
export type WaitRecord = { token: string } | { endedAt: string; eventId: string };

/**
 * The executions the coordination table knows to be alive without an export task yet: queued for a
 * slot (by execution name, read from the queue's keys) or holding a lent slot (by source).
 */
export interface InFlight {
  executions: Set<string>;
  sources: Set<string>;
}

/** What the reconciliation sweep asks the table (shared/triggers/sweep.ts): who must not be started again. */
export interface InFlightExecutions {
  /** The executions queued since `since` (their start time) and the sources holding a lent slot, in each of the places. */
  inFlight(since: Date, places: Place[]): Promise<InFlight>;
}
