import {
  DBClusterNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  RDSClient,
  type DBSnapshot,
  type ExportTask,
} from '@aws-sdk/client-rds';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler, type PlanSummary } from '../../functions/plan-exports/app.ts';
import { RdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { StepFunctions } from '../../shared/workflow/step-functions.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { executionName } from '../../shared/triggers/selection.ts';
import { ScheduledExportsFailed, type ScheduledSource } from '../../shared/triggers/schedules.ts';
import { lambdaContext } from '../support/lambda.ts';

// The real adapters (RdsSnapshots, StepFunctions) over SDK clients whose send() is mocked.

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:export`;
const SCHEDULED_AT = '2026-11-23T04:00:00Z';
const snapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${name}`;
const clusterArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${name}`;

const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);

const context = lambdaContext('export-orchestrator-test-plan-exports', { region: REGION });

/** What an EventBridge schedule delivers; only `time` is read. */
const scheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: SCHEDULED_AT,
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/export-orchestrator-schedule`],
  detail: {},
};

function planner(sources: ScheduledSource[]) {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const rds = new RdsSnapshots(new RDSClient({ region: REGION, credentials }));
  const handler = makeHandler({
    catalog: rds,
    exports: rds,
    starter: new StepFunctions(new SFNClient({ region: REGION, credentials }), STATE_MACHINE),
    sources,
    clock: () => new Date('2026-11-23T04:00:42Z'),
  });
  return (event: unknown = scheduledEvent) => handler(event, context) as Promise<PlanSummary>;
}

const PROD_DB: ScheduledSource = { resource: 'instance', identifier: 'prod-db', mode: 'snapshot' };

function dbSnapshot(name: string, createdAt: string, overrides: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotArn: snapshotArn(name),
    DBSnapshotIdentifier: name,
    DBInstanceIdentifier: 'prod-db',
    SnapshotType: name.startsWith('rds:') ? 'automated' : 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date(createdAt),
    ...overrides,
  };
}

function exportTask(id: string, sourceArn: string, status: string): ExportTask {
  return { ExportTaskIdentifier: id, SourceArn: sourceArn, Status: status, SourceType: 'SNAPSHOT' };
}

/** Requests as sent: the SDK paginator reuses one input object, so commandCalls() shows only its last state. */
const sent: Record<string, unknown[]> = {};
const record = <T extends object>(operation: string, input: T): T => ((sent[operation] ??= []).push({ ...input }), input);

/** Two pages of snapshots; the newest available one is on the second page, behind one still being created. */
const LATEST = 'rds:prod-db-2026-11-23-03-10';
function snapshotsOnTwoPages(): void {
  rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input) =>
    record('DescribeDBSnapshots', input).Marker === 'snapshots-page-2'
      ? { DBSnapshots: [dbSnapshot(LATEST, '2026-11-23T03:10:00Z'), dbSnapshot('prod-db-creating', '2026-11-23T03:55:00Z', { Status: 'creating' })] }
      : { DBSnapshots: [dbSnapshot('rds:prod-db-2026-11-21-03-10', '2026-11-21T03:10:00Z'), dbSnapshot('before-migration', '2026-11-22T12:00:00Z')], Marker: 'snapshots-page-2' },
  );
}

/** Two pages of export tasks; `onPageTwo` are the tasks of the second page. */
function exportTasksOnTwoPages(onPageTwo: ExportTask[]): void {
  rdsMock.on(DescribeExportTasksCommand).callsFake((input) =>
    record('DescribeExportTasks', input).Marker === 'exports-page-2'
      ? { ExportTasks: onPageTwo }
      : { ExportTasks: [exportTask('older-export', snapshotArn('before-migration'), 'COMPLETE')], Marker: 'exports-page-2' },
  );
}

const nameOf = (arn: string, at = SCHEDULED_AT) => executionName(parseSourceArn(arn)!, new Date(at));
const startCalls = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

describe('plan-exports handler', () => {
  beforeEach(() => {
    for (const operation of Object.keys(sent)) delete sent[operation];
    rdsMock.reset();
    sfnMock.reset();
    sfnMock.on(StartExecutionCommand).callsFake((input) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
  });
  afterEach(() => vi.restoreAllMocks());

  it('reads every page of snapshots and of export tasks, and starts the latest available snapshot across pages', async () => {
    // Prepare: the older manual snapshot was exported (page 1), the latest only failed once (page 2)
    snapshotsOnTwoPages();
    exportTasksOnTwoPages([exportTask('failed-once', snapshotArn(LATEST), 'FAILED')]);

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(sent.DescribeDBSnapshots).toEqual([
      { DBInstanceIdentifier: 'prod-db', MaxRecords: 100 },
      { DBInstanceIdentifier: 'prod-db', MaxRecords: 100, Marker: 'snapshots-page-2' },
    ]);
    expect(sent.DescribeExportTasks).toEqual([
      {
        Filters: [
          { Name: 'source-arn', Values: [snapshotArn(LATEST)] },
          { Name: 'status', Values: ['starting', 'in_progress', 'complete'] },
        ],
        MaxRecords: 100,
      },
      expect.objectContaining({ Marker: 'exports-page-2' }),
    ]);
    expect(plans).toEqual([
      expect.objectContaining({ source: 'DB instance prod-db', outcome: 'started', sourceArn: snapshotArn(LATEST), executionName: nameOf(snapshotArn(LATEST)) }),
    ]);
    expect(startCalls()).toEqual([{ stateMachineArn: STATE_MACHINE, name: nameOf(snapshotArn(LATEST)), input: JSON.stringify({ sourceArn: snapshotArn(LATEST) }) }]);
  });

  it('skips the latest snapshot when an export of it is complete, read from the second page in uppercase', async () => {
    // Prepare
    snapshotsOnTwoPages();
    exportTasksOnTwoPages([exportTask('done', snapshotArn(LATEST), 'COMPLETE')]);

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(plans).toEqual([expect.objectContaining({ outcome: 'already-exported', sourceArn: snapshotArn(LATEST) })]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('skips the latest snapshot while an export of it is in progress (status in lowercase, as emulators answer)', async () => {
    // Prepare
    snapshotsOnTwoPages();
    exportTasksOnTwoPages([exportTask('running', snapshotArn(LATEST), 'in_progress')]);

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(plans).toEqual([expect.objectContaining({ outcome: 'already-running' })]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('does not count another source\'s export, even when the service ignores the source-arn filter', async () => {
    // Prepare
    snapshotsOnTwoPages();
    exportTasksOnTwoPages([exportTask('other', snapshotArn('someone-else'), 'COMPLETE')]);

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(plans[0]!.outcome).toBe('started');
  });

  it('a snapshot already started by its event meets ExecutionAlreadyExists: reported, not an error', async () => {
    // Prepare
    snapshotsOnTwoPages();
    exportTasksOnTwoPages([]);
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(plans).toEqual([expect.objectContaining({ outcome: 'execution-exists', executionName: nameOf(snapshotArn(LATEST)) })]);
  });

  it('reports no-snapshot for a DB without an available snapshot', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot('prod-db-creating', '2026-11-23T03:55:00Z', { Status: 'creating' })] });

    // Act
    const { plans } = await planner([PROD_DB])();

    // Assess
    expect(plans).toEqual([expect.objectContaining({ outcome: 'no-snapshot' })]);
    expect(rdsMock.commandCalls(DescribeExportTasksCommand)).toHaveLength(0);
  });

  it('plans a cluster in snapshot mode from DescribeDBClusterSnapshots', async () => {
    // Prepare
    const arn = `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:rds:prod-aurora-2026-11-23-03-10`;
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotArn: arn, DBClusterIdentifier: 'prod-aurora', SnapshotType: 'automated', Status: 'available', SnapshotCreateTime: new Date('2026-11-23T03:10:00Z') },
      ],
    });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });

    // Act
    const { plans } = await planner([{ resource: 'cluster', identifier: 'prod-aurora', mode: 'snapshot' }])();

    // Assess
    expect(rdsMock.commandCalls(DescribeDBClusterSnapshotsCommand)[0]!.args[0].input).toMatchObject({ DBClusterIdentifier: 'prod-aurora' });
    expect(plans).toEqual([expect.objectContaining({ outcome: 'started', sourceArn: arn, executionName: nameOf(arn) })]);
  });

  describe('live cluster mode', () => {
    const LIVE: ScheduledSource = { resource: 'cluster', identifier: 'prod-aurora', mode: 'live' };

    beforeEach(() => {
      rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'prod-aurora', DBClusterArn: clusterArn('prod-aurora'), Status: 'available' }] });
      rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [exportTask('yesterday', clusterArn('prod-aurora'), 'COMPLETE')] });
    });

    it('starts an execution for the cluster ARN, named with the scheduled minute (a past complete export is no reason to skip)', async () => {
      // Act
      const { plans } = await planner([LIVE])();

      // Assess
      expect(rdsMock.commandCalls(DescribeDBClustersCommand)[0]!.args[0].input).toEqual({ DBClusterIdentifier: 'prod-aurora' });
      expect(plans).toEqual([expect.objectContaining({ source: 'DB cluster prod-aurora (live)', outcome: 'started', sourceArn: clusterArn('prod-aurora') })]);
      expect(startCalls()).toEqual([{ stateMachineArn: STATE_MACHINE, name: nameOf(clusterArn('prod-aurora')), input: JSON.stringify({ sourceArn: clusterArn('prod-aurora') }) }]);
      expect(nameOf(clusterArn('prod-aurora'))).toContain('20261123t0400');
    });

    it('a second run in the same minute (a Lambda retry of the same scheduled event) asks for the same name and gets no second execution', async () => {
      // Prepare
      sfnMock
        .on(StartExecutionCommand)
        .resolvesOnce({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:export:live', startDate: new Date() })
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
      const handle = planner([LIVE]);

      // Act
      const first = await handle();
      const retry = await handle({ ...scheduledEvent });

      // Assess
      expect(first.plans[0]!.outcome).toBe('started');
      expect(retry.plans[0]!.outcome).toBe('execution-exists');
      expect(new Set(startCalls().map((input) => input.name)).size).toBe(1);
    });

    it('skips while an export of the cluster is still running: RDS runs one per source', async () => {
      // Prepare
      rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [exportTask('live-export', clusterArn('prod-aurora'), 'STARTING')] });

      // Act
      const { plans } = await planner([LIVE])();

      // Assess
      expect(plans).toEqual([expect.objectContaining({ outcome: 'already-running' })]);
      expect(sfnMock.calls()).toHaveLength(0);
    });

    it('reports not-found for a cluster RDS does not know, without failing the run', async () => {
      // Prepare
      rdsMock.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster prod-aurora not found.', $metadata: { httpStatusCode: 404 } }));
      const warn = vi.spyOn(logger, 'warn');

      // Act
      const { plans } = await planner([LIVE])();

      // Assess
      expect(plans).toEqual([expect.objectContaining({ outcome: 'not-found' })]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('not found'), expect.anything());
    });
  });

  it('one failing source does not stop the others: they are planned, then one error names the failure', async () => {
    // Prepare: the first source is throttled, the two others work
    rdsMock.on(DescribeDBSnapshotsCommand).callsFake((input) => {
      if (input.DBInstanceIdentifier === 'broken-db') throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      return { DBSnapshots: [dbSnapshot(LATEST, '2026-11-23T03:10:00Z')] };
    });
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'prod-aurora', DBClusterArn: clusterArn('prod-aurora') }] });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
    const warn = vi.spyOn(logger, 'warn');
    const handle = planner([
      { resource: 'instance', identifier: 'broken-db', mode: 'snapshot' },
      { resource: 'cluster', identifier: 'prod-aurora', mode: 'live' },
      PROD_DB,
    ]);

    // Act
    const error = await handle().then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ScheduledExportsFailed);
    const failed = error as ScheduledExportsFailed;
    expect(failed.name).toBe('ScheduledExportsFailed');
    expect(failed.message).toMatch(/^1 scheduled source\(s\) failed: DB instance broken-db: TransientAwsError: DescribeDBSnapshots failed: Throttling/);
    expect(failed.failures).toEqual([expect.objectContaining({ source: 'DB instance broken-db', outcome: 'failed', error: expect.objectContaining({ name: 'TransientAwsError' }) })]);
    expect(startCalls().map((input) => JSON.parse(input.input!).sourceArn)).toEqual([clusterArn('prod-aurora'), snapshotArn(LATEST)]);
    expect(warn).toHaveBeenCalledWith('DB instance broken-db: failed', expect.objectContaining({ outcome: 'failed' }));
  });

  it('without a scheduled time in the event (a manual invoke), names a live run by the clock', async () => {
    // Prepare
    rdsMock.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'prod-aurora', DBClusterArn: clusterArn('prod-aurora') }] });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });

    // Act
    const { plans } = await planner([{ resource: 'cluster', identifier: 'prod-aurora', mode: 'live' }])({});

    // Assess
    expect(plans[0]!.executionName).toBe(nameOf(clusterArn('prod-aurora'), '2026-11-23T04:00:42Z'));
  });
});
