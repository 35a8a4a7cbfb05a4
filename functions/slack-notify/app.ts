import type { MiddyfiedHandler } from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import type { SecretSource } from '../../shared/aws/ssm-secret.ts';
import { logger, workflowStep } from '../../shared/lambda.ts';
import { postToSlack, slackMessageFor, SlackWebhookRejected, type SlackPostDeps } from '../../shared/slack.ts';

export interface SlackNotifyDeps {
  /** The webhook URL, read once per cold start. */
  webhook: SecretSource;
  fetch: typeof fetch;
  policy?: SlackPostDeps['policy'];
  sleep?: SlackPostDeps['sleep'];
  random?: SlackPostDeps['random'];
}

export interface SlackNotifyResult {
  posted: number;
  refused: number;
}

/** What the step sees: workflowStep hands a step its event only, and retries must fit in the Lambda's time. */
interface Invocation {
  event: SNSEvent;
  remainingMs: () => number;
}

export const makeHandler = (deps: SlackNotifyDeps): MiddyfiedHandler<SNSEvent, SlackNotifyResult, Error, Context> => {
  const handler = workflowStep<Invocation, SlackNotifyResult>(async ({ event, remainingMs }) => {
    const url = await deps.webhook.get();
    const result: SlackNotifyResult = { posted: 0, refused: 0 };
    // SNS hands a Lambda one record per invocation; a failure throws at once, and the retried
    // invocation posts nothing twice.
    for (const { Sns: sns } of event.Records ?? []) {
      const { message, record } = slackMessageFor(sns);
      const about = { snsMessageId: sns.MessageId, ...(record ? { status: record.status, sourceArn: record.sourceArn } : { subject: sns.Subject }) };
      const posted = await postToSlack(url, message, {
        fetch: deps.fetch,
        remainingMs,
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
  });
  // Runs after the logger has the context and before the step: hands the step the Lambda's clock.
  handler.before((request) => {
    const { context } = request;
    request.event = { event: request.event as unknown as SNSEvent, remainingMs: () => context.getRemainingTimeInMillis() };
  });
  return handler as unknown as MiddyfiedHandler<SNSEvent, SlackNotifyResult, Error, Context>;
};
