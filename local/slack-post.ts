import { formatDuration } from '../shared/notify/record.ts';
import { postToSlack } from '../shared/notify/slack/post.ts';
import { slackMessageFor } from '../shared/notify/slack/render.ts';
import type { PublishedMessage } from './sns-recorder.ts';

/**
 * How long `npm start -- --slack-webhook` gives Slack for one message, retries and Retry-After
 * included: the deployed notifier has the Lambda's remaining time, a laptop run has this. A
 * Retry-After that does not fit is reported, not slept through.
 */
export const LOCAL_SLACK_BUDGET_MS = 60_000;

export interface LocalSlackDeps {
  fetch: typeof fetch;
  say: (line: string) => void;
  budgetMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Posts each notification as the deployed slackNotify Lambda would, and says how each went (never the URL). Returns whether any failed. */
export async function postAllToSlack(url: string, messages: PublishedMessage[], deps: LocalSlackDeps): Promise<boolean> {
  const now = deps.now ?? Date.now;
  let failed = false;
  for (const published of messages) {
    const { message } = slackMessageFor({ Subject: published.subject, Message: published.message });
    const deadline = now() + (deps.budgetMs ?? LOCAL_SLACK_BUDGET_MS);
    try {
      const outcome = await postToSlack(url, message, {
        fetch: deps.fetch,
        remainingMs: () => deadline - now(),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        onRetry: (retry) => deps.say(`  Slack: ${retry.problem}; trying again in ${formatDuration(retry.waitMs / 1000)}`),
      });
      if (outcome.outcome === 'posted') deps.say(`Slack ← ${message.text}`);
      else deps.say(`Slack refused ${message.text}: HTTP ${outcome.httpStatus} ${outcome.reason}`);
      failed ||= outcome.outcome !== 'posted';
    } catch (error) {
      // postToSlack's errors are already redacted.
      deps.say(`Slack ✗ ${message.text}: ${(error as Error).name}: ${(error as Error).message}`);
      failed = true;
    }
  }
  return failed;
}
