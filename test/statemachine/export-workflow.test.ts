import { describe, expect, it } from 'vitest';
import { QueryError } from '../../local/aws-query.ts';
import { LocalDeployment } from '../../local/deployment.ts';
import type { EventLog } from '../../local/step-functions-simulator.ts';
import { seededRandom } from '../../local/random.ts';
import type { ExportBehaviour } from '../../local/rds-simulator.ts';
import { parseScenario, runScenario } from '../../local/scenario.ts';
import { onVirtualClock } from '../../local/virtual-clock.ts';
import { requestCancel } from '../../shared/workflow/operator-cancel.ts';

// The real definition (statemachines/export.asl.json) on aws-local-stepfunctions, the real
// handlers, real SDK clients talking to the RDS simulator; every wait on a virtual clock.

const SNAPSHOT = 'arn:aws:rds:us-east-1:123456789012:snapshot:orders-2026-11-23';
const TWO_HOURS: ExportBehaviour = { startingSeconds: 60, exportSeconds: 7200, progress: 'steady', cancelSeconds: 90, dataGb: 12 };

function stackFor(behaviour: ExportBehaviour = TWO_HOURS) {
  return new LocalDeployment({ sources: (arn) => arn === SNAPSHOT, behaviourFor: () => behaviour, random: seededRandom(7), throttleRate: 0 });
}

const statuses = (stack: LocalDeployment) => stack.sns.messages.map((message) => message.attributes.status);

describe('export workflow on the real state machine', () => {
  it('exports a snapshot and notifies each change of status once, in order', async () => {
    const result = await runScenario(parseScenario({}));

    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(result.status).toBe('COMPLETE');
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    expect(result.apiCalls.StartExportTask).toBe(1);
  });

  it('keeps a 2-hour steady export within 25 billed transitions and notices its end within 2 % of its duration', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 7200 }));

    expect(result.stateTransitions).toBeLessThanOrEqual(25);
    expect(result.detectionLatencySeconds).not.toBeNull();
    expect(result.detectionLatencySeconds!).toBeLessThanOrEqual(Math.max(60, 0.02 * result.exportSeconds));
  });

  it('fails the execution with ExportFailed and notifies the service failure cause', async () => {
    const result = await runScenario(parseScenario({ failAtPercent: 30, exportSeconds: 3600 }));

    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('ExportFailed');
    expect(result.notifications.at(-1)).toMatchObject({ status: 'FAILED', percent: 30 });
  });

  it('cancels the export when the deadline passes, follows it to CANCELED and ends TIMED_OUT', async () => {
    const result = await runScenario(parseScenario({ exportSeconds: 7200, deadlineSeconds: 1800 }));

    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('ExportTimedOut');
    expect(result.apiCalls.CancelExportTask).toBe(1);
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING', 'TIMED_OUT']);
    // The cancel is asked for on time, not at the next adaptive poll.
    expect(result.simulatedSeconds).toBeLessThan(1800 + 90 + 2 * 60 + 5);
  });

  it('ends with the real final state, notified once, when the cancel races the completion', async () => {
    // Prepare: the export completes just as our CancelExportTask reaches RDS.
    const { result } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
      const stack = stackFor();
      const answer = stack.rds.handle.bind(stack.rds);
      stack.rds.handle = (action, params, request) => {
        if (action === 'CancelExportTask') for (const task of stack.rds.tasks.values()) task.behaviour = { ...task.behaviour, exportSeconds: 1 };
        return answer(action, params, request);
      };
      // Act
      const execution = await stack.execute({ sourceArn: SNAPSHOT, deadlineSeconds: 600 });
      return { execution, stack };
    });

    // Assess
    expect(result.stack.rds.calls.CancelExportTask).toBe(1);
    expect(result.execution.status).toBe('SUCCEEDED');
    expect(statuses(result.stack)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('cancels at an operator\'s request through the workflow, notified, ending CANCELED', async () => {
    const { result } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
      const stack = stackFor();
      const execution = stack.execute({ sourceArn: SNAPSHOT });
      // Act: an operator cancels 20 minutes in, while the execution waits for the export's end.
      const cancel = new Promise((resolve) =>
        setTimeout(() => {
          const [task] = stack.rds.tasks.values();
          resolve(requestCancel({ exportId: task!.id, sourceArn: SNAPSHOT }, 'operator@example.com', stack.operator));
        }, 1200_000),
      );
      return { execution: await execution, cancel: await cancel, stack };
    });

    expect(result.cancel).toBe('woken');
    expect(result.stack.rds.calls.CancelExportTask).toBe(1);
    expect(result.execution.error).toBe('ExportCanceled');
    expect(statuses(result.stack)).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING', 'CANCELED']);
  });

  it('retries throttled RDS calls with backoff and still completes; the retries are billed transitions', async () => {
    const events: EventLog[] = [];
    // 0.8, not 0.5: the SDK's own retry absorbs most single throttles, and the slot dispatcher's
    // calls draw from the same throttling (at 0.5 no step call was refused twice in a row).
    const result = await runScenario(parseScenario({ throttleRate: 0.8, seed: 3, exportSeconds: 1800 }), { onEvent: (e) => events.push(e) });

    const retries = events.filter((event) => event.type === 'StateRetried').length;
    expect(result.executionStatus).toBe('SUCCEEDED');
    expect(retries).toBeGreaterThan(0);
    expect(result.stateTransitions).toBe(events.filter((e) => e.type === 'StateEntered').length + retries);
    expect(result.apiCalls.StartExportTask).toBeGreaterThanOrEqual(1);
    expect(result.notifications.map((n) => n.status)).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
  });

  it('rejects bad input before any export starts, naming each wrong field in the failure notification', async () => {
    const result = await runScenario(parseScenario({ input: { s3Bucket: 'Not_A_Bucket', exportOnly: ['bad entry'] } }));

    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('InvalidExportRequest');
    expect(result.apiCalls.StartExportTask ?? 0).toBe(0);
    expect(result.cause).toMatch(/s3Bucket/);
    expect(result.cause).toMatch(/exportOnly\[0\]/);
    expect(result.notifications).toHaveLength(1);
    expect(result.notifications[0]!.status).toBe('FAILED');
  });

  it('fails with the service error, notified, when the snapshot does not exist', async () => {
    const result = await runScenario(parseScenario({ sourceMissing: true }));

    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('ExportServiceError');
    expect(result.cause).toMatch(/DBSnapshotNotFound/);
    expect(result.notifications.map((n) => n.status)).toEqual(['FAILED']);
  });

  it('starts one export task when two executions ask for the same snapshot (a redelivered event)', async () => {
    const { result } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
      const stack = stackFor({ ...TWO_HOURS, exportSeconds: 900 });
      const executions = await Promise.all([stack.execute({ sourceArn: SNAPSHOT }), stack.execute({ sourceArn: SNAPSHOT })]);
      return { executions, stack };
    });

    expect(result.executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(result.stack.rds.calls.StartExportTask).toBe(2);
    expect(result.stack.rds.tasks.size).toBe(1);
  });

  it('keeps following the export when SNS stays unavailable, rather than abandoning it', async () => {
    const { result } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
      const stack = stackFor({ ...TWO_HOURS, exportSeconds: 900 });
      stack.sns.handle = () => {
        throw new QueryError('InternalError', 'SNS is down', 500);
      };
      return { execution: await stack.execute({ sourceArn: SNAPSHOT }), stack };
    });

    expect(result.execution.status).toBe('SUCCEEDED');
    expect(result.execution.events.filter((e) => e.type === 'StateRetried').length).toBeGreaterThan(0);
    expect(result.execution.events.some((e) => e.type === 'StateEntered' && e.state.name === 'SkipNotification')).toBe(true);
  });

  it('exports a live cluster and an Aurora cluster snapshot through the same workflow', async () => {
    const cluster = await runScenario(parseScenario({ sourceType: 'CLUSTER', exportSeconds: 600 }));
    const clusterSnapshot = await runScenario(parseScenario({ sourceType: 'CLUSTER_SNAPSHOT', exportSeconds: 600 }));

    expect(cluster.status).toBe('COMPLETE');
    expect(cluster.exportId).toMatch(/^prod-aurora-\d{8}t\d{4}-[0-9a-f]{10}$/);
    expect(clusterSnapshot.status).toBe('COMPLETE');
  });
});
