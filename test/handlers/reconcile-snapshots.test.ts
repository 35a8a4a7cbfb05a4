import { placeKey, placeOfArn } from '../../shared/accounts/place.ts';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand, DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/reconcile-snapshots/app.ts';
import { DynamoCoordinationStore } from '../../shared/slots/dynamodb-store.ts';
import { RdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { StepFunctions } from '../../shared/workflow/step-functions.ts';
import { ReconciliationFailed } from '../../shared/runtime/errors.ts';
import { exportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import type { SweepReport } from '../../shared/triggers/sweep.ts';
import { executionName } from '../../shared/triggers/selection.ts';
import { ACCOUNT, CLIENT_CONFIG, REGION } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';

// The real adapters (RdsSnapshots, DynamoCoordinationStore, StepFunctions) over SDK clients whose send() is mocked.

const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:export`;
const NOW = new Date('2026-11-23T12:00:00Z');
const snapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${name}`;
const clusterSnapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${name}`;
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3600_000);

const TABLE = 'coordination';
const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBClient);

function sweep() {
  const rds = new RdsSnapshots(new RDSClient(CLIENT_CONFIG));
  const handler = makeHandler({
    places: { served: [{ account: ACCOUNT, region: REGION }], listingsOf: () => rds },
    inFlight: new DynamoCoordinationStore(new DynamoDBClient(CLIENT_CONFIG), TABLE),
    starter: new StepFunctions(new SFNClient(CLIENT_CONFIG), STATE_MACHINE),
    settings: { selection: { include: ['prod-*'], exclude: [], types: ['manual', 'automated'] }, lookbackSeconds: 24 * 3600 },
    clock: () => NOW,
  });
  return (event: unknown = { time: NOW.toISOString() }) => handler(event, lambdaContext('reconcile-snapshots')) as Promise<SweepReport>;
}

const dbSnapshot = (name: string, created: Date, instance = 'prod-db') => ({
  DBSnapshotArn: snapshotArn(name),
  DBSnapshotIdentifier: name,
  DBInstanceIdentifier: instance,
  SnapshotType: name.startsWith('rds:') ? 'automated' : 'manual',
  Status: 'available',
  SnapshotCreateTime: created,
});

describe('reconcile-snapshots handler', () => {
  beforeEach(() => {
    rdsMock.reset();
    sfnMock.reset();
    dynamoMock.reset();
    dynamoMock.on(QueryCommand).resolves({ Items: [] });
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [] });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
    sfnMock.on(StartExecutionCommand).callsFake((input) => ({ executionArn: `${STATE_MACHINE}:${input.name}`, startDate: new Date() }));
  });

  it('lists every page of DB and cluster snapshots and starts the selected ones with no export task', async () => {
    // Prepare: two pages of DB snapshots, one cluster snapshot; one DB snapshot already exported.
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [dbSnapshot('rds:prod-db-a', hoursAgo(2)), dbSnapshot('rds:dev-db-a', hoursAgo(2), 'dev-db')], Marker: 'page-2' })
      .resolvesOnce({ DBSnapshots: [dbSnapshot('rds:prod-db-b', hoursAgo(3)), dbSnapshot('rds:prod-db-old', hoursAgo(30))] });
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotArn: clusterSnapshotArn('rds:prod-aurora-a'), DBClusterIdentifier: 'prod-aurora', SnapshotType: 'automated', Status: 'available', SnapshotCreateTime: hoursAgo(1) },
      ],
    });
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ ExportTaskIdentifier: 'x', SourceArn: snapshotArn('rds:prod-db-b'), Status: 'COMPLETE' }] });

    // Act
    const report = await sweep()();

    // Assess
    // (The paginator reuses one input object, so only the last Marker can be read back.)
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(2);
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)[1]!.args[0].input.Marker).toBe('page-2');
    const started = sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    expect(started).toEqual([
      { stateMachineArn: STATE_MACHINE, name: executionName(parseSourceArn(snapshotArn('rds:prod-db-a'))!, NOW), input: JSON.stringify({ sourceArn: snapshotArn('rds:prod-db-a') }) },
      { stateMachineArn: STATE_MACHINE, name: executionName(parseSourceArn(clusterSnapshotArn('rds:prod-aurora-a'))!, NOW), input: JSON.stringify({ sourceArn: clusterSnapshotArn('rds:prod-aurora-a') }) },
    ]);
    expect(report).toMatchObject({ listed: 4, selected: 3, exported: 1 });
  });

  it('counts an execution that exists (queued for a slot) as found, not started', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot('rds:prod-db-a', hoursAgo(2))] });
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: hoursAgo(1) });

    // Act
    const report = await sweep()();

    // Assess
    expect(report.entries).toEqual([expect.objectContaining({ outcome: 'execution-exists' })]);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('starts the second attempt of a snapshot whose execution failed through an outage (TransientAwsError) and exported nothing', async () => {
    // Prepare: the first attempt's name is taken by an execution that FAILED with TransientAwsError; no export task.
    const arn = snapshotArn('rds:prod-db-a');
    const attempt = (n: number) => exportIdentifier(parseSourceArn(arn)!, NOW, n);
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot('rds:prod-db-a', hoursAgo(9))] });
    sfnMock.on(StartExecutionCommand, { name: attempt(1) }).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand, { executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:export:${attempt(1)}` }).resolves({ status: 'FAILED', error: 'TransientAwsError', startDate: hoursAgo(9) });

    // Act
    const report = await sweep()();

    // Assess
    expect(report.entries).toEqual([{ sourceArn: arn, outcome: 'started-again', executionName: attempt(2) }]);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, name: attempt(1), input: JSON.stringify({ sourceArn: arn }) },
      { stateMachineArn: STATE_MACHINE, name: attempt(2), input: JSON.stringify({ sourceArn: arn, attempt: 2 }) },
    ]);
  });

  it('skips the snapshots whose execution is queued or holds a slot (the queue read key-only from the window on, page by page) and starts the others', async () => {
    // Prepare: three snapshots; the queue (two pages) holds one's execution, a lease another's.
    const [queued, leased, lost] = ['rds:prod-db-queued', 'rds:prod-db-leased', 'rds:prod-db-lost'];
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [queued, leased, lost].map((name) => dbSnapshot(name, hoursAgo(5))) });
    const nameOf = (name: string) => executionName(parseSourceArn(snapshotArn(name))!, NOW);
    // The queue and leases of the snapshots' place (account and region).
    const place = placeKey(placeOfArn(snapshotArn(queued))!);
    const queueKey = (at: Date, name: string) => ({ pk: { S: `QUEUE#${place}` }, sk: { S: `${at.toISOString()}#${name}` } });
    dynamoMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: `QUEUE#${place}` }, ':from': { S: new Date(NOW.getTime() - 24 * 3600_000 - 5 * 60_000).toISOString() } } })
      .resolvesOnce({ Items: [queueKey(hoursAgo(20), 'an-older-execution')], LastEvaluatedKey: queueKey(hoursAgo(20), 'an-older-execution') })
      .resolvesOnce({ Items: [queueKey(hoursAgo(5), nameOf(queued))] });
    dynamoMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: `LEASE#${place}` } } }).resolves({
      Items: [{ pk: { S: `LEASE#${place}` }, sk: { S: 'x' }, data: { S: JSON.stringify({ exportId: 'x', sourceArn: snapshotArn(leased), expiresAt: NOW.toISOString() }) } }],
    });

    // Act
    const report = await sweep()();

    // Assess
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([nameOf(lost)]);
    expect(report).toMatchObject({ selected: 3, inFlight: 2, exported: 0 });
    const queueReads = dynamoMock.commandCalls(QueryCommand).map((call) => call.args[0].input).filter((input) => input.ExpressionAttributeValues?.[':pk']?.S === `QUEUE#${place}`);
    expect(queueReads).toHaveLength(2);
    expect(queueReads[0]).toMatchObject({ TableName: TABLE, KeyConditionExpression: 'pk = :pk AND sk >= :from', ProjectionExpression: 'sk', ConsistentRead: false });
  });

  it('reads nothing of the table when no snapshot of the window is selected', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot('rds:dev-db-a', hoursAgo(2), 'dev-db'), dbSnapshot('rds:prod-db-old', hoursAgo(30))] });

    // Act
    const report = await sweep()();

    // Assess
    expect(dynamoMock.commandCalls(QueryCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(DescribeExportTasksCommand)).toHaveLength(0);
    expect(report).toMatchObject({ listed: 1, selected: 0, entries: [] });
  });

  it('fails with ReconciliationFailed after trying every snapshot when Step Functions throttles a start', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot('rds:prod-db-a', hoursAgo(2)), dbSnapshot('rds:prod-db-b', hoursAgo(1))] });
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .callsFake((input) => ({ executionArn: `${STATE_MACHINE}:${input.name}`, startDate: new Date() }));

    // Act
    const outcome = sweep()();

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ReconciliationFailed);
    await expect(outcome).rejects.toThrow(/1 missing snapshot\(s\) could not be started: .*prod-db-a: TransientAwsError/);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });

  it('fails with ReconciliationFailed (Lambda retries it) naming the place and the TransientAwsError when RDS throttles the listing', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    // Act
    const outcome = sweep()();

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ReconciliationFailed);
    await expect(outcome).rejects.toThrow(`1 place(s) could not be swept: ${ACCOUNT}/${REGION}: TransientAwsError`);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
