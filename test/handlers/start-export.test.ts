import {
  DBSnapshotNotFoundFault,
  DescribeExportTasksCommand,
  ExportTaskAlreadyExistsFault,
  RDSClient,
  RDSServiceException,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler as makeAdmitHandler } from '../../functions/admit-export/app.ts';
import { makeHandler } from '../../functions/start-export/app.ts';
import { rdsExportProvider } from '../../shared/export-kinds/rds/rds-provider.ts';
import type { CoordinationStore } from '../../shared/slots/store.ts';
import { ExportIdentifierConflict, ExportQuotaExceeded, ExportServiceError, InvalidExportRequest, TransientAwsError } from '../../shared/runtime/errors.ts';
import { exportIdentifier, isValidExportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import type { StartInput } from '../../shared/slots/store.ts';
import { ACCOUNT, CLIENT_CONFIG } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { BOUNDS, clock, defaults, exportRequest, NOW, REQUESTED_AT, SNAPSHOT_ARN } from '../support/requests.ts';
import { recordingPublisher } from '../support/stores.ts';

const rdsMock = mockClient(RDSClient);
const context = lambdaContext('start-export');
const rdsProvider = rdsExportProvider(CLIENT_CONFIG);
const publisher = recordingPublisher();
const handler = makeHandler({ providerFor: () => rdsProvider, publisher, clock });

const request = exportRequest({ exportOnly: ['orders', 'orders.public.items'] });
const event: StartInput = { request, bounds: BOUNDS };

beforeEach(() => {
  rdsMock.reset();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(() => {
  rdsMock.restore();
});

describe('start-export handler', () => {
  it('starts the export task with the derived identifier and every request field', async () => {
    // Prepare
    rdsMock.on(StartExportTaskCommand).resolves({ ExportTaskIdentifier: request.exportId, SourceArn: SNAPSHOT_ARN, Status: 'STARTING', PercentProgress: 0 });

    // Act
    const state = await handler(event, context);

    // Assess
    expect(request.exportId).toBe(exportIdentifier(parseSourceArn(SNAPSHOT_ARN)!, REQUESTED_AT));
    expect(isValidExportIdentifier(request.exportId)).toBe(true);
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(StartExportTaskCommand, {
      ExportTaskIdentifier: request.exportId,
      SourceArn: SNAPSHOT_ARN,
      S3BucketName: 'export-bucket',
      S3Prefix: request.s3Prefix,
      IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
      KmsKeyId: defaults.EXPORT_KMS_KEY_ID,
      ExportOnly: ['orders', 'orders.public.items'],
    });
    expect(request.s3Prefix).toBe('rds-orders-db-2026-03-04-05-06/2026-03-04');
    expect(rdsMock).toHaveReceivedCommandTimes(DescribeExportTasksCommand, 0);
    // The start publishes STARTING itself (no Notify state after it).
    expect(state).toMatchObject({ request, status: 'STARTING', adopted: false, notifiedStatus: 'STARTING', polls: 0, exportStartedAt: NOW.toISOString() });
    expect(publisher.published.at(-1)?.attributes.status).toBe('STARTING');
  });

  it('leaves S3Prefix and ExportOnly out when the request has none', async () => {
    rdsMock.on(StartExportTaskCommand).resolves({ Status: 'STARTING' });
    const bare = exportRequest({ s3Prefix: '' });

    await handler({ request: bare, bounds: BOUNDS }, context);

    const [call] = rdsMock.commandCalls(StartExportTaskCommand);
    expect(call?.args[0].input.S3Prefix).toBeUndefined();
    expect(call?.args[0].input.ExportOnly).toBeUndefined();
  });

  it('adopts the task that already exists for the same snapshot', async () => {
    // Prepare
    rdsMock
      .on(StartExportTaskCommand)
      .rejects(new ExportTaskAlreadyExistsFault({ message: `The export task with the ID ${request.exportId} already exists`, $metadata: {} }));
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [
        { ExportTaskIdentifier: request.exportId, SourceArn: SNAPSHOT_ARN, Status: 'IN_PROGRESS', PercentProgress: 30, TaskStartTime: new Date('2026-03-04T05:10:00Z') },
      ],
    });

    // Act
    const state = await handler(event, context);

    // Assess
    expect(rdsMock).toHaveReceivedCommandWith(DescribeExportTasksCommand, { ExportTaskIdentifier: request.exportId });
    expect(state).toMatchObject({ adopted: true, status: 'IN_PROGRESS', percent: 30, exportStartedAt: '2026-03-04T05:10:00.000Z' });
  });

  it('refuses to adopt a task with our identifier that exports another source', async () => {
    rdsMock.on(StartExportTaskCommand).rejects(new ExportTaskAlreadyExistsFault({ message: 'already exists', $metadata: {} }));
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [{ ExportTaskIdentifier: request.exportId, SourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:someone-else`, Status: 'COMPLETE' }],
    });

    await expect(handler(event, context)).rejects.toBeInstanceOf(ExportIdentifierConflict);
  });

  it.each([
    ['throttled', new RDSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' })],
    ['answered 500', new RDSServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'We encountered an internal error' })],
    ['answered 503', new RDSServiceException({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Unavailable' })],
  ])('fails with TransientAwsError, which the state machine retries, when RDS %s', async (_, error) => {
    rdsMock.on(StartExportTaskCommand).rejects(error);

    const failure = await handler(event, context).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(TransientAwsError);
    expect((failure as Error).name).toBe('TransientAwsError');
    expect((failure as Error).cause).toBe(error);
  });

  it('fails with ExportServiceError, which is not retried, when the snapshot does not exist', async () => {
    rdsMock
      .on(StartExportTaskCommand)
      .rejects(new DBSnapshotNotFoundFault({ message: 'DBSnapshot rds:orders-db-2026-03-04-05-06 not found.', $metadata: { httpStatusCode: 404 } }));

    const failure = await handler(event, context).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ExportServiceError);
    expect((failure as Error).message).toContain('DBSnapshotNotFoundFault');
  });

  it("reads RDS's ExportTaskLimitReachedFault as ExportQuotaExceeded, which sends the execution back to the slot queue", async () => {
    // Prepare: RDS's answer past the quota (not in the SDK's model, so a plain service exception)
    rdsMock.on(StartExportTaskCommand).rejects(
      new RDSServiceException({ name: 'ExportTaskLimitReachedFault', message: 'You have reached the limit of 5 concurrent export tasks', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    );

    // Act
    const failure = await handler(event, context).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(ExportQuotaExceeded);
  });
});

describe('admit-export handler (checks the input before any start)', () => {
  it('refuses bad input with InvalidExportRequest, without calling RDS or queueing', async () => {
    // Prepare
    const store = { enqueue: vi.fn(), oldestRequestedAt: vi.fn(), oldest: vi.fn(), leases: vi.fn(), tryLock: vi.fn() } as unknown as CoordinationStore;
    const admit = makeAdmitHandler({
      defaults,
      slots: { store, exports: rdsExportProvider(CLIENT_CONFIG), callbacks: { succeed: vi.fn(), fail: vi.fn() }, quota: () => 5, leaseSeconds: 600, slotWaitLimitSeconds: 30 * 86400 },
      clock,
    });

    // Act
    const failure = await admit(
      { token: 'task-token', input: { sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders`, s3Bucket: 'Bad_Bucket' }, requestedAt: REQUESTED_AT.toISOString(), execution: 'orders-db-execution' },
      lambdaContext('admit-export'),
    ).catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(InvalidExportRequest);
    expect((failure as InvalidExportRequest).problems).toEqual([expect.stringMatching(/^sourceArn /), expect.stringMatching(/^s3Bucket /)]);
    expect(rdsMock.calls()).toHaveLength(0);
    expect(store.enqueue).not.toHaveBeenCalled();
  });

  it('refuses to load without its configuration, naming every missing variable', async () => {
    for (const name of ['EXPORT_BUCKET', 'EXPORT_ROLE_ARN', 'EXPORT_KMS_KEY_ID', 'COORDINATION_TABLE']) vi.stubEnv(name, undefined);

    const failure = await import('../../functions/admit-export/handler.ts').catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: 'ConfigurationError' });
    for (const name of ['EXPORT_BUCKET', 'EXPORT_ROLE_ARN', 'EXPORT_KMS_KEY_ID', 'COORDINATION_TABLE']) {
      expect((failure as Error).message).toContain(`${name} is not set`);
    }
  });
});
