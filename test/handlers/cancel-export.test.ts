import { CancelExportTaskCommand, DescribeExportTasksCommand, ExportTaskNotFoundFault, InvalidExportTaskStateFault, RDSClient, RDSServiceException } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/cancel-export/app.ts';
import { rdsExportProvider } from '../../shared/export-kinds/rds/rds-provider.ts';
import { ExportTaskNotFound } from '../../shared/runtime/errors.ts';
import { CLIENT_CONFIG } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { exportState, SNAPSHOT_ARN } from '../support/requests.ts';
import { recordingPublisher } from '../support/stores.ts';

const rdsMock = mockClient(RDSClient);
const context = lambdaContext('cancel-export');

/** The cancel runs once the deadline has passed. */
const state = exportState({ overdue: true, request: { ...exportState().request, deadline: '2026-03-04T05:30:00.000Z' } });
const exportId = state.request.exportId;
const rdsProvider = rdsExportProvider(CLIENT_CONFIG);
const publisher = recordingPublisher();
const handler = makeHandler({ providerFor: () => rdsProvider, publisher, clock: () => new Date('2026-03-04T05:31:00.000Z') });

beforeEach(() => {
  rdsMock.reset();
});

afterAll(() => {
  rdsMock.restore();
});

describe('cancel-export handler', () => {
  it('cancels the export task and reports it CANCELING', async () => {
    rdsMock.on(CancelExportTaskCommand).resolves({ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'CANCELING', PercentProgress: 70 });

    const next = await handler(state, context);

    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(CancelExportTaskCommand, { ExportTaskIdentifier: exportId });
    expect(next).toMatchObject({ status: 'CANCELING', canceledForDeadline: true, percent: 70, overdue: true });
  });

  it('reports the task COMPLETE, not TIMED_OUT, when it completed before the cancel reached it', async () => {
    // Prepare
    rdsMock
      .on(CancelExportTaskCommand)
      .rejects(new InvalidExportTaskStateFault({ message: 'The export task is not in a cancelable state', $metadata: { httpStatusCode: 400 } }));
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [{ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'COMPLETE', PercentProgress: 100, TaskEndTime: new Date('2026-03-04T05:30:30Z') }],
    });

    // Act
    const next = await handler(state, context);

    // Assess
    expect(rdsMock).toHaveReceivedCommandWith(DescribeExportTasksCommand, { ExportTaskIdentifier: exportId });
    expect(next).toMatchObject({ status: 'COMPLETE', percent: 100, overdue: false, taskEndTime: '2026-03-04T05:30:30.000Z' });
  });

  it('reports TIMED_OUT when the cancel answers that the task is canceled already', async () => {
    rdsMock.on(CancelExportTaskCommand).resolves({ ExportTaskIdentifier: exportId, SourceArn: SNAPSHOT_ARN, Status: 'canceled' });

    expect(await handler(state, context)).toMatchObject({ status: 'TIMED_OUT', overdue: false });
  });

  it('fails with ExportTaskNotFound when the task is gone', async () => {
    rdsMock.on(CancelExportTaskCommand).rejects(new ExportTaskNotFoundFault({ message: 'not found', $metadata: { httpStatusCode: 404 } }));

    await expect(handler(state, context)).rejects.toBeInstanceOf(ExportTaskNotFound);
  });

  it('tries again after a wait when RDS answers 500, until the cancel gets through', async () => {
    rdsMock
      .on(CancelExportTaskCommand)
      .rejects(new RDSServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'internal error' }));

    const next = await handler(state, context);

    expect(next).toMatchObject({ status: 'IN_PROGRESS', overdue: true, cancelBackoff: true, cancelFailure: { failures: 1, notified: false } });
    expect(next.waitSeconds).toBe(60);
  });

  it('notifies loudly, once, with the command to cancel by hand, when the cancel has not got through for an hour', async () => {
    // Prepare
    const loud = recordingPublisher();
    const cancelLate = makeHandler({ providerFor: () => rdsProvider, publisher: loud, clock: () => new Date('2026-03-04T06:31:00.000Z') });
    rdsMock.on(CancelExportTaskCommand).rejects(new RDSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' }));
    const stuck = { ...state, cancelFailure: { since: '2026-03-04T05:31:00.000Z', failures: 9, lastError: 'TransientAwsError: Rate exceeded', notified: false } };

    // Act
    const once = await cancelLate(stuck, context);
    await cancelLate(once, context);

    // Assess
    expect(loud.published.map((n) => n.attributes.notice)).toEqual(['CANCEL_STUCK']);
    expect(loud.published[0]!.subject).toMatch(/^Export NOT CANCELED past its deadline: /);
    expect(loud.published[0]!.body).toContain(`aws rds cancel-export-task --export-task-identifier ${exportId}`);
  });
});
