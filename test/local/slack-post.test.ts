import { describe, expect, it } from 'vitest';
import { LOCAL_SLACK_BUDGET_MS, postAllToSlack } from '../../local/slack-post.ts';
import type { PublishedMessage } from '../../local/sns-recorder.ts';
import { recordForState, renderNotification } from '../../shared/notify/record.ts';
import { exportState } from '../support/requests.ts';

// npm start -- --slack-webhook: Retry-After is honoured, within a bound a laptop run can wait.

const URL = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN';
const notification = renderNotification(recordForState(exportState({ status: 'COMPLETE' }), new Date('2026-03-04T06:00:00Z')));
const published: PublishedMessage = { topicArn: 'arn:aws:sns:us-east-1:123456789012:t', subject: notification.subject, message: notification.body, attributes: notification.attributes, at: 0 };

/** A clock that the fake sleep moves on, so a Retry-After takes no real time. */
function fakeTime() {
  let now = 0;
  const slept: number[] = [];
  return { now: () => now, slept, sleep: async (ms: number) => void (slept.push(ms), (now += ms)) };
}

function slack(...answers: Array<{ status: number; retryAfter?: string }>) {
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    const next = answers.shift() ?? { status: 200 };
    return new Response(next.status === 200 ? 'ok' : 'rate_limited', { status: next.status, headers: next.retryAfter ? { 'retry-after': next.retryAfter } : {} });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('posting the run\'s notifications to a Slack webhook', () => {
  it('waits as long as Retry-After says, then posts', async () => {
    const time = fakeTime();
    const { fetch, calls } = slack({ status: 429, retryAfter: '7' });
    const lines: string[] = [];

    const failed = await postAllToSlack(URL, [published], { fetch, say: (line) => lines.push(line), now: time.now, sleep: time.sleep });

    expect(failed).toBe(false);
    expect(calls).toHaveLength(2);
    expect(time.slept).toEqual([7000]);
    expect(lines.at(-1)).toMatch(/^Slack ← /);
  });

  it('gives up at once, saying why, when Retry-After does not fit in the bound, and never prints the URL', async () => {
    const time = fakeTime();
    const { fetch, calls } = slack({ status: 429, retryAfter: String(LOCAL_SLACK_BUDGET_MS / 1000 + 600) });
    const lines: string[] = [];

    const failed = await postAllToSlack(URL, [published], { fetch, say: (line) => lines.push(line), now: time.now, sleep: time.sleep });

    expect(failed).toBe(true);
    expect(calls).toHaveLength(1);
    expect(time.slept).toEqual([]);
    expect(lines.at(-1)).toMatch(/^Slack ✗ .*would not fit/);
    expect(lines.join('\n')).not.toContain('SECRETTOKEN');
  });
});
