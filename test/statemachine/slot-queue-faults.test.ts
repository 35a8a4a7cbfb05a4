import { describe, expect, it } from 'vitest';
import { parseScenario, peakConcurrency, runScenario, type ScenarioResult } from '../../local/scenario.ts';

// The export-slot queue under faults, on the real state machine and the virtual clock: Step
// Functions refusing the dispatcher's callbacks, exports started outside the workflow taking the
// slot it counted as free, and the limit on the time spent waiting for a slot.

/** Nothing lost, nothing twice: every execution succeeded, each snapshot exported by one task, never more than the quota at once. */
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
