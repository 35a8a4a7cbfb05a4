import { ExportServiceError, TransientAwsError, UnknownExportStatus } from '../runtime/errors.ts';
import { backoffSeconds, describeError, failedAgain, type CancelFailure, type Interruption, type NotifyError } from './following.ts';
import { logger } from '../runtime/logger.ts';
import type { ExportObservation } from '../export-kinds/contract.ts';
import type { ExportRequest } from '../export-kinds/request.ts';
import type { ExportStatus } from '../export-kinds/status.ts';
import { isTerminal } from '../export-kinds/status.ts';
import type { Verification } from '../verification/result.ts';
import { nextWaitSeconds, type PollBounds } from './wait-policy.ts';

/**
 * What the state machine carries from step to step. The Choice state reads `status`,
 * `notifiedStatus`, `overdue` and `cancelRequested`; the wait reads `waitSeconds`.
 */
export interface ExportState {
  request: ExportRequest;
  /** The id the service gave the task (EC2 export-ami-…, ADS export id); absent: request.exportId (RDS). */
  taskId?: string;
  status: ExportStatus;
  percent: number;
  /** The status last published; "NONE" before the first notification. */
  notifiedStatus: ExportStatus | 'NONE';
  overdue: boolean;
  /** An operator asked to cancel the export (`export-orchestrator cancel`): it ends CANCELED. */
  cancelRequested: boolean;
  canceledForDeadline: boolean;
  waitSeconds: number;
  exportStartedAt: string;
  taskStartTime?: string;
  taskEndTime?: string;
  adopted: boolean;
  polls: number;
  bounds: PollBounds;
  failureCause?: string;
  warning?: string;
  extractedDataGb?: number;
  /**
   * RDS export events end the wait (a task-token wait); false: a plain Wait state, which costs no
   * Lambda and no DynamoDB call (EC2 images, ADS, RDS with events off). Read by the Route choice.
   */
  wakeByEvent: boolean;
  /** Observations failing in a row: following goes on, backing off (see following.ts). */
  interruption?: Interruption;
  /** A notice for the next step to publish: following works again after an interruption that was notified. */
  pendingNotice?: 'FOLLOWING_RESUMED';
  /** Cancels failing in a row; while set, Route waits before trying again. */
  cancelFailure?: CancelFailure;
  /** The last cancel failed: wait and look (poll) before the next try. Read by the Route choice. */
  cancelBackoff: boolean;
  /** The last notification that could not be sent (kept in the execution output). */
  notifyError?: NotifyError;
  /** What a Catch put here when a step's Lambda itself could not run; cleared by the next poll. */
  stepError?: unknown;
  /** Set by the verify step after an RDS export's end: the tables, the catalog, the partial data. */
  verification?: Verification;
  /** The verify step failed past its retries (caught): the export's end is notified without its verification. */
  verifyError?: { Error: string; Cause?: string };
}

/** Errors of an observation (describe, cancel) that leave the export running: back off and look again. */
export function isObservationError(error: unknown): boolean {
  return error instanceof TransientAwsError || error instanceof ExportServiceError || error instanceof UnknownExportStatus;
}

/** Following goes on without this observation: wait (backing off) and look again; the deadline still counts. */
export function observationFailed(state: ExportState, error: unknown, now: Date): ExportState {
  const interruption = failedAgain(state.interruption, describeError(error), now);
  const secondsToDeadline = (Date.parse(state.request.deadline) - now.getTime()) / 1000;
  const log = error instanceof TransientAwsError ? logger.warn.bind(logger) : logger.error.bind(logger);
  log('could not observe the export task; waiting and looking again', { exportId: state.request.exportId, failures: interruption.failures, since: interruption.since, error: interruption.lastError });
  return {
    ...state,
    interruption,
    overdue: secondsToDeadline <= 0 && !isTerminal(state.status),
    waitSeconds: backoffSeconds(interruption.failures, state.bounds, secondsToDeadline),
  };
}

/** A successful observation ends an interruption; one that was notified gets its "resumed" notice. */
export function resumed(state: ExportState): ExportState {
  if (!state.interruption) return state;
  const { interruption, ...rest } = state;
  return interruption.notified ? { ...rest, pendingNotice: 'FOLLOWING_RESUMED' } : rest;
}

/**
 * Folds one reading of the task into the state: the workflow's status (a task we canceled because
 * the deadline passed ends TIMED_OUT, not CANCELED), whether the deadline has passed, and how long
 * to wait before looking again.
 */
export function observe(state: ExportState, observation: ExportObservation, now: Date): ExportState {
  const status: ExportStatus =
    observation.status === 'CANCELED' && state.canceledForDeadline ? 'TIMED_OUT' : observation.status;
  const secondsToDeadline = (Date.parse(state.request.deadline) - now.getTime()) / 1000;
  const progressOrigin = observation.taskStartTime ?? state.exportStartedAt;
  const next: ExportState = {
    ...state,
    status,
    percent: status === 'COMPLETE' ? 100 : observation.percent,
    overdue: secondsToDeadline <= 0 && !isTerminal(status),
    ...pick(observation, ['taskStartTime', 'taskEndTime', 'failureCause', 'warning', 'extractedDataGb']),
  };
  next.waitSeconds = nextWaitSeconds(
    {
      status,
      percent: next.percent,
      secondsSinceStart: secondsBetween(state.exportStartedAt, now),
      secondsSinceProgressOrigin: secondsBetween(progressOrigin, now),
      secondsToDeadline,
    },
    state.bounds,
  );
  return next;
}

/** What describe and cancel take: the service's id of the task, which for RDS is our export id. */
export function taskIdOf(state: Pick<ExportState, 'taskId' | 'request'>): string {
  return state.taskId ?? state.request.exportId;
}

export function markNotified(state: ExportState): ExportState {
  const { notifyError: _sent, ...rest } = state;
  return { ...rest, notifiedStatus: state.status };
}

function secondsBetween(isoStart: string, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(isoStart)) / 1000);
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
