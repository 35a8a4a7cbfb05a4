import { DescribeExportTasksCommand, ExportTaskNotFoundFault, RDSClient, RDSServiceException } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/poll-export/app.ts';
import { rdsExportProvider } from '../../shared/export-kinds/rds/rds-provider.ts';
import type { QueueEntry } from '../../shared/slots/store.ts';
import type { TaskCallbacks } from '../../shared/workflow/step-functions.ts';
import { ExportServiceError, ExportTaskNotFound } from '../../shared/runtime/errors.ts';
import { startingNow, type DispatchDeps } from '../../shared/slots/dispatch.ts';
import { ACCOUNT, CLIENT_CONFIG } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { BOUNDS, clock, exportRequest, exportState, NOW, SNAPSHOT_ARN } from '../support/requests.ts';
import { mockCoordinationStore, recordingPublisher } from '../support/stores.ts';

const rdsMock = mockClient(RDSClient);
const context = lambdaContext('poll-export');
const provider = rdsExportProvider(CLIENT_CONFIG);
const publisher = recordingPublisher();

const state = exportState();
const exportId = state.request.exportId;

/** Another execution, queued for a slot. */
const queued: QueueEntry = {
  exportId: 'next-db-0123456789',
  sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:next-db`,
  token: 'task-token-of-the-next-execution',
  release: { request: exportRequest({ sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:next-db` }), bounds: BOUNDS },
  requestedAt: '2026-03-04T05:20:00.000Z',
  execution: 'next-db-execution',
};

function slots(queue: QueueEntry[]): { slots: DispatchDeps; callbacks: TaskCallbacks } {
  const store = mockCoordinationStore(queue);
  const callbacks: TaskCallbacks = { succeed: vi.fn(async () => true), fail: vi.fn(async () => true) };
  return { slots: { store, exports: provider, callbacks, quota: () => 5, leaseSeconds: 600, slotWaitLimitSeconds: 30 * 86400 }, callbacks };
}

const handler = makeHandler({ providerFor: () => provider, slots: slots([]).slots, publisher, clock });

beforeEach(() => {
  rdsMock.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(() => {
  rdsMock.restore();
});

describe('poll-export handler', () => {
  it("reads moto's lowercase 'complete' as COMPLETE", async () => {
    // moto answers at once, in lowercase, with no progress and no start time.
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'complete' }] });

    const next = await handler(state, context);

    expect(rdsMock).toHaveReceivedCommandWith(DescribeExportTasksCommand, { ExportTaskIdentifier: exportId });
    expect(next).toMatchObject({ status: 'COMPLETE', percent: 100, polls: state.polls + 1, overdue: false });
  });

  it('takes over the progress, start time and data size RDS reports', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [
        {
          ExportTaskIdentifier: exportId,
          SourceArn: SNAPSHOT_ARN,
          Status: 'IN_PROGRESS',
          PercentProgress: 60,
          TaskStartTime: new Date('2026-03-04T05:08:00Z'),
          TotalExtractedDataInGB: 17,
          WarningMessage: 'some tables were skipped',
        },
      ],
    });

    const next = await handler(state, context);

    expect(next).toMatchObject({ status: 'IN_PROGRESS', percent: 60, taskStartTime: '2026-03-04T05:08:00.000Z', extractedDataGb: 17, warning: 'some tables were skipped' });
    expect(next.waitSeconds).toBeGreaterThanOrEqual(BOUNDS.minSeconds);
    expect(next.waitSeconds).toBeLessThanOrEqual(BOUNDS.maxSeconds);
  });

  it('reads a task we canceled for the deadline as TIMED_OUT once RDS says canceled', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'canceled' }] });

    expect(await handler(exportState({ status: 'CANCELING', canceledForDeadline: true }), context)).toMatchObject({ status: 'TIMED_OUT' });
  });

  it('fails with ExportTaskNotFound when RDS lists no such task', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });

    await expect(handler(state, context)).rejects.toBeInstanceOf(ExportTaskNotFound);
  });

  it('fails with ExportTaskNotFound when RDS lists only other tasks', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: 'someone-elses-task', SourceArn: SNAPSHOT_ARN, Status: 'COMPLETE' }] });

    await expect(handler(state, context)).rejects.toBeInstanceOf(ExportTaskNotFound);
  });

  it('fails with ExportTaskNotFound when RDS answers ExportTaskNotFoundFault', async () => {
    rdsMock.on(DescribeExportTasksCommand).rejects(new ExportTaskNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } }));

    await expect(handler(state, context)).rejects.toMatchObject({ name: 'ExportTaskNotFound' });
  });

  it('goes back to waiting, backing off, when RDS reports a status it does not know: the export may still run', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'PAUSED' }] });

    const next = await handler(state, context);

    expect(next).toMatchObject({ status: 'IN_PROGRESS', interruption: { failures: 1, notified: false } });
    expect(next.interruption?.lastError).toMatch(/^UnknownExportStatus: /);
  });

  it('goes back to waiting after its quick retries when RDS throttles, longer after each failure, never failing the execution', async () => {
    // Prepare
    rdsMock
      .on(DescribeExportTasksCommand)
      .rejects(new RDSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));

    // Act
    const first = await handler(state, context);
    const second = await handler(first, context);

    // Assess: two quick attempts each (the mock stands in for the SDK's own retry), then the wait policy's minimum, doubled the next time.
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeExportTasksCommand, 4);
    expect(first).toMatchObject({ status: 'IN_PROGRESS', waitSeconds: BOUNDS.minSeconds, interruption: { failures: 1, since: NOW.toISOString() } });
    expect(second).toMatchObject({ waitSeconds: 2 * BOUNDS.minSeconds, interruption: { failures: 2, since: NOW.toISOString() } });
  });

  it('notifies once that following is interrupted after 15 minutes, and once that it resumed', async () => {
    // Prepare: RDS has not answered for 15 minutes.
    const since = new Date(NOW.getTime() - 15 * 60_000).toISOString();
    const failing = exportState({ interruption: { since, failures: 6, lastError: 'TransientAwsError: Rate exceeded', notified: false } });
    const notices = recordingPublisher();
    const poll = makeHandler({ providerFor: () => provider, slots: slots([]).slots, publisher: notices, clock });
    rdsMock.on(DescribeExportTasksCommand).rejects(new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));

    // Act
    const interrupted = await poll(failing, context);
    const stillInterrupted = await poll(interrupted, context);
    rdsMock.reset();
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'IN_PROGRESS', PercentProgress: 40 }] });
    const back = await poll(stillInterrupted, context);

    // Assess
    expect(notices.published.map((n) => n.attributes.notice)).toEqual(['FOLLOWING_INTERRUPTED', 'FOLLOWING_RESUMED']);
    expect(notices.published[0]!.subject).toMatch(/^Export following INTERRUPTED: /);
    expect(notices.published[0]!.body).toMatch(/Cause: +TransientAwsError: DescribeExportTasks failed: Throttling/);
    expect(back.interruption).toBeUndefined();
    expect(back.pendingNotice).toBeUndefined();
  });

  it('keeps following when SNS refuses the notification, with the failure in the state for the next step', async () => {
    // Prepare: KMS denies SNS the topic key (permanent).
    const refusing = recordingPublisher(() => new ExportServiceError('SNS Publish failed: KMSAccessDenied: denied'));
    const poll = makeHandler({ providerFor: () => provider, slots: slots([]).slots, publisher: refusing, clock });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'IN_PROGRESS', PercentProgress: 40 }] });

    // Act
    const next = await poll(exportState({ status: 'STARTING', notifiedStatus: 'STARTING' }), context);

    // Assess
    expect(next).toMatchObject({ status: 'IN_PROGRESS', notifiedStatus: 'STARTING', notifyError: { status: 'IN_PROGRESS', name: 'ExportServiceError', permanent: true, failures: 1 } });
  });

  it('wakes the next queued execution when the export ended', async () => {
    // Prepare
    const withQueue = slots([queued]);
    const pollWithQueue = makeHandler({ providerFor: () => provider, slots: withQueue.slots, publisher, clock });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'COMPLETE' }] });

    // Act
    const next = await pollWithQueue(state, context);

    // Assess: its deadline now counts from its release
    expect(next.status).toBe('COMPLETE');
    expect(withQueue.callbacks.succeed).toHaveBeenCalledExactlyOnceWith(queued.token, startingNow(queued.release, clock()));
  });

  it('refuses to load without its configuration, naming every missing or malformed variable', async () => {
    vi.stubEnv('COORDINATION_TABLE', undefined);
    vi.stubEnv('EXPORT_QUOTA', 'many');

    const failure = await import('../../functions/poll-export/handler.ts').catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: 'ConfigurationError' });
    expect((failure as Error).message).toContain('COORDINATION_TABLE is not set');
    expect((failure as Error).message).toContain('EXPORT_QUOTA: ');
  });
});
