import { describe, expect, it } from 'vitest';
import { parseScenario, peakConcurrency, runScenario } from '../../local/scenario.ts';
import { snapshotCreated } from '../../local/rds-events.ts';

// Many executions at once on the real state machine: the export-slot queue, RDS export events,
// and what happens when events are lost. All on one virtual clock.

describe('export slots and export events', () => {
  it('runs more snapshots than slots without ever exceeding the quota, each exported once', async () => {
    const result = await runScenario(parseScenario({ fleet: 12, quota: 3, exportSecondsRange: [600, 1800], seed: 5 }));

    expect(result.succeeded).toBe(12);
    expect(result.exportsStarted).toBe(12);
    expect(result.apiCalls.StartExportTask).toBe(12);
    expect(new Set(result.exports.map((e) => e.sourceArn)).size).toBe(12);
    expect(peakConcurrency(result.exports)).toBeLessThanOrEqual(3);
    expect(result.peakConcurrentExports).toBe(3);
  });

  it('runs the same twice, random retry jitter included: the naive baseline (no queue, blind retries) repeats its figures', async () => {
    // Prepare: without the queue, executions collide on the quota and retry with full jitter.
    const naive = parseScenario({ fleet: 6, quota: 2, exportSecondsRange: [600, 1800], seed: 5, slotQueue: false });
    const random = Math.random;

    // Act
    const first = await runScenario(naive);
    const second = await runScenario(naive);

    // Assess: the retries happened, and every figure is the same (Math.random is seeded for the run,
    // then restored), but for the real milliseconds the handlers took.
    const simulated = (result: typeof first) => ({ ...result, lambdas: Object.fromEntries(Object.entries(result.lambdas).map(([name, usage]) => [name, usage.invocations])) });
    expect(first.apiCalls.StartExportTask!).toBeGreaterThan(6);
    expect(simulated(second)).toEqual(simulated(first));
    expect(Math.random).toBe(random);
  });

  it('starts the next export soon after a slot frees, close to the best possible makespan', async () => {
    const result = await runScenario(parseScenario({ fleet: 30, quota: 5, exportSecondsRange: [900, 1200], seed: 2, deadlineSeconds: 604800 }));

    expect(result.succeeded).toBe(30);
    expect(result.makespanSeconds!).toBeLessThanOrEqual(1.1 * result.lowerBoundSeconds);
  });

  it('notices the end within seconds when RDS sends its export event', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 7200, exportEvents: true }));

    expect(result.status).toBe('COMPLETE');
    expect(result.detectionLatencySeconds!).toBeLessThanOrEqual(10);
  });

  it('still ends the export by polling when the events are lost', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 7200, exportEvents: false }));

    expect(result.status).toBe('COMPLETE');
    expect(result.detectionLatencySeconds!).toBeLessThanOrEqual(Math.max(60, 0.02 * result.exportSeconds));
  });

  it('keeps a long export cheap with events: its cost grows by one safety poll per 6 hours, not with its progress', async () => {
    const short = await runScenario(parseScenario({ exportSeconds: 7200 }));
    const long = await runScenario(parseScenario({ exportSeconds: 43200 }));
    const longPolledOnly = await runScenario(parseScenario({ exportSeconds: 43200, exportEvents: false }));

    expect(long.stateTransitions).toBeLessThanOrEqual(short.stateTransitions + 2 * 3);
    expect(long.stateTransitions).toBeLessThan(longPolledOnly.stateTransitions / 2);
    expect(long.detectionLatencySeconds!).toBeLessThanOrEqual(10);
  });

  it('is not confused by duplicate and out-of-order export events', async () => {
    const source = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10';
    const completed = { source: 'aws.rds', 'detail-type': 'RDS DB Snapshot Event', detail: { EventID: 'RDS-EVENT-0161', SourceArn: source } };
    const result = await runScenario(
      parseScenario({
        exportSeconds: 3600,
        events: [
          { at: 30, event: completed }, // early and wrong: must not end the export
          { at: 3700, event: completed },
          { at: 3701, event: completed },
        ],
      }),
    );

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('starts one execution per snapshot when RDS delivers its snapshot-created event again, late or early', async () => {
    const first = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:fleet-db-0001-2026-11-23-03-10';
    const redelivered = snapshotCreated(first);
    const result = await runScenario(
      parseScenario({
        fleet: 3,
        exportSeconds: 600,
        events: [
          { at: 0, event: redelivered },
          { at: 120, event: redelivered },
          { at: 5000, event: redelivered }, // after its export ended: the execution name is still taken
        ],
      }),
    );

    expect(result.executions).toBe(3);
    expect(result.exportsStarted).toBe(3);
    expect(result.apiCalls.StartExportTask).toBe(3);
    expect(result.apiCalls['States.StartExecution']).toBe(6);
  });

  it('counts the deadline from the export start: an execution that waited for a slot still gets all of it', async () => {
    // One slot, 3000 s each, deadline 4000 s: the third waits 6000 s in the queue and still completes.
    // (Before the slot wait limit existed, the deadline counted from queueing and this one timed out.)
    const result = await runScenario(parseScenario({ fleet: 3, quota: 1, exportSeconds: 3000, startingSeconds: 0, deadlineSeconds: 4000 }));

    expect(result.succeeded).toBe(3);
    expect(result.exports.map((e) => e.status)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE']);
    expect(result.notifications.filter((n) => n.status === 'TIMED_OUT' || n.status === 'FAILED')).toEqual([]);
  });
});
