import type { NotificationPublisher } from './aws/sns-publisher.ts';
import { recordForFailure, recordForState, renderNotification, type FailedStepInput, type Notification } from './notification.ts';
import { markNotified, type ExportState } from './workflow.ts';

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
