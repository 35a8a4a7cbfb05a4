import type { ExportObservation, ExportProvider } from './provider.ts';
import { dispatchBestEffort, type DispatchDeps } from './queue.ts';
import type { ExportRequest } from './request.ts';
import type { ExportStatus } from './status.ts';
import { isTerminal } from './status.ts';
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
}

export async function pollExport(state: ExportState, provider: ExportProvider, slots: DispatchDeps, now: Date): Promise<ExportState> {
  const observation = await provider.describe(taskIdOf(state));
  const next = observe({ ...state, polls: state.polls + 1 }, observation, now);
  if (isTerminal(next.status)) await dispatchBestEffort(slots, now);
  else if (!next.cancelRequested && (await cancelRequested(state, slots))) next.cancelRequested = true;
  return next;
}

/** An operator names the export by our id, or by the service's own (an EC2 export-ami-… id). */
async function cancelRequested(state: ExportState, slots: DispatchDeps): Promise<boolean> {
  if (await slots.store.takeCancelRequest(state.request.exportId)) return true;
  const taskId = taskIdOf(state);
  return taskId !== state.request.exportId && (await slots.store.takeCancelRequest(taskId));
}

export async function cancelExport(state: ExportState, provider: ExportProvider, now: Date): Promise<ExportState> {
  const observation = await provider.cancel(taskIdOf(state));
  // Canceled for the deadline it ends TIMED_OUT; canceled at an operator's request, CANCELED.
  return observe({ ...state, canceledForDeadline: state.overdue }, observation, now);
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
  return { ...state, notifiedStatus: state.status };
}

function secondsBetween(isoStart: string, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(isoStart)) / 1000);
}

function pick<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}
