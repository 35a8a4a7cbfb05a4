import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { notify, type NotifyInput } from '../../shared/workflow/notify.ts';

export interface NotifyDeps {
  publisher: NotificationPublisher;
  clock: Clock;
}

export const makeHandler = ({ publisher, clock }: NotifyDeps) =>
  workflowStep(async (input: NotifyInput) => {
    const { output, notification } = await notify(input, publisher, clock());
    logger.info('published notification', { subject: notification.subject, ...notification.attributes });
    return output;
  }, EVENT_SHAPES.notify);
