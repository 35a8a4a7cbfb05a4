import type { NotificationPublisher } from '../../shared/aws/sns-publisher.ts';
import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import { EVENT_SHAPES } from '../../shared/event-shape.ts';
import { notify, type NotifyInput } from '../../shared/notify.ts';

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
