import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '../../local/scenario.ts';
import { snapshotCreated } from '../../local/rds-events.ts';
import { RDS_CALL_BUDGET, worstCaseRate } from '../../shared/runtime/pacing.ts';

// Snapshot-created events lost by EventBridge, or failed by a throttled trigger past its retries
// (parked in its on-failure destination): the hourly reconciliation sweep still exports every
// announced snapshot, exactly once. The real state machine and handlers, on the virtual clock.

const snapshot = (name: string) => `arn:aws:rds:us-east-1:123456789012:snapshot:rds:${name}-2026-11-23-03-10`;

describe('no snapshot lost', () => {
  it('exports exactly the snapshots that a scenario of events announces, each once, even when announced twice', async () => {
    // Prepare
    const [a, b, c] = [snapshot('orders-db'), snapshot('billing-db'), snapshot('users-db')];
    const events = [
      { at: 0, event: snapshotCreated(a) },
      { at: 60, event: snapshotCreated(b) },
      { at: 61, event: snapshotCreated(b) },
      { at: 900, event: snapshotCreated(c) },
    ];

    // Act
    const result = await runScenario(parseScenario({ exportSeconds: 600, events }));

    // Assess
    expect(result.exports.map((e) => e.sourceArn).sort()).toEqual([a, b, c].sort());
    expect(result).toMatchObject({ snapshotsAnnounced: 3, snapshotsExported: 3, snapshotsExportedTwice: 0, executions: 3, succeeded: 3 });
  });

  it('exports every snapshot of a fleet whose events are lost or throttled past the trigger retries, once each, within the RDS budget', async () => {
    // Act
    const result = await runScenario(parseScenario({ fleet: 40, quota: 5, exportSeconds: 600, triggerThrottleRate: 0.8, lostSnapshotEvents: 0.25, seed: 3 }));

    // Assess: the faults happened...
    expect(result.snapshotEventsLost).toBeGreaterThan(0);
    expect(result.triggerDeadLetters).toBeGreaterThan(0);
    // ...and nothing was lost, nothing done twice, the quota and the RDS budget held.
    expect(result).toMatchObject({ snapshotsAnnounced: 40, snapshotsExported: 40, snapshotsExportedTwice: 0, exportsStarted: 40, succeeded: 40 });
    expect(result.peakConcurrentExports).toBeLessThanOrEqual(5);
    expect(result.triggerPeakRdsCallsPerSecond).toBeLessThanOrEqual(worstCaseRate(RDS_CALL_BUDGET.snapshotTrigger));
    // The sweep started exactly the snapshots no event had started: the ones queued for a slot
    // (most of the fleet at the first sweep) cost it no StartExecution, in any of its runs.
    expect(result.sweep.runs).toBeGreaterThanOrEqual(1);
    expect(result.sweep.startExecutions).toBe(result.snapshotEventsLost + result.triggerDeadLetters);
  });

  it('skips a queued backlog hour after hour, starting only the snapshots whose event was lost', async () => {
    // Prepare: a backlog of 4 h at 5 at a time, and a few events lost. Every hourly sweep sees
    // most of the fleet waiting for a slot: it must start the lost snapshots, once, and no other.
    const scenario = { fleet: 20, quota: 5, exportSeconds: 3600, lostSnapshotEvents: 0.1, seed: 5 };

    // Act
    const result = await runScenario(parseScenario(scenario));

    // Assess
    expect(result.snapshotEventsLost).toBeGreaterThan(0);
    expect(result).toMatchObject({ snapshotsAnnounced: 20, snapshotsExported: 20, snapshotsExportedTwice: 0, succeeded: 20 });
    expect(result.sweep.runs).toBeGreaterThanOrEqual(4);
    expect(result.sweep.startExecutions).toBe(result.snapshotEventsLost);
  });

  it('loses the snapshots whose events were lost when the sweep is off: the sweep is what finds them', async () => {
    // Act
    const result = await runScenario(parseScenario({ fleet: 20, exportSeconds: 600, lostSnapshotEvents: 0.3, seed: 3, sweepSeconds: 0 }));

    // Assess
    expect(result.snapshotEventsLost).toBeGreaterThan(0);
    expect(result.snapshotsExported).toBe(20 - result.snapshotEventsLost);
  });

  it('finds a snapshot whose only event was lost, at the first sweep after its creation', async () => {
    // Prepare: every event is lost.
    const events = [{ at: 1800, event: snapshotCreated(snapshot('orders-db')) }];

    // Act
    const result = await runScenario(parseScenario({ exportSeconds: 600, startingSeconds: 0, events, lostSnapshotEvents: 1 }));

    // Assess: created at 30 min, swept at 1 h (and started a second later, once admitted).
    expect(result.snapshotEventsLost).toBe(1);
    expect(result.exports).toEqual([expect.objectContaining({ sourceArn: snapshot('orders-db'), status: 'COMPLETE' })]);
    expect(result.exports[0]!.startedAt).toBeGreaterThanOrEqual(3600);
    expect(result.exports[0]!.startedAt).toBeLessThan(3660);
  });
});
