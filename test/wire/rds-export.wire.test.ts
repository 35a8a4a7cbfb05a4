/**
 * RdsExportProvider against moto: real SDK serialisation, real XML answers, real error codes.
 *
 * What moto 5.x does (verified while writing these tests, and asserted below where it matters):
 * - StartExportTask needs an existing snapshot in status "available" and creates the task in status
 *   lowercase "complete" at once; no TaskStartTime, no PercentProgress.
 * - A duplicate ExportTaskIdentifier answers 400 ExportTaskAlreadyExists (SDK: ExportTaskAlreadyExistsFault).
 * - A missing snapshot answers 404 DBSnapshotNotFound (SDK: DBSnapshotNotFoundFault); a missing
 *   cluster snapshot 404 DBClusterSnapshotNotFoundFault.
 * - DescribeExportTasks and CancelExportTask of an unknown id answer 404 ExportTaskNotFound
 *   (SDK: ExportTaskNotFoundFault), never an empty list.
 * - CancelExportTask never answers InvalidExportTaskStateFault: it sets any task, even a complete
 *   one, to "canceled" and returns it.
 * - DescribeExportTasks ignores Filters, MaxRecords and Marker: every task, one page, no Marker.
 * - A live DB cluster ARN (…:cluster:name) is not supported: moto answers 500 with an HTML page.
 */
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeExportTasksCommand,
  RDSClient,
  StartExportTaskCommand,
  paginateDescribeExportTasks,
  type ExportTask,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RdsExportProvider } from '../../shared/export-kinds/rds/rds-provider.ts';
import { readConfig, exportDefaultsShape, type ExportDefaults } from '../../shared/runtime/config.ts';
import { ExportIdentifierConflict, ExportServiceError, ExportTaskNotFound } from '../../shared/runtime/errors.ts';
import { buildRdsRequest } from '../../shared/export-kinds/rds/request.ts';
import type { RdsRequest } from '../../shared/export-kinds/rds/request.ts';
import { failure } from '../support/failure.ts';

const endpoint = inject('motoEndpoint');

/** moto keeps its state for the whole run (and longer, with MOTO_ENDPOINT): every name carries this. */
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const config: ExportDefaults = readConfig(exportDefaultsShape, {
  EXPORT_BUCKET: 'wire-export-bucket',
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  EXPORT_KMS_KEY_ID: 'alias/rds-export',
});

describe.skipIf(!endpoint)('RdsExportProvider against moto (wire)', () => {
  let rds: RDSClient;
  let provider: RdsExportProvider;
  const instanceId = `wire-db-${run}`;

  beforeAll(async () => {
    rds = new RDSClient({
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    provider = new RdsExportProvider(rds);
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: instanceId,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'wireadmin',
        MasterUserPassword: 'wire-password-1',
        AllocatedStorage: 20,
      }),
    );
  });

  afterAll(() => rds?.destroy());

  /** A fresh, available DB snapshot of the shared instance; returns its ARN as moto reports it. */
  async function createSnapshot(label: string): Promise<string> {
    const { DBSnapshot } = await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: instanceId, DBSnapshotIdentifier: `${label}-${run}` }),
    );
    expect(DBSnapshot?.Status).toBe('available');
    return DBSnapshot!.DBSnapshotArn!;
  }

  function requestFor(sourceArn: string, extra: Record<string, unknown> = {}): RdsRequest {
    return buildRdsRequest({ sourceArn, ...extra }, config, new Date());
  }

  async function rawTask(exportId: string): Promise<ExportTask> {
    const { ExportTasks = [] } = await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: exportId }));
    expect(ExportTasks).toHaveLength(1);
    return ExportTasks[0]!;
  }

  /** Tasks of one source. moto ignores Filters (it returns every task), so the answer is also filtered here. */
  async function tasksOfSource(sourceArn: string): Promise<ExportTask[]> {
    const { ExportTasks = [] } = await rds.send(
      new DescribeExportTasksCommand({ Filters: [{ Name: 'source-arn', Values: [sourceArn] }] }),
    );
    return ExportTasks.filter((task) => task.SourceArn === sourceArn);
  }

  const causeName = (error: { cause?: unknown }): string | undefined => (error.cause as { name?: string } | undefined)?.name;

  it("starts an export of a DB snapshot, reads moto's lowercase 'complete' as COMPLETE, and describe finds it", async () => {
    // Prepare
    const sourceArn = await createSnapshot('start');
    const request = requestFor(sourceArn, { exportOnly: ['appdb.orders', 'appdb'] });

    // Act
    const started = await provider.start(request);
    const described = await provider.describe(request.exportId);

    // Assess
    expect(started).toMatchObject({ exportId: request.exportId, sourceArn, status: 'COMPLETE', adopted: false });
    expect(described).toMatchObject({ exportId: request.exportId, sourceArn, status: 'COMPLETE' });
    const raw = await rawTask(request.exportId);
    expect(raw.Status).toBe('complete'); // what came over the wire: the provider normalised it
    expect(raw).toMatchObject({
      S3Bucket: request.s3Bucket,
      S3Prefix: request.s3Prefix,
      IamRoleArn: request.iamRoleArn,
      KmsKeyId: request.kmsKeyId,
      ExportOnly: ['appdb.orders', 'appdb'],
    });
  });

  it('starting the same export twice adopts the existing task and never starts a second one', async () => {
    // Prepare
    const sourceArn = await createSnapshot('twice');
    const request = requestFor(sourceArn);
    const first = await provider.start(request);

    // Act
    const second = await provider.start(requestFor(sourceArn));

    // Assess
    expect(first.adopted).toBe(false);
    expect(second).toMatchObject({ exportId: request.exportId, sourceArn, status: 'COMPLETE', adopted: true });
    const tasks = await tasksOfSource(sourceArn);
    expect(tasks.map((task) => task.ExportTaskIdentifier)).toEqual([request.exportId]);
  });

  it('exports a DB cluster snapshot the same way', async () => {
    // Prepare
    const clusterId = `wire-cluster-${run}`;
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: clusterId,
        Engine: 'aurora-postgresql',
        MasterUsername: 'wireadmin',
        MasterUserPassword: 'wire-password-1',
      }),
    );
    const { DBClusterSnapshot } = await rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: clusterId, DBClusterSnapshotIdentifier: `cluster-snap-${run}` }),
    );
    const sourceArn = DBClusterSnapshot!.DBClusterSnapshotArn!;
    const request = requestFor(sourceArn);

    // Act
    const started = await provider.start(request);

    // Assess
    expect(request.source.type).toBe('CLUSTER_SNAPSHOT');
    expect(started).toMatchObject({ exportId: request.exportId, sourceArn, status: 'COMPLETE', adopted: false });
    expect(await provider.describe(request.exportId)).toMatchObject({ sourceArn, status: 'COMPLETE' });
  });

  it("a missing DB snapshot surfaces the service's DBSnapshotNotFound as ExportServiceError, and no task is created", async () => {
    // Prepare
    const request = requestFor(`arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:missing-${run}`);

    // Act
    const error = await failure(provider.start(request));

    // Assess
    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error.message).toContain('StartExportTask failed');
    expect(error.message).toContain('DBSnapshotNotFound');
    expect(causeName(error)).toBe('DBSnapshotNotFoundFault');
    await expect(provider.describe(request.exportId)).rejects.toBeInstanceOf(ExportTaskNotFound);
  });

  it('a missing DB cluster snapshot surfaces DBClusterSnapshotNotFoundFault as ExportServiceError', async () => {
    // Prepare
    const request = requestFor(`arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:missing-${run}`);

    // Act
    const error = await failure(provider.start(request));

    // Assess
    expect(error).toBeInstanceOf(ExportServiceError);
    expect(causeName(error)).toBe('DBClusterSnapshotNotFoundFault');
  });

  it('describe of an unknown export id throws ExportTaskNotFound (moto answers ExportTaskNotFoundFault, not an empty list)', async () => {
    // Act
    const error = await failure(provider.describe(`unknown-describe-${run}`));

    // Assess
    expect(error).toBeInstanceOf(ExportTaskNotFound);
    expect(error.message).toContain(`unknown-describe-${run}`);
    expect(causeName(error)).toBe('ExportTaskNotFoundFault');
  });

  it('cancel of an unknown export id throws ExportTaskNotFound', async () => {
    // Act
    const error = await failure(provider.cancel(`unknown-cancel-${run}`));

    // Assess
    expect(error).toBeInstanceOf(ExportTaskNotFound);
    expect(causeName(error)).toBe('ExportTaskNotFoundFault');
  });

  it('cancel returns the task as the service reports it after the cancel (moto cancels even a completed task)', async () => {
    // Prepare: moto completes the export at once
    const sourceArn = await createSnapshot('cancel');
    const request = requestFor(sourceArn);
    expect((await provider.start(request)).status).toBe('COMPLETE');

    // Act
    const canceled = await provider.cancel(request.exportId);

    // Assess: real RDS would refuse with InvalidExportTaskStateFault and the provider would return
    // COMPLETE from describe; moto accepts the cancel, so the provider passes its answer through.
    expect(canceled).toMatchObject({ exportId: request.exportId, sourceArn, status: 'CANCELED' });
    expect((await rawTask(request.exportId)).Status).toBe('canceled');
    expect(await provider.describe(request.exportId)).toMatchObject({ status: 'CANCELED' });
  });

  it('an export id already used for another source throws ExportIdentifierConflict and leaves that task alone', async () => {
    // Prepare
    const ownerArn = await createSnapshot('owner');
    const intruderArn = await createSnapshot('intruder');
    const owner = requestFor(ownerArn);
    await provider.start(owner);
    const intruder: RdsRequest = { ...requestFor(intruderArn), exportId: owner.exportId };

    // Act
    const error = await failure(provider.start(intruder));

    // Assess
    expect(error).toBeInstanceOf(ExportIdentifierConflict);
    expect(error.message).toContain(ownerArn);
    expect(error.message).toContain(intruderArn);
    expect((await rawTask(owner.exportId)).SourceArn).toBe(ownerArn);
    expect(await tasksOfSource(intruderArn)).toEqual([]);
  });

  it('paginateDescribeExportTasks walks every page of more than 20 tasks', async ({ skip }) => {
    // Prepare: 21 tasks of one snapshot; 20 is the smallest MaxRecords RDS accepts
    const sourceArn = await createSnapshot('paging');
    const base = requestFor(sourceArn);
    const ids = Array.from({ length: 21 }, (_, i) => `paging-${run}-${String(i).padStart(2, '0')}`);
    for (const id of ids) {
      await rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: id,
          SourceArn: sourceArn,
          S3BucketName: base.s3Bucket,
          IamRoleArn: base.iamRoleArn,
          KmsKeyId: base.kmsKeyId,
        }),
      );
    }
    const probe = await rds.send(new DescribeExportTasksCommand({ MaxRecords: 20 }));
    if ((probe.ExportTasks?.length ?? 0) > 20 || !probe.Marker) {
      skip(
        `moto does not page DescribeExportTasks: MaxRecords 20 answered ${probe.ExportTasks?.length} tasks and ` +
          `Marker ${JSON.stringify(probe.Marker)}`,
      );
    }

    // Act
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeExportTasks({ client: rds, pageSize: 20 }, {})) {
      pages += 1;
      expect(page.ExportTasks?.length ?? 0).toBeLessThanOrEqual(20);
      seen.push(...(page.ExportTasks ?? []).map((task) => task.ExportTaskIdentifier!));
    }

    // Assess
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(seen.filter((id) => ids.includes(id)).sort()).toEqual(ids);
  });
});
