import type { SNSEvent } from 'aws-lambda';
import type { SecretSource } from './ssm-secret.ts';
import { logger } from '../../runtime/logger.ts';
import { postToSlack, SlackWebhookRejected, type SlackPostDeps } from './post.ts';
import { slackMessageFor } from './render.ts';

export interface SlackDeliveryDeps {
  /** The webhook URL, read once per cold start. */
  webhook: SecretSource;
  fetch: typeof fetch;
  /** The Lambda's remaining time: retries must fit in it. */
  remainingMs: () => number;
  policy?: SlackPostDeps['policy'];
  sleep?: SlackPostDeps['sleep'];
  random?: SlackPostDeps['random'];
}

export interface SlackDeliveryResult {
  posted: number;
  refused: number;
}

/**
 * Posts each SNS record to Slack. SNS hands a Lambda one record per invocation; a failure throws at
 * once (Lambda retries, then the dead-letter queue), and a retried invocation posts nothing twice.
 */
export async function deliverToSlack(event: SNSEvent, deps: SlackDeliveryDeps): Promise<SlackDeliveryResult> {
  const url = await deps.webhook.get();
  const result: SlackDeliveryResult = { posted: 0, refused: 0 };
  for (const { Sns: sns } of event.Records ?? []) {
    const { message, record } = slackMessageFor(sns);
    const about = { snsMessageId: sns.MessageId, ...(record ? { status: record.status, sourceArn: record.sourceArn } : { subject: sns.Subject }) };
    const posted = await postToSlack(url, message, {
      fetch: deps.fetch,
      remainingMs: deps.remainingMs,
      ...(deps.policy ? { policy: deps.policy } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.random ? { random: deps.random } : {}),
      onRetry: (retry) => logger.warn('Slack did not take the message; trying again', { ...about, ...retry }),
    }).catch((error: unknown) => {
      // The URL was revoked or replaced: read the parameter again next time rather than keep a dead URL warm.
      if (error instanceof SlackWebhookRejected) deps.webhook.forget?.();
      throw error;
    });
    if (posted.outcome === 'posted') {
      result.posted++;
      logger.info('posted the notification to Slack', { ...about, attempts: posted.attempts });
    } else {
      // Not thrown: the same payload would be refused again from the dead-letter queue. At error
      // level, so the alarm on the function's errors sees a notifier that renders what Slack refuses.
      result.refused++;
      logger.error('Slack refused the message as malformed; not retried', { ...about, httpStatus: posted.httpStatus, reason: posted.reason });
    }
  }
  return result;
}
