import { TransientAwsError } from '../runtime/errors.ts';
import { clip } from '../runtime/format.ts';
import type { ExportStatus } from '../export-kinds/status.ts';
import type { PollBounds } from './wait-policy.ts';

/**
 * What keeps an export followed through faults. Following ends only at the export's real end, its
 * deadline (then it is canceled) or an operator's cancel: an observation that fails (throttling, a
 * 5xx, the network, even a permission error) sends the workflow back to waiting, longer each time,
 * and it looks again. These are the rules, as pure functions; the steps apply them (start-export.ts, export-state.ts, notify.ts).
 */

/** Following interrupted this long is notified once (and its resumption once): a few failed polls are not news. */
export const INTERRUPTION_NOTICE_SECONDS = 15 * 60;

/**
 * A cancel that has not got through this long after the first try is notified loudly, with the
 * command to cancel by hand; the workflow keeps trying until the task ends anyway.
 */
export const CANCEL_ESCALATION_SECONDS = 60 * 60;

/** Quick attempts of one observation or notification inside a step (each the SDK's own two), before backing off. */
export const QUICK_ATTEMPTS = 2;
/** Pause between two quick attempts. */
export const QUICK_PAUSE_MS = 1000;

/** The pause between two quick attempts, jittered so that throttled callers spread out. */
export function quickPause(): Promise<void> {
  return new Promise((resume) => setTimeout(resume, QUICK_PAUSE_MS * (0.5 + Math.random() / 2)));
}

/** A call with its quick retries: a throttled call usually goes through a second later. Only for calls safe to repeat. */
export async function quickly<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= QUICK_ATTEMPTS || !(error instanceof TransientAwsError)) throw error;
      await quickPause();
    }
  }
}

/** Failures in a row (of observations, or of cancels): since when, how many, why, and whether people were told. */
export interface FailureStreak {
  since: string;
  failures: number;
  lastError: string;
  /** The notice went out (once the streak lasted long enough). */
  notified: boolean;
}

/** Observations failing in a row: following interrupted. */
export type Interruption = FailureStreak;
/** Cancels failing in a row, since the first try. */
export type CancelFailure = FailureStreak;

/** A notification that could not be sent: in the execution output, retried on the next step. */
export interface NotifyError {
  status: ExportStatus;
  name: string;
  message: string;
  at: string;
  failures: number;
  /** Not worth retrying soon (access denied by IAM or KMS): the next step still tries, but does not come sooner for it. */
  permanent: boolean;
}

/**
 * The wait after the n-th failure in a row (n ≥ 1): the minimum, doubling, at most the maximum;
 * never past a deadline still ahead (the cancel must be on time), and at least a second.
 */
export function backoffSeconds(failures: number, bounds: PollBounds, secondsToDeadline: number): number {
  const doubling = bounds.minSeconds * 2 ** Math.min(30, Math.max(0, failures - 1));
  const wait = Math.min(bounds.maxSeconds, doubling);
  return Math.ceil(secondsToDeadline > 0 ? Math.max(1, Math.min(wait, secondsToDeadline)) : wait);
}

export function failedAgain(previous: FailureStreak | undefined, error: string, now: Date): FailureStreak {
  return previous
    ? { ...previous, failures: previous.failures + 1, lastError: error }
    : { since: now.toISOString(), failures: 1, lastError: error, notified: false };
}

/** Whether the streak has lasted long enough to tell people (INTERRUPTION_NOTICE_SECONDS, CANCEL_ESCALATION_SECONDS), and was not told yet. */
export function isNews(streak: FailureStreak, afterSeconds: number, now: Date): boolean {
  return !streak.notified && secondsSince(streak.since, now) >= afterSeconds;
}

export function secondsSince(iso: string, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);
}

/** One line for logs and notices: `Name: message`, clipped so a state never carries a huge error. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string } | undefined;
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  return clip(text, 300);
}
