import { describe, expect, it } from 'vitest';
import type { ExportStatus } from '../../shared/export-kinds/status.ts';
import { nextWaitSeconds, type PollBounds, type ProgressReading } from '../../shared/workflow/wait-policy.ts';

const BOUNDS: PollBounds = { minSeconds: 60, maxSeconds: 3600 };
const FAR = 7 * 24 * 3600;

function reading(overrides: Partial<ProgressReading>): ProgressReading {
  const secondsSinceStart = overrides.secondsSinceStart ?? 600;
  return {
    status: 'IN_PROGRESS',
    percent: 0,
    secondsSinceStart,
    secondsSinceProgressOrigin: secondsSinceStart,
    secondsToDeadline: FAR,
    ...overrides,
  };
}

describe('nextWaitSeconds', () => {
  it.each([120, 300, 900, 1800])('doubles the time since the start while the export is STARTING (%i s in)', (since) => {
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: since }), BOUNDS)).toBe(since);
  });

  it('backs off the same way while a running export still shows 0 %', () => {
    expect(nextWaitSeconds(reading({ status: 'IN_PROGRESS', percent: 0, secondsSinceStart: 400 }), BOUNDS)).toBe(400);
  });

  it('waits at least the minimum', () => {
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 0 }), BOUNDS)).toBe(60);
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 5 }), BOUNDS)).toBe(60);
    // Nearly done: the end is seconds away, but polls come no closer than the minimum.
    expect(nextWaitSeconds(reading({ percent: 99, secondsSinceStart: 590 }), BOUNDS)).toBe(60);
  });

  it('waits at most the maximum', () => {
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 20_000 }), BOUNDS)).toBe(3600);
    expect(nextWaitSeconds(reading({ percent: 1, secondsSinceStart: 600 }), BOUNDS)).toBe(3600);
    // Stuck at 99 % for days: the 2 % floor would say 4000 s, the maximum still wins.
    expect(nextWaitSeconds(reading({ percent: 99, secondsSinceStart: 200_000 }), BOUNDS)).toBe(3600);
  });

  it('polls at the minimum while the task is CANCELING, and once it shows 100 %', () => {
    expect(nextWaitSeconds(reading({ status: 'CANCELING', percent: 40, secondsSinceStart: 600 }), BOUNDS)).toBe(60);
    // Late in a long export the 2 % floor (of the time since the start) keeps the history small.
    expect(nextWaitSeconds(reading({ status: 'CANCELING', percent: 40, secondsSinceStart: 5000 }), BOUNDS)).toBe(100);
    expect(nextWaitSeconds(reading({ status: 'IN_PROGRESS', percent: 100, secondsSinceStart: 900 }), BOUNDS)).toBe(60);
  });

  it('never waits past the deadline while the deadline is ahead', () => {
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 1800, secondsToDeadline: 100 }), BOUNDS)).toBe(100);
    expect(nextWaitSeconds(reading({ status: 'CANCELING', secondsToDeadline: 30 }), BOUNDS)).toBe(30);
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 1800, secondsToDeadline: 0.25 }), BOUNDS)).toBe(1);

    const statuses: ExportStatus[] = ['STARTING', 'IN_PROGRESS', 'CANCELING'];
    for (const status of statuses) {
      for (const percent of [0, 1, 37, 99]) {
        for (const since of [0, 59, 600, 5000, 90_000]) {
          for (const toDeadline of [1, 45, 61, 600, 3599, 3601, 90_000]) {
            const wait = nextWaitSeconds(reading({ status, percent, secondsSinceStart: since, secondsToDeadline: toDeadline }), BOUNDS);
            expect(wait, `${status} ${percent}% ${since}s in, deadline in ${toDeadline}s`).toBeLessThanOrEqual(toDeadline);
            expect(wait).toBeGreaterThanOrEqual(1);
            expect(Number.isInteger(wait)).toBe(true);
          }
        }
      }
    }
  });

  it('uses the normal policy once the deadline has passed, not a one-second loop', () => {
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 600, secondsToDeadline: -30 }), BOUNDS)).toBe(600);
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 600, secondsToDeadline: 0 }), BOUNDS)).toBe(600);
    expect(nextWaitSeconds(reading({ status: 'CANCELING', secondsSinceStart: 600, secondsToDeadline: -5 }), BOUNDS)).toBe(60);
  });

  it('keeps every wait within [min, max] when no deadline is near', () => {
    for (const status of ['STARTING', 'IN_PROGRESS', 'CANCELING'] as const) {
      for (let percent = 0; percent <= 100; percent += 3) {
        for (const since of [0, 1, 30, 61, 600, 3000, 7200, 43_200, 400_000]) {
          const wait = nextWaitSeconds(reading({ status, percent, secondsSinceStart: since }), BOUNDS);
          expect(wait, `${status} ${percent}% ${since}s in`).toBeGreaterThanOrEqual(60);
          expect(wait, `${status} ${percent}% ${since}s in`).toBeLessThanOrEqual(3600);
        }
      }
    }
  });

  it('waits for the event safety net once the export runs, when RDS export events end the wait', () => {
    const withEvents: PollBounds = { ...BOUNDS, eventSafetyNetSeconds: 6 * 3600 };
    expect(nextWaitSeconds(reading({ status: 'IN_PROGRESS', percent: 40, secondsSinceStart: 1200 }), withEvents)).toBe(6 * 3600);
    // STARTING → IN_PROGRESS sends no event: still polled adaptively.
    expect(nextWaitSeconds(reading({ status: 'STARTING', secondsSinceStart: 300 }), withEvents)).toBe(300);
    // The deadline still comes first.
    expect(nextWaitSeconds(reading({ status: 'IN_PROGRESS', percent: 40, secondsSinceStart: 1200, secondsToDeadline: 900 }), withEvents)).toBe(900);
  });

  describe('with steady progress', () => {
    /**
     * A linear export of `duration` seconds, started at t = 0 and read the way RDS reports it
     * (STARTING at first, then IN_PROGRESS with the whole percent done, COMPLETE at the end),
     * polled by the policy from the start step on, until a poll sees it COMPLETE.
     */
    function simulate(duration: number, bounds: PollBounds = BOUNDS): { polls: number; detectedAt: number } {
      let t = 0;
      let polls = 0;
      for (;;) {
        if (t >= duration) return { polls, detectedAt: t };
        const status: ExportStatus = t === 0 ? 'STARTING' : 'IN_PROGRESS';
        const percent = Math.floor((100 * t) / duration);
        const wait = nextWaitSeconds({ status, percent, secondsSinceStart: t, secondsSinceProgressOrigin: t, secondsToDeadline: 24 * 3600 * 3 - t }, bounds);
        expect(wait).toBeGreaterThan(0);
        t += wait;
        polls++;
        if (polls > 1000) throw new Error(`no end seen after 1000 polls of a ${duration} s export`);
      }
    }

    it('notices the end of a 2-hour export within 6 polls and soon after it ends', () => {
      const { polls, detectedAt } = simulate(7200);
      expect(polls).toBeLessThanOrEqual(6);
      expect(detectedAt - 7200).toBeLessThanOrEqual(Math.max(60, 0.02 * 7200));
    });

    it.each([600, 3600, 7200, 43_200])('notices the end of a %i s export within max(60 s, 2 %% of its duration)', (duration) => {
      const { detectedAt } = simulate(duration);
      expect(detectedAt).toBeGreaterThanOrEqual(duration);
      expect(detectedAt - duration).toBeLessThanOrEqual(Math.max(60, 0.02 * duration));
    });
  });
});
