import { describe, expect, it } from 'vitest';
import { backoffSeconds, CANCEL_ESCALATION_SECONDS, describeError, failedAgain, INTERRUPTION_NOTICE_SECONDS, isNews } from '../../shared/workflow/following.ts';
import { recordForNotice, renderNotification } from '../../shared/notify/record.ts';
import { slackMessageFor } from '../../shared/notify/slack/render.ts';
import { exportState } from '../support/requests.ts';

const BOUNDS = { minSeconds: 60, maxSeconds: 3600 };
const NOW = new Date('2026-03-04T06:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

describe('backoffSeconds', () => {
  it('starts at the minimum wait and doubles, up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((failures) => backoffSeconds(failures, BOUNDS, Infinity))).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
  });

  it('never waits past a deadline still ahead, so the cancel is on time', () => {
    expect(backoffSeconds(6, BOUNDS, 300)).toBe(300);
    expect(backoffSeconds(6, BOUNDS, 0.2)).toBe(1);
  });

  it('keeps backing off once the deadline has passed (the cancel is being retried)', () => {
    expect(backoffSeconds(3, BOUNDS, -100)).toBe(240);
  });

  it('stays finite after very many failures', () => {
    expect(backoffSeconds(5000, BOUNDS, Infinity)).toBe(3600);
  });
});

describe('failure streaks', () => {
  it('counts failures from the first one, keeping its time', () => {
    const first = failedAgain(undefined, 'TransientAwsError: Rate exceeded', NOW);
    const third = failedAgain(failedAgain(first, 'a', later(60)), 'TransientAwsError: 503', later(180));

    expect(third).toEqual({ since: NOW.toISOString(), failures: 3, lastError: 'TransientAwsError: 503', notified: false });
  });

  it(`is news once it lasted ${INTERRUPTION_NOTICE_SECONDS / 60} minutes, and only until it was noticed`, () => {
    const interruption = failedAgain(undefined, 'x', NOW);

    expect(isNews(interruption, INTERRUPTION_NOTICE_SECONDS, later(INTERRUPTION_NOTICE_SECONDS - 1))).toBe(false);
    expect(isNews(interruption, INTERRUPTION_NOTICE_SECONDS, later(INTERRUPTION_NOTICE_SECONDS))).toBe(true);
    expect(isNews({ ...interruption, notified: true }, INTERRUPTION_NOTICE_SECONDS, later(2 * INTERRUPTION_NOTICE_SECONDS))).toBe(false);
  });

  it(`escalates a cancel that has not got through for ${CANCEL_ESCALATION_SECONDS / 60} minutes, once`, () => {
    const failure = failedAgain(failedAgain(undefined, 'x', NOW), 'y', later(600));

    expect(failure.failures).toBe(2);
    expect(isNews(failure, CANCEL_ESCALATION_SECONDS, later(CANCEL_ESCALATION_SECONDS - 1))).toBe(false);
    expect(isNews(failure, CANCEL_ESCALATION_SECONDS, later(CANCEL_ESCALATION_SECONDS))).toBe(true);
    expect(isNews({ ...failure, notified: true }, CANCEL_ESCALATION_SECONDS, later(2 * CANCEL_ESCALATION_SECONDS))).toBe(false);
  });

  it('clips a long error so that no state carries a huge message', () => {
    expect(describeError(new Error('x'.repeat(10_000))).length).toBeLessThanOrEqual(300);
  });
});

describe('notices', () => {
  it('render with their own headline, the last error as the cause, what to do, and the notice attribute', () => {
    const state = exportState({ interruption: { since: NOW.toISOString(), failures: 7, lastError: 'TransientAwsError: DescribeExportTasks failed: Throttling: Rate exceeded', notified: false } });

    const notification = renderNotification(recordForNotice(state, 'FOLLOWING_INTERRUPTED', later(900)));

    expect(notification.subject).toMatch(/^Export following INTERRUPTED: DB snapshot /);
    expect(notification.attributes).toMatchObject({ status: 'IN_PROGRESS', notice: 'FOLLOWING_INTERRUPTED' });
    expect(notification.body).toContain('Cause:       TransientAwsError: DescribeExportTasks failed: Throttling: Rate exceeded');
    expect(notification.body).toMatch(/What to try: The export itself goes on/);
    // Slack reads the record from the message: the notice keeps its headline there too.
    expect(slackMessageFor({ Subject: notification.subject, Message: notification.body }).message.text).toMatch(/Export following INTERRUPTED: DB snapshot /);
  });

  it('name the command that cancels an EC2 image export by hand with its export-ami id', () => {
    const state = exportState({ taskId: 'export-ami-0123456789abcdef0', request: { ...exportState().request, source: { ...exportState().request.source, type: 'EC2_IMAGE' } as never } });
    const cancelFailure = { since: NOW.toISOString(), failures: 9, lastError: 'TransientAwsError: x', notified: false };

    const notification = renderNotification(recordForNotice({ ...state, cancelFailure }, 'CANCEL_STUCK', later(3600)));

    expect(notification.body).toContain('aws ec2 cancel-export-task --export-task-id export-ami-0123456789abcdef0');
  });
});
