import type { NotificationPublisher } from '../notify/sns-publisher.ts';
import { TransientAwsError } from '../runtime/errors.ts';
import { backoffSeconds, CANCEL_ESCALATION_SECONDS, describeError, INTERRUPTION_NOTICE_SECONDS, isNews, quickly, type NotifyError } from './following.ts';
import { logger } from '../runtime/logger.ts';
import { METRIC_NAMES, publish as publishMetrics } from '../runtime/metrics.ts';
import { recordForFailure, recordForNotice, recordForState, renderNotification, type FailedStepInput, type Notification } from '../notify/record.ts';
import { kindOf } from '../export-kinds/request.ts';
import { isTerminal } from '../export-kinds/status.ts';
import { awaitsVerification } from '../verification/when.ts';
import { markNotified, type ExportState } from './export-state.ts';

/** The notify step serves both the change of an export's status and a step that failed (caught by the state machine). */
export type NotifyInput = ExportState | FailedStepInput;

export async function notify(
  input: NotifyInput,
  publisher: NotificationPublisher,
  now: Date,
): Promise<{ output: NotifyInput; notification: Notification }> {
  const failed = 'error' in input && input.error !== undefined;
  const record = failed ? recordForFailure(input as FailedStepInput, now) : recordForState(input as ExportState, now);
  const notification = renderNotification(record);
  await publisher.publish(notification);
  return { output: failed ? input : markNotified(input as ExportState), notification };
}

/**
 * What a step that observed the export publishes itself, so that following a change of status
 * costs no extra state: the new status (once per change), and the notices about following it. A
 * notification that cannot be sent never stops the step: it is logged at ERROR, kept in the state
 * (`notifyError`, in the execution output) and tried again by the next step, which comes sooner
 * for a transient failure. A final status still unsent goes through the Notify state (its retries,
 * then SkipNotification), whose Lambda error is the alarm's signal.
 */
export async function announce(state: ExportState, publisher: NotificationPublisher, now: Date): Promise<ExportState> {
  let next = state;
  if (next.status !== next.notifiedStatus && !awaitsVerification(next)) {
    const failure = await tryPublish(publisher, renderNotification(recordForState(next, now)), next);
    next = failure ? { ...next, notifyError: notifyErrorOf(next, failure, now) } : markNotified(next);
  }
  if (next.interruption && isNews(next.interruption, INTERRUPTION_NOTICE_SECONDS, now) && !(await tryPublish(publisher, renderNotification(recordForNotice(next, 'FOLLOWING_INTERRUPTED', now)), next))) {
    next = { ...next, interruption: { ...next.interruption, notified: true } };
  }
  if (next.pendingNotice) {
    // Sent once if it can be; a lost "resumed" is not worth retrying, the next status says as much.
    await tryPublish(publisher, renderNotification(recordForNotice(next, next.pendingNotice, now)), next);
    const { pendingNotice: _sent, ...rest } = next;
    next = rest;
  }
  if (next.cancelFailure && isNews(next.cancelFailure, CANCEL_ESCALATION_SECONDS, now) && !(await tryPublish(publisher, renderNotification(recordForNotice(next, 'CANCEL_STUCK', now)), next))) {
    next = { ...next, cancelFailure: { ...next.cancelFailure, notified: true } };
  }
  if (next.notifyError && !next.notifyError.permanent && !isTerminal(next.status)) {
    const secondsToDeadline = (Date.parse(next.request.deadline) - now.getTime()) / 1000;
    next = { ...next, waitSeconds: Math.min(next.waitSeconds, backoffSeconds(next.notifyError.failures, next.bounds, secondsToDeadline)) };
  }
  return next;
}

/** Publishes with its quick retries; returns the error it gave up on, or undefined once sent. */
async function tryPublish(publisher: NotificationPublisher, notification: Notification, state: ExportState): Promise<Error | undefined> {
  try {
    await quickly(() => publisher.publish(notification));
    return undefined;
  } catch (error) {
    // The alarm's signal: the NotificationsFailed metric and an ERROR log line, in every function that publishes.
    publishMetrics([{ name: METRIC_NAMES.notificationsFailed, unit: 'Count', value: 1, dimensions: { kind: kindOf(state.request) } }]);
    logger.error('could not publish the notification; the next step tries again', {
      notificationFailed: true,
      subject: notification.subject,
      exportId: state.request.exportId,
      error: describeError(error),
      permanent: !(error instanceof TransientAwsError),
    });
    return error as Error;
  }
}

function notifyErrorOf(state: ExportState, error: Error, now: Date): NotifyError {
  const same = state.notifyError?.status === state.status;
  return {
    status: state.status,
    name: error.name,
    message: describeError(error).slice(error.name.length + 2),
    at: now.toISOString(),
    failures: same ? state.notifyError!.failures + 1 : 1,
    permanent: !(error instanceof TransientAwsError),
  };
}
