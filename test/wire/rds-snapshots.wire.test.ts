/**
 * RdsSnapshots (the trigger's and planner's RDS adapter) against moto: real SDK serialisation, real
 * XML answers, real error codes; then both Lambdas end to end on moto's RDS and Step Functions.
 *
 * What moto 5.x does (verified while writing these tests, and asserted below where it matters):
 * - DescribeDBSnapshots / DescribeDBClusterSnapshots find a snapshot by identifier, and answer an
 *   ARN given as DBSnapshotIdentifier with 404 DBSnapshotNotFound (so the adapter looks up by
 *   identifier and checks the ARN it gets back).
 * - An automated snapshot (`rds:<db>-<date>`) is created with the instance or cluster; it is found by
 *   identifier with SnapshotType "automated" (and without), a manual one is not found with "automated".
 * - Listing by DBInstanceIdentifier / DBClusterIdentifier of an unknown DB answers an empty list,
 *   not DBInstanceNotFound; DescribeDBClusters of an unknown cluster answers 404 DBClusterNotFoundFault.
 * - Neither DescribeDBSnapshots nor DescribeExportTasks pages (MaxRecords and Marker are ignored),
 *   and DescribeExportTasks ignores Filters: paging is proven in test/handlers with mocked pages.
 * - Step Functions: StartExecution with an existing name and the same input, while that execution
 *   runs, answers 200 with the same execution (as AWS documents for Standard workflows); only a
 *   different input answers ExecutionAlreadyExists.
 */
import {
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  StartExportTaskCommand,
} from '@aws-sdk/client-rds';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeHandler as makePlanner, type PlanSummary } from '../../functions/plan-exports/app.ts';
import { makeHandler as makeTrigger } from '../../functions/snapshot-trigger/app.ts';
import { RdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { StepFunctions } from '../../shared/workflow/step-functions.ts';
import { parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { executionName } from '../../shared/triggers/selection.ts';
import { pickLatestAvailable } from '../../shared/triggers/schedules.ts';
import type { RdsEvent, TriggerResult } from '../../shared/triggers/snapshot-events.ts';
import { lambdaContext } from '../support/lambda.ts';

const endpoint = inject('motoEndpoint');

/** moto keeps its state for the whole run (and longer, with MOTO_ENDPOINT): every name carries this. */
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

const context = lambdaContext('export-orchestrator-wire');

describe.skipIf(!endpoint)('RdsSnapshots against moto (wire)', () => {
  const clientConfig = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
  let rds: RDSClient;
  let sfn: SFNClient;
  let adapter: RdsSnapshots;
  const instanceId = `wire-snap-db-${run}`;
  const clusterId = `wire-snap-cluster-${run}`;

  beforeAll(async () => {
    rds = new RDSClient(clientConfig);
    sfn = new SFNClient(clientConfig);
    adapter = new RdsSnapshots(rds);
    await createInstance(instanceId);
    await rds.send(
      new CreateDBClusterCommand({ DBClusterIdentifier: clusterId, Engine: 'aurora-postgresql', MasterUsername: 'wireadmin', MasterUserPassword: 'wire-password-1' }),
    );
  });

  afterAll(() => {
    rds?.destroy();
    sfn?.destroy();
  });

  async function createInstance(id: string): Promise<void> {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'wireadmin',
        MasterUserPassword: 'wire-password-1',
        AllocatedStorage: 20,
        BackupRetentionPeriod: 1,
      }),
    );
  }

  async function manualSnapshot(db: string, label: string): Promise<string> {
    const { DBSnapshot } = await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: `${label}-${run}` }));
    return DBSnapshot!.DBSnapshotArn!;
  }

  async function automatedSnapshotOf(db: string): Promise<string> {
    const { DBSnapshots = [] } = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: db, SnapshotType: 'automated' }));
    expect(DBSnapshots.length, 'moto creates an automated snapshot with the instance').toBeGreaterThan(0);
    return DBSnapshots[0]!.DBSnapshotArn!;
  }

  async function startExportOf(sourceArn: string, exportId: string): Promise<void> {
    await rds.send(
      new StartExportTaskCommand({
        ExportTaskIdentifier: exportId,
        SourceArn: sourceArn,
        S3BucketName: 'wire-export-bucket',
        IamRoleArn: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
        KmsKeyId: 'alias/rds-export',
      }),
    );
  }

  async function stateMachine(label: string): Promise<string> {
    // Waits an hour: the execution stays RUNNING for the whole test.
    const definition = JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } } });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: `${label}-${run}`, definition, roleArn: `arn:aws:iam::${ACCOUNT}:role/export-orchestrator-sfn` }),
    );
    return stateMachineArn!;
  }

  async function executionsOf(stateMachineArn: string): Promise<string[]> {
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    return executions.map((execution) => execution.name!);
  }

  it('describes a manual DB snapshot by its ARN: instance, type, status, creation time', async () => {
    // Prepare
    const arn = await manualSnapshot(instanceId, 'describe');

    // Act
    const found = await adapter.describe(arn);

    // Assess
    expect(found).toEqual({ arn, sourceId: instanceId, type: 'manual', status: 'available', createdAt: expect.any(Date) });
  });

  it('describes an automated DB snapshot (its lookup needs SnapshotType "automated")', async () => {
    // Prepare
    const arn = await automatedSnapshotOf(instanceId);
    const name = parseSourceArn(arn)!.name;

    // Act
    const found = await adapter.describe(arn);

    // Assess
    expect(name.startsWith('rds:')).toBe(true);
    expect(found).toMatchObject({ arn, sourceId: instanceId, type: 'automated', status: 'available' });
    // ...and the type must be the right one: a manual snapshot looked up as automated is not found.
    const manualArn = await manualSnapshot(instanceId, 'typed');
    await expect(
      rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: parseSourceArn(manualArn)!.name, SnapshotType: 'automated' })),
    ).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
  });

  it('answers undefined for a snapshot RDS does not know (moto: 404 DBSnapshotNotFound)', async () => {
    // Act
    const found = await adapter.describe(`arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:missing-${run}`);

    // Assess
    expect(found).toBeUndefined();
  });

  it("answers undefined for another region's ARN even though a snapshot of that name exists here", async () => {
    // Prepare
    const arn = await manualSnapshot(instanceId, 'region');

    // Act
    const found = await adapter.describe(arn.replace(`:${REGION}:`, ':eu-west-1:'));

    // Assess
    expect(found).toBeUndefined();
  });

  it('describes manual and automated DB cluster snapshots with the cluster identifier', async () => {
    // Prepare
    const { DBClusterSnapshot } = await rds.send(
      new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: clusterId, DBClusterSnapshotIdentifier: `cluster-describe-${run}` }),
    );
    const manualArn = DBClusterSnapshot!.DBClusterSnapshotArn!;
    const { DBClusterSnapshots = [] } = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: clusterId, SnapshotType: 'automated' }));
    const automatedArn = DBClusterSnapshots[0]!.DBClusterSnapshotArn!;

    // Act
    const manual = await adapter.describe(manualArn);
    const automated = await adapter.describe(automatedArn);
    const missing = await adapter.describe(`arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:missing-${run}`);

    // Assess
    expect(manual).toEqual({ arn: manualArn, sourceId: clusterId, type: 'manual', status: 'available', createdAt: expect.any(Date) });
    expect(automated).toMatchObject({ arn: automatedArn, sourceId: clusterId, type: 'automated' });
    expect(missing).toBeUndefined();
  });

  it('lists every snapshot of an instance, more than a page of them, manual and automated, and the latest is the last one made', async () => {
    // Prepare: 21 manual snapshots (more than the smallest page, 20) besides the automated one
    const db = `wire-many-${run}`;
    await createInstance(db);
    const made: string[] = [];
    for (let i = 0; i < 21; i++) made.push(await manualSnapshot(db, `many-${String(i).padStart(2, '0')}`));

    // Act
    const snapshots = await adapter.snapshotsOf({ db: 'instance', identifier: db });

    // Assess
    expect(snapshots).toBeDefined();
    expect(snapshots!.filter((s) => s.type === 'manual').map((s) => s.arn).sort()).toEqual([...made].sort());
    expect(snapshots!.filter((s) => s.type === 'automated')).toHaveLength(1);
    expect(snapshots!.every((s) => s.sourceId === db)).toBe(true);
    expect(pickLatestAvailable(snapshots!)?.arn).toBe(made.at(-1));
  });

  it("lists a cluster's snapshots; an unknown DB has none (moto answers an empty list)", async () => {
    // Act
    const ofCluster = await adapter.snapshotsOf({ db: 'cluster', identifier: clusterId });
    const ofUnknown = await adapter.snapshotsOf({ db: 'instance', identifier: `unknown-${run}` });

    // Assess
    expect(ofCluster!.length).toBeGreaterThan(0);
    expect(ofCluster!.every((s) => s.sourceId === clusterId && s.arn.includes(':cluster-snapshot:'))).toBe(true);
    expect(ofUnknown).toEqual([]);
  });

  it('finds a cluster ARN by identifier; an unknown cluster is undefined (moto: DBClusterNotFoundFault)', async () => {
    // Act
    const arn = await adapter.clusterArn(clusterId);
    const unknown = await adapter.clusterArn(`unknown-${run}`);

    // Assess
    expect(arn).toBe(`arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${clusterId}`);
    expect(unknown).toBeUndefined();
  });

  it("lists a snapshot's export tasks, in moto's lowercase status, and none of another source's (moto ignores the filters)", async () => {
    // Prepare
    const exported = await manualSnapshot(instanceId, 'exported');
    const untouched = await manualSnapshot(instanceId, 'untouched');
    await startExportOf(exported, `wire-exp-${run}`);

    // Act
    const ofExported = await adapter.exportsOf(exported);
    const ofUntouched = await adapter.exportsOf(untouched);

    // Assess
    expect(ofExported).toEqual([{ exportId: `wire-exp-${run}`, status: 'complete' }]);
    expect(ofUntouched).toEqual([]);
  });

  it('trigger end to end: a snapshot event starts one execution; the redelivered event gets the same one back', async () => {
    // Prepare
    const stateMachineArn = await stateMachine('trigger');
    const arn = await manualSnapshot(instanceId, 'event');
    const handler = makeTrigger({
      catalog: adapter,
      starter: new StepFunctions(sfn, stateMachineArn),
      settings: { selection: { include: ['wire-snap-*'], exclude: [], types: ['manual', 'automated'] }, backupEvents: false },
      clock: () => new Date(),
    });
    const event: RdsEvent = {
      version: '0',
      id: 'wire-event',
      'detail-type': 'RDS DB Snapshot Event',
      source: 'aws.rds',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [arn],
      detail: { EventCategories: ['creation'], SourceType: 'SNAPSHOT', SourceArn: arn, SourceIdentifier: `event-${run}`, Message: 'Manual snapshot created', EventID: 'RDS-EVENT-0042' },
    };

    // Act
    const first = (await handler(event, context)) as TriggerResult;
    const redelivered = (await handler(event, context)) as TriggerResult;

    // Assess
    const name = executionName(parseSourceArn(arn)!, new Date());
    expect(first).toMatchObject({ outcome: 'started', executionName: name });
    // Same name and input while running: Step Functions answers with the same execution, no second one.
    expect(redelivered).toMatchObject({ outcome: 'started', executionName: name, executionArn: (first as { executionArn: string }).executionArn });
    expect(await executionsOf(stateMachineArn)).toEqual([name]);
  });

  it('planner end to end: starts the latest snapshot of an instance, then reports it exported once an export of it completed', async () => {
    // Prepare
    const stateMachineArn = await stateMachine('planner');
    const db = `wire-plan-${run}`;
    await createInstance(db);
    await manualSnapshot(db, 'plan-old');
    const latest = await manualSnapshot(db, 'plan-new');
    const handler = makePlanner({
      catalog: adapter,
      exports: adapter,
      starter: new StepFunctions(sfn, stateMachineArn),
      sources: [
        { resource: 'instance', identifier: db, mode: 'snapshot' },
        { resource: 'cluster', identifier: `unknown-${run}`, mode: 'live' },
      ],
      clock: () => new Date(),
    });

    // Act
    const first = (await handler({ time: new Date().toISOString() }, context)) as PlanSummary;
    await startExportOf(latest, executionName(parseSourceArn(latest)!, new Date()));
    const second = (await handler({ time: new Date().toISOString() }, context)) as PlanSummary;

    // Assess
    expect(first.plans.map((plan) => [plan.outcome, plan.sourceArn])).toEqual([
      ['started', latest],
      ['not-found', undefined],
    ]);
    expect(second.plans[0]).toMatchObject({ outcome: 'already-exported', sourceArn: latest });
    expect(await executionsOf(stateMachineArn)).toEqual([executionName(parseSourceArn(latest)!, new Date())]);
  });
});
