import { CreateDatabaseCommand, CreateTableCommand, GetTableCommand, GlueClient, GlueServiceException, UpdateTableCommand } from '@aws-sdk/client-glue';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/verify-export/app.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { ExportServiceError, TransientAwsError } from '../../shared/runtime/errors.ts';
import { verifyDeps } from '../../shared/verification/aws/clients.ts';
import { exportFolderOf, type VerifySettings } from '../../shared/verification/verify.ts';
import { CLIENT_CONFIG } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { clock, exportState } from '../support/requests.ts';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:export-notifications';
const s3Mock = mockClient(S3Client);
const glueMock = mockClient(GlueClient);
const snsMock = mockClient(SNSClient);
const context = lambdaContext('verifyExport');
const complete = exportState({ status: 'COMPLETE', percent: 100, notifiedStatus: 'IN_PROGRESS', taskStartTime: '2026-03-04T05:10:00.000Z' });
const folder = exportFolderOf(complete);
const id = complete.request.exportId;

const handlerWith = (settings: Partial<VerifySettings> = {}) =>
  makeHandler({
    verify: verifyDeps({ catalogDatabase: 'rds_{source}', deletePartialData: false, retainExports: 0, ...settings }, { s3: CLIENT_CONFIG, glue: CLIENT_CONFIG, rds: CLIENT_CONFIG }),
    publisher: snsPublisher(TOPIC_ARN, CLIENT_CONFIG),
    clock,
  });

/** What GetObject's Body offers the adapter (the SDK's stream mixin). */
const body = (text: string) => ({ transformToString: async () => text }) as never;
const tablesInfo = {
  perTableStatus: [
    { target: 'orders.public.orders', status: 'COMPLETE', sizeGB: 1.5, schemaMetadata: { originalTypeMappings: [{ columnName: 'id', originalType: 'bigint', expectedExportedType: 'int64' }] } },
    { target: 'orders.public.events', status: 'FAILED', warningMessage: 'Row too large' },
  ],
};

function storeMetadata(): void {
  // Two listing pages: export_info on the first, the tables part on the second.
  s3Mock
    .on(ListObjectsV2Command, { Bucket: folder.bucket, Prefix: folder.prefix, Delimiter: '/' })
    .resolvesOnce({ Contents: [{ Key: `${folder.prefix}export_info_${id}.json`, Size: 100 }], CommonPrefixes: [{ Prefix: `${folder.prefix}orders/` }], IsTruncated: true, NextContinuationToken: 'page-2' })
    .resolvesOnce({ Contents: [{ Key: `${folder.prefix}export_tables_info_${id}_from_1_to_2.json`, Size: 100 }], IsTruncated: false });
  s3Mock.on(ListObjectsV2Command, { Bucket: folder.bucket, Prefix: `${folder.prefix}orders/`, Delimiter: '/' }).resolves({ CommonPrefixes: [{ Prefix: `${folder.prefix}orders/public.orders/` }], IsTruncated: false });
  s3Mock.on(GetObjectCommand, { Key: `${folder.prefix}export_info_${id}.json` }).resolves({ Body: body(JSON.stringify({ status: 'COMPLETE' })) });
  s3Mock.on(GetObjectCommand, { Key: `${folder.prefix}export_tables_info_${id}_from_1_to_2.json` }).resolves({ Body: body(JSON.stringify(tablesInfo)) });
}

beforeEach(() => {
  s3Mock.reset();
  glueMock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  glueMock.on(GetTableCommand).rejects(new GlueServiceException({ name: 'EntityNotFoundException', $fault: 'client', message: 'Table not found', $metadata: { httpStatusCode: 400 } }));
  glueMock.on(CreateDatabaseCommand).resolves({});
  glueMock.on(CreateTableCommand).resolves({});
});

afterAll(() => {
  s3Mock.restore();
  glueMock.restore();
  snsMock.restore();
});

describe('verify-export handler', () => {
  it('reads the metadata across listing pages, catalogs the exported table and publishes COMPLETE with warnings once', async () => {
    storeMetadata();

    const output = await handlerWith()(complete, context);

    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, { ContinuationToken: 'page-2', Delimiter: '/' });
    expect(glueMock).toHaveReceivedCommandExactlyOnceWith(CreateDatabaseCommand, { DatabaseInput: expect.objectContaining({ Name: 'rds_orders_db' }) });
    expect(glueMock).toHaveReceivedCommandExactlyOnceWith(CreateTableCommand, {
      DatabaseName: 'rds_orders_db',
      TableInput: expect.objectContaining({
        Name: 'orders_public_orders',
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: expect.objectContaining({
          Location: `s3://${folder.bucket}/${folder.prefix}orders/public.orders/`,
          Columns: [{ Name: 'id', Type: 'bigint', Comment: 'source type bigint' }],
          SerdeInfo: expect.objectContaining({ SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' }),
        }),
      }),
    });
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      Subject: expect.stringMatching(/^Export COMPLETE with warnings: /),
      MessageAttributes: expect.objectContaining({ status: { DataType: 'String', StringValue: 'COMPLETE_WITH_WARNINGS' } }),
      Message: expect.stringContaining('orders.public.events FAILED: Row too large'),
    });
    expect(output).toMatchObject({ notifiedStatus: 'COMPLETE', verification: { tables: { exported: 1, failed: 1, skipped: 0 }, catalog: { database: 'rds_orders_db' } } });
  });

  it('updates a table that points at an older export', async () => {
    storeMetadata();
    glueMock.on(GetTableCommand).resolves({
      Table: { Name: 'orders_public_orders', StorageDescriptor: { Location: 's3://old/', Columns: [] }, Parameters: { 'export_orchestrator.export_time': '2026-03-01T00:00:00.000Z' } },
    });
    glueMock.on(UpdateTableCommand).resolves({});

    const output = await handlerWith()(complete, context);

    expect(glueMock).toHaveReceivedCommandTimes(CreateTableCommand, 0);
    expect(glueMock).toHaveReceivedCommandExactlyOnceWith(UpdateTableCommand, { DatabaseName: 'rds_orders_db', TableInput: expect.objectContaining({ Name: 'orders_public_orders' }) });
    expect(output.verification?.catalog?.tables).toEqual([{ name: 'orders_public_orders', target: 'orders.public.orders', action: 'updated' }]);
  });

  it('throws TransientAwsError, which the state machine retries, when Glue throttles', async () => {
    storeMetadata();
    glueMock.on(CreateTableCommand).rejects(new GlueServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));

    const verifying = handlerWith()(complete, context);

    await expect(verifying).rejects.toBeInstanceOf(TransientAwsError);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('names the S3 call and the error when the metadata cannot be read (not retried: the Catch notifies it)', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', message: 'Access Denied', $metadata: { httpStatusCode: 403 } }));

    const verifying = handlerWith()(complete, context);

    await expect(verifying).rejects.toThrow(ExportServiceError);
    await expect(verifying).rejects.toThrow(`S3 ListObjectsV2 s3://${folder.bucket}/${folder.prefix} failed: AccessDenied: Access Denied`);
  });

  it('takes a metadata file deleted between listing and reading as missing', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${folder.prefix}export_tables_info_${id}_from_1_to_1.json`, Size: 1 }] });
    s3Mock.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } }));

    const output = await handlerWith()(complete, context);

    expect(output.verification?.warnings[0]).toMatch(/^No export_tables_info_.*_from_\*\.json file was found/);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { MessageAttributes: expect.objectContaining({ status: { DataType: 'String', StringValue: 'COMPLETE_WITH_WARNINGS' } }) });
  });

  it('counts and, when asked, deletes what a canceled export left, in DeleteObjects batches', async () => {
    const keys = Array.from({ length: 3 }, (_, i) => ({ Key: `${folder.prefix}orders/public.orders/1/part-0000${i}.gz.parquet`, Size: 1024 }));
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: keys, IsTruncated: false });
    s3Mock.on(DeleteObjectsCommand).resolves({ Deleted: keys.map(({ Key }) => ({ Key })) });
    const canceled = { ...complete, status: 'CANCELED' as const };

    const output = await handlerWith({ deletePartialData: true })(canceled, context);

    expect(s3Mock).toHaveReceivedCommandExactlyOnceWith(DeleteObjectsCommand, { Bucket: folder.bucket, Delete: { Objects: keys.map(({ Key }) => ({ Key })), Quiet: true } });
    expect(output.verification?.partialData).toEqual({ s3Uri: `s3://${folder.bucket}/${folder.prefix}`, objects: 3, bytes: 3072, truncated: false, deleted: { objects: 3, bytes: 3072, failures: [], remaining: false } });
    expect(glueMock).toHaveReceivedCommandTimes(CreateTableCommand, 0);
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, { Subject: expect.stringMatching(/^Export CANCELED: /), Message: expect.stringContaining('3 deleted (deletePartialData)') });
  });
});
