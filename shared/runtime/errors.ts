import { clip } from './format.ts';

/**
 * Named errors: every error of ours extends NamedError, whose `name` is its class's (esbuild keeps
 * class names: serverless.yml, keepNames). The state machine's Retry and Catch match on `name`; the
 * classes here are the workflow's own, WorkflowError.
 */

/**
 * The longest message a named error carries. It travels as a Lambda error's cause (the runtime
 * writes it twice: the message and the first line of the trace), into the state, the execution's
 * output and the notifications, all limited to 256 KB: whatever the input, a message stays small.
 */
export const ERROR_MESSAGE_LIMIT = 4096;

/**
 * Every error name statemachines/export.asl.json matches in a Retry or a Catch, or that the
 * dispatcher answers a waiting execution's token with (SendTaskFailure): the workflow's contract.
 * A thrown one is the name of its class below; test/unit/asl-contract.test.ts checks that the ASL
 * and the code agree, both ways.
 */
export const ASL_ERROR_NAMES = {
  /** Throttling, 5xx, timeouts: every Task state retries it with backoff and jitter. */
  transient: 'TransientAwsError',
  /** StartExport retries it, then sends the execution back to AdmitExport to wait for a slot again. */
  quotaExceeded: 'ExportQuotaExceeded',
  /** CancelExport catches it and says the workflow stopped following the export (NotifyNotFollowed). */
  cannotCancel: 'CannotCancelExport',
  /**
   * The execution waited longer than the slot wait limit (SLOT_WAIT_LIMIT_SECONDS) for one of the
   * account's export slots; nothing was started. The dispatcher fails AdmitExport's token with this
   * name (SendTaskFailure: no class, nothing throws it), and it is notified as TIMED_OUT.
   */
  slotWaitTimedOut: 'SlotWaitTimedOut',
  /** The execution input was refused: AdmitExport's catch drops the input from the state (InputRefused) and notifies. */
  invalidRequest: 'InvalidExportRequest',
  /** An event no step can read: refused like a bad input where it enters (AdmitExport), else by the catch-all. */
  malformedEvent: 'MalformedEvent',
  /**
   * The member role of the source's account cannot be assumed (AccessDenied: the member stack is not
   * deployed there, or its trust does not name this deployment). Never retried; the execution is
   * notified FAILED with the account, the role and what to do; the other accounts go on.
   */
  memberAccessDenied: 'MemberAccessDenied',
} as const;

export abstract class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(clip(message, ERROR_MESSAGE_LIMIT), options);
    this.name = new.target.name;
  }
}

/**
 * The workflow's own errors, every class below: what the state machine matches by name and what a
 * step raises knowing what went wrong. toWorkflowError (shared/runtime/aws-errors.ts) passes them
 * through unchanged; any other error, named or not (an SDK error, the ADS client's
 * AdsServiceException), is a service's answer and is mapped to one of them.
 */
export abstract class WorkflowError extends NamedError {}

/** How many problems an InvalidExportRequest's message lists; the others are counted. */
export const PROBLEMS_LISTED = 12;

/** One or more fields of the execution input are wrong. Never retried. */
export class InvalidExportRequest extends WorkflowError {
  /** Every problem, the message lists the first ones. Declared, not a parameter property: esbuild must emit the class's static name block first (AdmitExport catches this name). */
  declare readonly problems: string[];

  constructor(problems: string[], options?: { cause?: unknown }) {
    const more = problems.length - PROBLEMS_LISTED;
    super(`Invalid export request: ${problems.slice(0, PROBLEMS_LISTED).join('; ')}${more > 0 ? `; and ${more} more problem(s)` : ''}`, options);
    this.problems = problems;
  }
}

/** Deploy-time configuration is missing or malformed: every problem is listed at once. */
export class ConfigurationError extends WorkflowError {}

/** Throttling or a 5xx answer from an AWS API: the state machine retries with backoff and jitter. */
export class TransientAwsError extends WorkflowError {}

/** The service answered that the export task does not exist. */
export class ExportTaskNotFound extends WorkflowError {}

/** A task with our identifier exists but exports another source: a naming collision, never adopted. */
export class ExportIdentifierConflict extends WorkflowError {}

/** The service reported a status this workflow does not know; failing beats polling forever. */
export class UnknownExportStatus extends WorkflowError {}

/** Any other AWS error the workflow cannot handle: caught, notified, and the execution fails. */
export class ExportServiceError extends WorkflowError {}

/** The account already runs as many export tasks as its quota allows: retried later, with jitter. */
export class ExportQuotaExceeded extends WorkflowError {}

/**
 * The service cannot cancel this export (ADS has no cancel; EC2 refuses during the final transfer
 * of the disk image). The export goes on by itself: the workflow says it stopped following it.
 */
export class CannotCancelExport extends WorkflowError {
  /** The export that goes on. Declared, not a class field: esbuild must emit the class's static name block first. */
  declare readonly exportId: string;

  constructor(message: string, exportId: string, options?: { cause?: unknown }) {
    super(message, options);
    this.exportId = exportId;
  }
}

/**
 * An event or a state handed to a Lambda is not what it must be (null, a list, a string, missing
 * fields). Never retried: the same input fails the same way. The state machine's catch-all routes
 * it to the failure notification; event-driven functions log it and drop the event.
 */
export class MalformedEvent extends WorkflowError {}

/** The reconciliation sweep could not start one or more missing snapshots; thrown after trying all of them. */
export class ReconciliationFailed extends WorkflowError {}

/** The source's account is reached through a role this deployment cannot assume: its exports fail, notified, the other accounts' go on. */
export class MemberAccessDenied extends WorkflowError {}
