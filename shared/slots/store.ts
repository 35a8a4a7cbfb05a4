import type { ExportRequest } from '../export-kinds/request.ts';
import type { PollBounds } from '../workflow/wait-policy.ts';

/**
 * The slot queue's port: what the dispatcher, the admission and the export waits need of a store.
 * The DynamoDB adapter is beside it (dynamodb-store.ts); the domain imports only this file.
 */

/** What an execution gets once it holds an export slot: the start step's input (functions/start-export). */
export interface StartInput {
  request: ExportRequest;
  bounds: PollBounds;
}

/** An execution waiting for one of the account's export slots. */
export interface QueueEntry {
  exportId: string;
  sourceArn: string;
  /** The task token of the execution's AwaitSlot state. */
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

/** Where executions wait: for a slot (the queue) and for their export's end (the wait tokens). */
export interface CoordinationStore {
  /** Queues the execution; queueing the same execution again (a retried admission) keeps one entry. */
  enqueue(entry: QueueEntry): Promise<void>;
  /** The start time of the oldest waiting execution, undefined when nobody waits: one key read. */
  oldestRequestedAt(): Promise<string | undefined>;
  /** At most `limit` entries, oldest first, from the start of the queue or after the position `after`. */
  oldest(limit: number, after?: string): Promise<QueuePage>;
  /** Takes an answered (or gone) entry off the queue; removing one that is already gone is no error. */
  remove(entry: QueueEntry): Promise<void>;
  /** How many executions wait: a counter kept by enqueue and remove, one item read however long the queue. */
  depth(): Promise<number>;
  putLease(lease: Lease): Promise<void>;
  /** The slots lent: at most about the quota, as the dispatcher drops the stale ones. */
  leases(): Promise<Lease[]>;
  dropLease(exportId: string): Promise<void>;
  /** Records what waits on (or has happened to) this source's export; returns what was recorded before. */
  swapWait(sourceArn: string, record: WaitRecord): Promise<WaitRecord | undefined>;
  /** Returns and forgets the record, so an event delivered twice completes a wait once. */
  takeWait(sourceArn: string): Promise<WaitRecord | undefined>;
  /** Puts back a record taken for a callback that failed, unless a newer one is there; false then. */
  restoreWait(sourceArn: string, record: WaitRecord): Promise<boolean>;
  /** An operator asked to cancel this export (the CLI); the next poll takes the request. */
  requestCancel(exportId: string, requestedBy: string): Promise<void>;
  takeCancelRequest(exportId: string): Promise<boolean>;
  /** One dispatcher at a time; false while another holds the lock (until it expires). */
  tryLock(now: Date, holdSeconds: number): Promise<boolean>;
  unlock(): Promise<void>;
  /** Asks the lock holder for one more round: something changed while it was dispatching. */
  markDirty(): Promise<void>;
  takeDirty(): Promise<boolean>;
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
  /** The executions queued since `since` (their start time) and the sources holding a lent slot. */
  inFlight(since: Date): Promise<InFlight>;
}
