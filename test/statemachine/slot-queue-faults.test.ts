import { describe, expect, it } from 'vitest';
import { parseScenario, peakConcurrency, runScenario, type ScenarioResult } from '../../local/scenario.ts';
import { defaults } from '../support/requests.ts';

// The export-slot queue and the export waits under faults, on the real state machine and the
// virtual clock: Step Functions refusing the dispatcher's and export-event's callbacks, exports
// started outside the workflow taking the slot it counted as free, and the limit on the time spent
// waiting for a slot.

/** Nothing lost, nothing twice: every execution succeeded, each snapshot exported by one task, never more than the quota at once. */
const { EVENT_SAFETY_NET_SECONDS } = defaults;

function expectEachExportedOnce(result: ScenarioResult, fleet: number, quota: number): void {
  expect(result.succeeded).toBe(fleet);
  expect(result.exportsStarted).toBe(fleet);
  expect(new Set(result.exports.map((e) => e.sourceArn)).size).toBe(fleet);
  expect(result.exports.every((e) => e.status === 'COMPLETE')).toBe(true);
  expect(result.peakConcurrentExports).toBeLessThanOrEqual(quota);
}

describe('export slot queue under faults', () => {
  it('loses no queued execution when Step Functions throttles or fails the callbacks that release them', async () => {
    const result = await runScenario(parseScenario({ fleet: 20, quota: 5, exportSecondsRange: [600, 1800], seed: 3, callbackThrottleRate: 0.4, callbackErrorRate: 0.2 }));

    expectEachExportedOnce(result, 20, 5);
    expect(result.callbackFaultsInjected).toBeGreaterThan(10);
    expect(result.notifications.filter((n) => n.status === 'FAILED')).toEqual([]);
  });

  it('sends an execution whose start lost a quota race back to its place in the queue, and exports it once', async () => {
    // Exports started elsewhere just before the workflow's 3rd and 8th StartExportTask take the slots it counted as free.
    const result = await runScenario(
      parseScenario({ fleet: 10, quota: 5, exportSecondsRange: [600, 1800], seed: 2, foreignExports: [{ beforeStart: 3, exportSeconds: 7200 }, { beforeStart: 8, exportSeconds: 900 }] }),
    );

    expectEachExportedOnce(result, 10, 5);
    expect(result.apiCalls.StartExportTask).toBeGreaterThan(10); // the refused starts
    expect(result.notifications.filter((n) => n.status === 'FAILED')).toEqual([]);
  });

  it('exports every snapshot once under callback faults and quota races together', async () => {
    const result = await runScenario(
      parseScenario({
        fleet: 15,
        quota: 3,
        exportSecondsRange: [600, 2400],
        seed: 9,
        callbackThrottleRate: 0.3,
        callbackErrorRate: 0.1,
        foreignExports: [{ beforeStart: 2, exportSeconds: 3600 }],
      }),
    );

    expectEachExportedOnce(result, 15, 3);
    expect(peakConcurrency(result.exports)).toBeLessThanOrEqual(3);
  });

  it('ends an execution that waited for a slot past the slot wait limit TIMED_OUT, with nothing started', async () => {
    // One slot, 3000 s each, limit 4000 s: the second starts at 3000 s, the third would only start at 6000 s.
    const result = await runScenario(parseScenario({ fleet: 3, quota: 1, exportSeconds: 3000, startingSeconds: 0, slotWaitLimitSeconds: 4000 }));

    expect(result.exportsStarted).toBe(2);
    expect(result.succeeded).toBe(2);
    expect(result.timedOutInQueue).toBe(1);
    expect(result.notifications.filter((n) => n.status === 'TIMED_OUT')).toHaveLength(1);
    expect(result.notifications.filter((n) => n.status === 'FAILED')).toEqual([]);
  });
});

describe('export-finished events under callback faults', () => {
  // A 2 h export (47 s STARTING) ends at 7,247 s; RDS's event arrives 5 s later and export-event wakes the
  // execution with SendTaskSuccess. Lambda tries a failed event again 1 and 2 minutes later.
  const exportEnd = 7247;
  const run = (faults: Array<Record<string, unknown>>) => runScenario(parseScenario({ exportSeconds: 7200, startingSeconds: 47, faults }));

  it.each([
    ['throttled for 30 s', 'throttling', 30, 65],
    ['failing (5xx) for 100 s', '5xx', 100, 185],
  ])('keeps the wait when the wake-up is %s, so a retry of the event wakes the execution (not its next poll)', async (_label, error, seconds, latency) => {
    // Prepare: Step Functions refuses every callback from just before the end.
    const faults = [{ service: 'states', error, at: exportEnd - 7, seconds }];

    // Act
    const result = await run(faults);

    // Assess: the end seen at the event's first accepted retry, the export followed to its end once.
    expect(result.callbackFaultsInjected).toBeGreaterThan(0);
    expect(result.lambdas.exportEvent!.invocations).toBeGreaterThan(1);
    expect(result.detectionLatencySeconds).toBe(latency);
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports.map((e) => e.status)).toEqual(['COMPLETE']);
    expect(result.notifications.filter((n) => !n.notice).map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('finds the end by polling when every try of the event fails (the event is parked), and still ends COMPLETE once', async () => {
    const result = await run([{ service: 'states', error: 'network', at: exportEnd - 7, seconds: 600 }]);

    expect(result.lambdas.exportEvent!.invocations).toBe(3);
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports.map((e) => e.status)).toEqual(['COMPLETE']);
    expect(result.notifications.filter((n) => n.status === 'COMPLETE')).toHaveLength(1);
    // The wait's own timeout (the next poll) is the safety net: an RDS export that RDS announces is
    // polled, once IN_PROGRESS, only every EVENT_SAFETY_NET_SECONDS, so the end is seen within that.
    expect(result.detectionLatencySeconds!).toBeGreaterThan(600);
    expect(result.detectionLatencySeconds!).toBeLessThanOrEqual(EVENT_SAFETY_NET_SECONDS);
  });
});
