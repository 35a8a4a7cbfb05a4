import {
  DBSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DBClusterSnapshot,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/snapshot-trigger/app.ts';
import { RdsSnapshots } from '../../shared/triggers/rds-snapshots.ts';
import { StepFunctions } from '../../shared/workflow/step-functions.ts';
import { TransientAwsError } from '../../shared/runtime/errors.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { executionName } from '../../shared/triggers/selection.ts';
import type { RdsEvent, TriggerResult, TriggerSettings } from '../../shared/triggers/snapshot-events.ts';
import { lambdaContext } from '../support/lambda.ts';
import { snapshotEvent } from '../support/rds-events.ts';

// The real adapters (RdsSnapshots, StepFunctions) over SDK clients whose send() is mocked.

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:export`;
const EVENT_TIME = '2026-11-23T03:14:07Z';
const snapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${name}`;
const clusterSnapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${name}`;

const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);

const context = lambdaContext('export-orchestrator-test-snapshot-trigger', { region: REGION });

const DEFAULTS: TriggerSettings = { selection: { include: ['*'], exclude: [], types: ['manual', 'automated'] }, backupEvents: false };

function trigger(settings: TriggerSettings = DEFAULTS) {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const handler = makeHandler({
    catalog: new RdsSnapshots(new RDSClient({ region: REGION, credentials })),
    starter: new StepFunctions(new SFNClient({ region: REGION, credentials }), STATE_MACHINE),
    settings,
    clock: () => new Date('2026-11-23T03:15:00Z'),
  });
  return (event: RdsEvent) => handler(event, context) as Promise<TriggerResult>;
}


function dbSnapshot(arn: string, overrides: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotArn: arn,
    DBSnapshotIdentifier: parseSourceArn(arn)!.name,
    DBInstanceIdentifier: 'prod-db',
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-23T03:10:00Z'),
    ...overrides,
  };
}

function clusterSnapshot(arn: string, overrides: Partial<DBClusterSnapshot> = {}): DBClusterSnapshot {
  return {
    DBClusterSnapshotArn: arn,
    DBClusterSnapshotIdentifier: parseSourceArn(arn)!.name,
    DBClusterIdentifier: 'prod-aurora',
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: new Date('2026-11-23T03:10:00Z'),
    ...overrides,
  };
}

const nameOf = (arn: string) => executionName(parseSourceArn(arn)!, new Date(EVENT_TIME));
const startCalls = () => sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);

describe('snapshot-trigger handler', () => {
  beforeEach(() => {
    rdsMock.reset();
    sfnMock.reset();
    sfnMock.on(StartExecutionCommand).callsFake((input) => ({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date() }));
  });
  afterEach(() => vi.restoreAllMocks());

  it('starts one execution for a new manual snapshot: named by the snapshot, input { sourceArn }', async () => {
    // Prepare
    const arn = snapshotArn('orders-before-migration');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn)] });

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0042', arn));

    // Assess
    expect(result).toMatchObject({ outcome: 'started', sourceArn: arn, executionName: nameOf(arn) });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((call) => call.args[0].input)).toEqual([
      { DBSnapshotIdentifier: 'orders-before-migration', SnapshotType: undefined },
    ]);
    expect(startCalls()).toEqual([{ stateMachineArn: STATE_MACHINE, name: nameOf(arn), input: JSON.stringify({ sourceArn: arn }) }]);
  });

  it('looks up an automated snapshot (RDS-EVENT-0091) with SnapshotType "automated", which RDS requires for it', async () => {
    // Prepare
    const arn = snapshotArn('rds:prod-db-2026-11-23-03-10');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn, { SnapshotType: 'automated' })] });

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0091', arn));

    // Assess
    expect(result.outcome).toBe('started');
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)[0]!.args[0].input).toEqual({ DBSnapshotIdentifier: 'rds:prod-db-2026-11-23-03-10', SnapshotType: 'automated' });
  });

  it.each([
    ['RDS-EVENT-0075', 'aurora-before-upgrade', 'manual'],
    ['RDS-EVENT-0169', 'rds:prod-aurora-2026-11-23-03-10', 'automated'],
  ])('starts an export of a DB cluster snapshot (%s) found with DescribeDBClusterSnapshots', async (eventId, name, type) => {
    // Prepare
    const arn = clusterSnapshotArn(name);
    rdsMock.on(DescribeDBClusterSnapshotsCommand).resolves({ DBClusterSnapshots: [clusterSnapshot(arn, { SnapshotType: type })] });

    // Act
    const result = await trigger({ ...DEFAULTS, selection: { ...DEFAULTS.selection, include: ['prod-aurora'] } })(snapshotEvent(eventId, arn));

    // Assess
    expect(result).toMatchObject({ outcome: 'started', executionName: nameOf(arn) });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(0);
    expect(startCalls()).toHaveLength(1);
  });

  it('a redelivered event meets ExecutionAlreadyExists: logged as a no-op at INFO, never an error', async () => {
    // Prepare
    const arn = snapshotArn('orders-before-migration');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn)] });
    sfnMock
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:export:x', startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const info = vi.spyOn(logger, 'info');
    const error = vi.spyOn(logger, 'error');
    const handle = trigger();

    // Act
    const first = await handle(snapshotEvent('RDS-EVENT-0042', arn));
    const second = await handle(snapshotEvent('RDS-EVENT-0042', arn));

    // Assess
    expect(first.outcome).toBe('started');
    expect(second).toEqual({ outcome: 'duplicate', sourceArn: arn, executionName: nameOf(arn) });
    expect(startCalls().map((input) => input.name)).toEqual([nameOf(arn), nameOf(arn)]);
    expect(info).toHaveBeenCalledWith(expect.stringContaining('already exists'), expect.objectContaining({ outcome: 'duplicate' }));
    expect(error).not.toHaveBeenCalled();
  });

  it('ignores an event that is not ours at DEBUG, with the reason, and calls no AWS API', async () => {
    // Prepare
    const debug = vi.spyOn(logger, 'debug');
    const info = vi.spyOn(logger, 'info');

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0040', snapshotArn('orders-1')));

    // Assess
    expect(result).toEqual({ outcome: 'ignored', reason: expect.stringContaining('RDS-EVENT-0040') });
    expect(debug).toHaveBeenCalledWith(expect.stringContaining('RDS-EVENT-0040'), expect.objectContaining({ outcome: 'ignored' }));
    expect(info).not.toHaveBeenCalled();
    expect(rdsMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('ignores AWS Backup copies (RDS-EVENT-0197) while BACKUP_EVENTS is off, and exports them when on', async () => {
    // Prepare
    const arn = snapshotArn('awsbackup:job-1a2b3c4d');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn, { SnapshotType: 'awsbackup' })] });
    const withBackups: TriggerSettings = { selection: { ...DEFAULTS.selection, types: ['manual', 'automated', 'awsbackup'] }, backupEvents: true };

    // Act
    const off = await trigger()(snapshotEvent('RDS-EVENT-0197', arn));
    const on = await trigger(withBackups)(snapshotEvent('RDS-EVENT-0197', arn));

    // Assess
    expect(off).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('BACKUP_EVENTS=false') });
    expect(on).toMatchObject({ outcome: 'started', executionName: nameOf(arn) });
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((call) => call.args[0].input)).toEqual([
      { DBSnapshotIdentifier: 'awsbackup:job-1a2b3c4d', SnapshotType: 'awsbackup' },
    ]);
  });

  it('ignores a snapshot of an excluded DB, learnt from DescribeDBSnapshots, and starts nothing', async () => {
    // Prepare
    const arn = snapshotArn('scratch-1');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn, { DBInstanceIdentifier: 'test-scratch' })] });
    const debug = vi.spyOn(logger, 'debug');

    // Act
    const result = await trigger({ ...DEFAULTS, selection: { ...DEFAULTS.selection, exclude: ['test-*'] } })(snapshotEvent('RDS-EVENT-0042', arn));

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: 'test-scratch matches the exclude pattern "test-*"' });
    expect(debug).toHaveBeenCalledOnce();
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('skips, with an INFO log, a snapshot whose status is not "available"', async () => {
    // Prepare
    const arn = snapshotArn('orders-1');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn, { Status: 'creating' })] });
    const info = vi.spyOn(logger, 'info');

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0042', arn));

    // Assess
    expect(result).toEqual({ outcome: 'skipped', sourceArn: arn, reason: 'snapshot status is "creating", not "available"' });
    expect(info).toHaveBeenCalledWith(expect.stringContaining('"creating"'), expect.anything());
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('skips a snapshot deleted since its event (DBSnapshotNotFound), without failing', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(new DBSnapshotNotFoundFault({ message: 'DBSnapshot orders-1 not found.', $metadata: { httpStatusCode: 404 } }));

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')));

    // Assess
    expect(result.outcome).toBe('skipped');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('does not take another region\'s snapshot of the same name for the one in the event', async () => {
    // Prepare
    const arn = snapshotArn('orders-1');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn.replace(REGION, 'us-east-1'))] });

    // Act
    const result = await trigger()(snapshotEvent('RDS-EVENT-0042', arn));

    // Assess
    expect(result.outcome).toBe('skipped');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('fails with TransientAwsError when RDS throttles, so Lambda retries the event', async () => {
    // Prepare
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));

    // Act + Assess
    await expect(trigger()(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')))).rejects.toBeInstanceOf(TransientAwsError);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('fails with TransientAwsError when StartExecution answers 5xx', async () => {
    // Prepare
    const arn = snapshotArn('orders-1');
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [dbSnapshot(arn)] });
    sfnMock.on(StartExecutionCommand).rejects(Object.assign(new Error('Internal'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }));

    // Act + Assess
    await expect(trigger()(snapshotEvent('RDS-EVENT-0042', arn))).rejects.toBeInstanceOf(TransientAwsError);
  });
});
