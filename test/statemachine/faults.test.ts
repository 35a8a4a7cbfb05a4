import { describe, expect, it } from 'vitest';
import type { EventLog } from '../../local/step-functions-simulator.ts';
import { parseScenario, runScenario, type ScenarioResult } from '../../local/scenario.ts';

// The fault suite: the real definition on aws-local-stepfunctions, the real handlers, RDS and SNS
// simulators with injected faults (local/faults.ts). Each fault alone and combined must end with
// the export followed to its real end (or canceled at its deadline), the quota kept, and the right
// notifications: each change of status at most once, each notice at most once.

const statusesOf = (result: ScenarioResult) => result.notifications.filter((n) => !n.notice).map((n) => n.status);
const noticesOf = (result: ScenarioResult) => result.notifications.flatMap((n) => (n.notice ? [n.notice] : []));

/** No status published twice, and the last one is the export's real end. */
function expectEachStatusOnce(result: ScenarioResult): void {
  const statuses = statusesOf(result);
  expect(new Set(statuses).size, statuses.join(', ')).toBe(statuses.length);
}

describe('following an export through faults', () => {
  it('follows the export to COMPLETE through an hour of RDS throttling, notifying the interruption once and its end once', async () => {
    // Prepare: events lost, so only polls see the end; RDS throttles every call for an hour from 50 min in.
    const scenario = parseScenario({ exportEvents: false, faults: [{ service: 'rds', error: 'throttling', at: 3000, seconds: 3600 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports.map((e) => e.status)).toEqual(['COMPLETE']);
    expect(statusesOf(result)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    expect(noticesOf(result)).toEqual(['FOLLOWING_INTERRUPTED', 'FOLLOWING_RESUMED']);
    // Backing off, not hammering a throttled API: far fewer calls than one per minute of the hour.
    expect(result.apiCalls.DescribeExportTasks!).toBeLessThan(40);
  });

  it('follows the export through repeated 5xx bursts without a notice for each short one', async () => {
    const result = await runScenario(parseScenario({ exportEvents: false, faults: [{ service: 'rds', error: '5xx', at: 0, seconds: 300, every: 1200 }] }));

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports.map((e) => e.status)).toEqual(['COMPLETE']);
    expect(statusesOf(result).at(-1)).toBe('COMPLETE');
    expectEachStatusOnce(result);
    // A 5-minute burst is shorter than the 15 minutes that make an interruption news.
    expect(noticesOf(result)).toEqual([]);
  });

  it('keeps trying to cancel through network errors past the deadline, says so loudly once, and ends TIMED_OUT with the task really CANCELED', async () => {
    // Prepare: a 4-hour export with a 30-minute deadline; the connection to RDS resets for 1.5 h from 28 min in.
    const scenario = parseScenario({ exportSeconds: 14400, deadlineSeconds: 1800, faults: [{ service: 'rds', error: 'network', at: 1700, seconds: 5400 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('ExportTimedOut');
    expect(result.exports.map((e) => e.status)).toEqual(['CANCELED']);
    expect(statusesOf(result)).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING', 'TIMED_OUT']);
    expect(noticesOf(result).filter((n) => n === 'CANCEL_STUCK')).toHaveLength(1);
    expect(result.apiCalls.CancelExportTask!).toBeGreaterThan(1);
  });

  it('cancels on time when only polls fail: the deadline does not wait for an observation', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 14400, deadlineSeconds: 1800, faults: [{ service: 'rds', error: 'throttling', at: 600, seconds: 1150 }] }));

    expect(result.error).toBe('ExportTimedOut');
    expect(result.exports[0]!.status).toBe('CANCELED');
    // Canceled within a few minutes of the deadline (plus RDS's 90 s of CANCELING).
    expect(result.exports[0]!.endedAt!).toBeLessThan(1800 + 90 + 300);
  });

  it('sends what SNS misses in a 10-minute outage at the next step, each status at most once, and ends COMPLETE', async () => {
    const result = await runScenario(parseScenario({ faults: [{ service: 'sns', error: '5xx', at: 0, seconds: 600 }] }));

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.notificationsRefused).toBeGreaterThan(0);
    expectEachStatusOnce(result);
    // STARTING was superseded before SNS came back: the current status is sent, not a stale one.
    expect(statusesOf(result)).toEqual(['IN_PROGRESS', 'COMPLETE']);
  });

  it('follows the export to COMPLETE when SNS refuses for good (KMS), with the failure in the output and the Notify Lambda failing', async () => {
    // Prepare
    const events: EventLog[] = [];
    const scenario = parseScenario({ faults: [{ service: 'sns', error: 'kms-denied', at: 0, seconds: 10 * 24 * 3600 }] });

    // Act
    const result = await runScenario(scenario, { onEvent: (event) => events.push(event) });

    // Assess: the export is not abandoned, the execution says what went wrong, and the Notify
    // Lambda's own error (what the notify-errors alarm watches) is there.
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports[0]!.status).toBe('COMPLETE');
    expect(result.notifications).toEqual([]);
    expect(result.notifyError).toMatchObject({ Error: 'ExportServiceError', Cause: expect.stringMatching(/KMSAccessDenied/) });
    expect(events.some((e) => e.type === 'StateCaught' && e.state.name === 'Notify')).toBe(true);
    // Permanent: not retried in a loop (start, two polls, the Notify state).
    expect(result.notificationsRefused).toBeLessThanOrEqual(4);
  });

  it('starts the export through RDS throttling that outlasts the start\'s retries: back to the slot queue, then started once', async () => {
    // Prepare: StartExportTask throttled for the first 2 hours; the start's own retries last minutes.
    const scenario = parseScenario({ exportSeconds: 3600, faults: [{ service: 'rds', error: 'throttling', operation: 'StartExportTask', at: 0, seconds: 7200 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess: started after the throttling, followed to its end, STARTING sent once; not a failure.
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports).toHaveLength(1);
    expect(result.exports[0]).toMatchObject({ status: 'COMPLETE' });
    // Started at the first round after the throttling: rounds of the start's retries (about 28 calls
    // each) an hour apart, not a tight loop against a throttled API.
    expect(result.exports[0]!.startedAt).toBeGreaterThanOrEqual(7200);
    expect(result.exports[0]!.startedAt).toBeLessThan(7200 + 3600 + 600);
    expect(statusesOf(result)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    expect(result.apiCalls.StartExportTask!).toBeLessThan(90);
    expect(result.stateTransitions).toBeLessThan(60);
  });

  it('admits the export through a DynamoDB outage that outlasts the admission\'s first retries: exported once, not a failure', async () => {
    // Prepare: the coordination table answers 5xx for the first 40 minutes (the slot queue cannot be written).
    const scenario = parseScenario({ exportSeconds: 3600, faults: [{ service: 'dynamodb', error: '5xx', at: 0, seconds: 2400 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess: admitted after the outage, followed to its end, each status once.
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports).toHaveLength(1);
    expect(result.exports[0]).toMatchObject({ status: 'COMPLETE' });
    expect(result.exports[0]!.startedAt).toBeGreaterThanOrEqual(2400);
    expect(statusesOf(result)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    // The admission's back-off: tens of tries over the outage, not one a second.
    expect(result.stateTransitions).toBeLessThan(60);
  });

  it('ends FAILED, notified once with the cause, when DynamoDB stays down past the admission\'s retries', async () => {
    // Prepare: the coordination table throttles every call for two days.
    const scenario = parseScenario({ exportSeconds: 3600, faults: [{ service: 'dynamodb', error: 'throttling', at: 0, seconds: 2 * 86400 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess: nothing started, the failure said once; the retries are bounded (history far from 25,000 events).
    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('TransientAwsError');
    expect(result.exports).toEqual([]);
    expect(statusesOf(result)).toEqual(['FAILED']);
    expect(result.stateTransitions).toBeLessThan(60);
  });

  it('exports each snapshot once when DynamoDB stays down past the admission\'s retries: the sweep starts each again after the outage', async () => {
    // Prepare: 4 new snapshots; the coordination table answers 5xx for 8 hours, longer than AdmitExport retries (5.4 h at most).
    const scenario = parseScenario({ fleet: 4, quota: 5, exportSecondsRange: [1200, 3600], seed: 5, faults: [{ service: 'dynamodb', error: '5xx', at: 0, seconds: 8 * 3600 }] });

    // Act
    const result = await runScenario(scenario);

    // Assess: each first attempt FAILED (notified), nothing started by it; the sweep's second attempts exported each snapshot once.
    expect(result.failed).toBe(4);
    expect(result.succeeded).toBe(4);
    expect(result.snapshotsExported).toBe(4);
    expect(result.snapshotsExportedTwice).toBe(0);
    expect(result.exports.every((e) => e.status === 'COMPLETE' && e.startedAt >= 8 * 3600 && /-r2-[0-9a-f]{10}$/.test(e.exportId))).toBe(true);
    expect(statusesOf(result).filter((status) => status === 'FAILED')).toHaveLength(4);
    expect(statusesOf(result).filter((status) => status === 'COMPLETE')).toHaveLength(4);
  });

  it('ends TIMED_OUT, nothing started, when RDS refuses every start until the slot wait limit', async () => {
    const result = await runScenario(parseScenario({ slotWaitLimitSeconds: 4 * 3600, faults: [{ service: 'rds', error: '5xx', operation: 'StartExportTask', at: 0, seconds: 10 * 3600 }] }));

    expect(result.apiCalls.StartExportTask!).toBeGreaterThan(5);
    expect(result.exports).toEqual([]);
    expect(result.timedOutInQueue).toBe(1);
    expect(statusesOf(result)).toEqual(['TIMED_OUT']);
  });

  // The bench's miss (seed 23 of 1-160 at 95 %, about 1 in 12): every start attempt throttled through
  // the start's ~35 minutes of retries, the execution FAILED and nothing was exported.
  it.each([
    [0.5, 3],
    [0.8, 3],
    [0.95, 3],
    [0.95, 23],
  ])('follows the export to COMPLETE with %s of RDS calls throttled and events lost (seed %s)', async (throttleRate, seed) => {
    const result = await runScenario(parseScenario({ exportEvents: false, throttleRate, seed }));

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.exports[0]!.status).toBe('COMPLETE');
    expect(statusesOf(result).at(-1)).toBe('COMPLETE');
    expectEachStatusOnce(result);
    // Far below Step Functions' 25,000 history events: back-off bounds the loop.
    expect(result.stateTransitions).toBeLessThan(200);
  });

  it('takes every fault at once in a fleet: each export followed to its real end, exported once, the quota kept', async () => {
    // Prepare: 8 snapshots through 3 slots, events lost, RDS throttling and network bursts, SNS outages. The
    // bursts start after the snapshot-created events: the trigger's own throttling is another suite's.
    const scenario = parseScenario({
      fleet: 8,
      quota: 3,
      exportSecondsRange: [1200, 3600],
      exportEvents: false,
      seed: 11,
      deadlineSeconds: 7 * 24 * 3600,
      faults: [
        { service: 'rds', error: 'throttling', at: 600, seconds: 1200, every: 5400 },
        { service: 'rds', error: 'network', at: 3000, seconds: 600 },
        { service: 'rds', error: '5xx', at: 6000, seconds: 1800 },
        { service: 'sns', error: '5xx', at: 1800, seconds: 600, every: 7200 },
      ],
    });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.executions).toBe(8);
    expect(result.succeeded).toBe(8);
    expect(result.exportsStarted).toBe(8);
    expect(new Set(result.exports.map((e) => e.sourceArn)).size).toBe(8);
    expect(result.exports.every((e) => e.status === 'COMPLETE')).toBe(true);
    expect(result.peakConcurrentExports).toBeLessThanOrEqual(3);
    const completions = result.notifications.filter((n) => n.status === 'COMPLETE' && !n.notice);
    expect(completions).toHaveLength(8);
  });

  it.each([
    ['5xx from the start, for an hour', { error: '5xx', at: 0, seconds: 3600 }],
    ['throttling for an hour while exports run', { error: 'throttling', at: 1800, seconds: 3600 }],
    ['network errors for 20 minutes', { error: 'network', at: 600, seconds: 1200 }],
  ] as const)('keeps a fleet whole through a DynamoDB outage (%s): each exported once, the quota kept', async (_, outage) => {
    // Prepare: 8 snapshots through 3 slots; the coordination table (queue, leases, dispatcher lock) fails.
    const scenario = parseScenario({ fleet: 8, quota: 3, exportSecondsRange: [1200, 3600], seed: 5, faults: [{ service: 'dynamodb', ...outage }] });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.succeeded).toBe(8);
    expect(result.exportsStarted).toBe(8);
    expect(new Set(result.exports.map((e) => e.sourceArn)).size).toBe(8);
    expect(result.exports.every((e) => e.status === 'COMPLETE')).toBe(true);
    expect(result.peakConcurrentExports).toBeLessThanOrEqual(3);
  });
});
