import { describe, expect, it } from 'vitest';
import type { SnapshotInfo } from '../../shared/triggers/snapshots.ts';
import { lookupType, snapshotType } from '../../shared/triggers/rds-snapshots.ts';
import { readConfig } from '../../shared/runtime/config.ts';
import { ConfigurationError } from '../../shared/runtime/errors.ts';
import { isValidExportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { exportProgress, pickLatestAvailable, planExports } from '../../shared/triggers/schedules.ts';
import { executionName, matchesGlob, matchesSelection, type Selection } from '../../shared/triggers/selection.ts';
import { handleSnapshotEvent, parseSnapshotEvent, type RdsEvent, type TriggerSettings } from '../../shared/triggers/snapshot-events.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';
import { planExportsConfigShape, snapshotTriggerConfigShape, triggerSettings } from '../../shared/triggers/config.ts';
import { parseScheduledSources } from '../../shared/triggers/scheduled-sources.ts';
import { snapshotEvent } from '../support/rds-events.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const NOW = new Date('2026-11-23T03:30:00Z');
const snapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${name}`;
const clusterSnapshotArn = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${name}`;


const ALL: Selection = { include: ['*'], exclude: [], types: ['manual', 'automated', 'awsbackup'] };
const settings = (overrides: Partial<TriggerSettings> = {}): TriggerSettings => ({ selection: ALL, backupEvents: false, ...overrides });

function snapshot(overrides: Partial<SnapshotInfo> = {}): SnapshotInfo {
  return { arn: snapshotArn('orders-1'), sourceId: 'prod-db', type: 'manual', status: 'available', createdAt: new Date('2026-11-23T03:00:00Z'), ...overrides };
}

describe('parseSnapshotEvent: which RDS events announce a snapshot to export', () => {
  it.each([
    ['RDS-EVENT-0042', snapshotArn('orders-manual'), 'SNAPSHOT', ['manual', 'awsbackup']],
    ['RDS-EVENT-0091', snapshotArn('rds:prod-db-2026-11-23-03-10'), 'SNAPSHOT', ['automated']],
    ['RDS-EVENT-0075', clusterSnapshotArn('aurora-manual'), 'CLUSTER_SNAPSHOT', ['manual', 'awsbackup']],
    ['RDS-EVENT-0169', clusterSnapshotArn('rds:prod-aurora-2026-11-23-03-10'), 'CLUSTER_SNAPSHOT', ['automated']],
  ])('%s is ours: a %s of type %j', (eventId, arn, kind, types) => {
    // Act
    const parsed = parseSnapshotEvent(snapshotEvent(eventId, arn), { backupEvents: false }, NOW);

    // Assess
    expect(parsed).toMatchObject({ ours: true, eventId, possibleTypes: types, source: { arn, type: kind } });
  });

  it('RDS-EVENT-0197 (a finished snapshot copy: AWS Backup) is ours only with BACKUP_EVENTS on', () => {
    // Prepare
    const event = snapshotEvent('RDS-EVENT-0197', snapshotArn('awsbackup:job-1a2b3c'), {});

    // Act
    const on = parseSnapshotEvent(event, { backupEvents: true }, NOW);
    const off = parseSnapshotEvent(event, { backupEvents: false }, NOW);

    // Assess
    expect(on).toMatchObject({ ours: true, possibleTypes: ['awsbackup', 'manual'] });
    expect(off).toEqual({ ours: false, reason: expect.stringContaining('BACKUP_EVENTS=false') });
  });

  it.each([
    ['RDS-EVENT-0040', 'Creating manual snapshot'],
    ['RDS-EVENT-0041', 'Deleted manual snapshot'],
    ['RDS-EVENT-0090', 'Creating automated snapshot'],
    ['RDS-EVENT-0196', 'Started copy of snapshot'],
    ['RDS-EVENT-0161', 'The snapshot export task completed'],
  ])('other snapshot events are not ours: %s (%s)', (eventId, message) => {
    // Act
    const parsed = parseSnapshotEvent(snapshotEvent(eventId, snapshotArn('orders-1'), {}), { backupEvents: true }, NOW);

    // Assess
    expect(parsed).toEqual({ ours: false, reason: expect.stringContaining(eventId) });
  });

  it('an event ID under the other snapshot detail-type is not ours (0042 is a DB snapshot event, never a cluster one)', () => {
    // Act
    const parsed = parseSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('x'), { 'detail-type': 'RDS DB Cluster Snapshot Event' }), { backupEvents: false }, NOW);

    // Assess
    expect(parsed.ours).toBe(false);
  });

  it.each([
    ['another source', { source: 'aws.ec2' }, 'aws.ec2'],
    ['an instance event', { 'detail-type': 'RDS DB Instance Event' }, 'RDS DB Instance Event'],
    ['a cluster event', { 'detail-type': 'RDS DB Cluster Event' }, 'RDS DB Cluster Event'],
  ] as const)('%s is not ours, and the reason names it', (_, overrides, named) => {
    // Act
    const parsed = parseSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('x'), overrides as Partial<RdsEvent>), { backupEvents: false }, NOW);

    // Assess
    expect(parsed).toEqual({ ours: false, reason: expect.stringContaining(named) });
  });

  it('a snapshot event whose SourceArn is missing or of the wrong kind is not ours', () => {
    // Prepare
    const missing = snapshotEvent('RDS-EVENT-0042', snapshotArn('x'));
    delete missing.detail!.SourceArn;
    const clusterArnInDbEvent = snapshotEvent('RDS-EVENT-0091', snapshotArn('x'));
    clusterArnInDbEvent.detail!.SourceArn = clusterSnapshotArn('x');

    // Act + Assess
    expect(parseSnapshotEvent(missing, { backupEvents: false }, NOW).ours).toBe(false);
    expect(parseSnapshotEvent(clusterArnInDbEvent, { backupEvents: false }, NOW).ours).toBe(false);
  });

  it('takes the event time, then detail.Date, then now', () => {
    // Prepare
    const noTime = snapshotEvent('RDS-EVENT-0042', snapshotArn('x'), { time: 'garbage' });
    const nothing = snapshotEvent('RDS-EVENT-0042', snapshotArn('x'), { time: undefined });
    delete nothing.detail!.Date;

    // Act + Assess
    expect(parseSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('x')), { backupEvents: false }, NOW)).toMatchObject({ at: new Date('2026-11-23T03:14:07Z') });
    expect(parseSnapshotEvent(noTime, { backupEvents: false }, NOW)).toMatchObject({ at: new Date('2026-11-23T03:14:07.882Z') });
    expect(parseSnapshotEvent(nothing, { backupEvents: false }, NOW)).toMatchObject({ at: NOW });
  });
});

describe('selection: include/exclude globs on the DB identifier, and snapshot types', () => {
  it.each([
    ['prod-db', '*', true],
    ['prod-db', 'prod-*', true],
    ['PROD-DB', 'prod-*', true],
    ['prod-db', 'prod-d?', true],
    ['prod-db2', 'prod-d?', false],
    ['staging-db', 'prod-*', false],
    ['prod-db', 'prod', false],
    ['prodxdb', 'prod.db', false],
    ['a-b', 'a*b', true],
  ])('%s against "%s" → %s', (identifier, glob, expected) => {
    expect(matchesGlob(identifier, glob)).toBe(expected);
  });

  it('selects a DB matching an include pattern', () => {
    expect(matchesSelection({ sourceId: 'prod-orders', type: 'manual' }, { ...ALL, include: ['staging-*', 'prod-*'] })).toEqual({ selected: true });
  });

  it('leaves out a DB matching no include pattern, and says which patterns', () => {
    expect(matchesSelection({ sourceId: 'dev-orders', type: 'manual' }, { ...ALL, include: ['prod-*'] })).toEqual({
      selected: false,
      reason: expect.stringContaining('prod-*'),
    });
  });

  it('exclude wins over include', () => {
    expect(matchesSelection({ sourceId: 'prod-test', type: 'manual' }, { ...ALL, include: ['prod-*'], exclude: ['*-test'] })).toEqual({
      selected: false,
      reason: expect.stringContaining('*-test'),
    });
  });

  it.each([
    ['manual', ['manual', 'automated'], true],
    ['automated', ['manual', 'automated'], true],
    ['awsbackup', ['manual', 'automated'], false],
    ['awsbackup', ['awsbackup'], true],
    ['automated', ['manual'], false],
    ['other', ['manual', 'automated', 'awsbackup'], false],
  ] as const)('a %s snapshot with SNAPSHOT_TYPES %j → selected %s', (type, types, expected) => {
    expect(matchesSelection({ sourceId: 'prod-db', type }, { ...ALL, types: [...types] }).selected).toBe(expected);
  });
});

describe('handleSnapshotEvent with in-memory ports', () => {
  function ports(found: SnapshotInfo | undefined, exists = false) {
    const starts: { name: string; input: unknown }[] = [];
    const described: string[] = [];
    return {
      starts,
      described,
      catalog: { describe: async (arn: string) => (described.push(arn), found) },
      starter: { start: async (name: string, input: unknown) => (starts.push({ name, input }), exists ? { started: false } : { started: true, executionArn: `arn:exec:${name}` }) },
    };
  }

  it('starts one execution named by the snapshot, with the snapshot ARN as input', async () => {
    // Prepare
    const arn = snapshotArn('orders-manual');
    const { catalog, starter, starts } = ports(snapshot({ arn }));

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', arn), { catalog, starter, settings: settings() }, NOW);

    // Assess
    const name = executionName(parseSourceArn(arn)!, new Date('2026-11-23T03:14:07Z'));
    expect(result).toEqual({ outcome: 'started', sourceArn: arn, executionName: name, executionArn: `arn:exec:${name}` });
    expect(starts).toEqual([{ name, input: { sourceArn: arn } }]);
  });

  it('skips a snapshot whose status is not "available", saying so, and starts nothing', async () => {
    // Prepare
    const { catalog, starter, starts } = ports(snapshot({ status: 'creating' }));

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')), { catalog, starter, settings: settings() }, NOW);

    // Assess
    expect(result).toEqual({ outcome: 'skipped', sourceArn: snapshotArn('orders-1'), reason: expect.stringContaining('"creating"') });
    expect(starts).toEqual([]);
  });

  it('skips a snapshot RDS no longer knows', async () => {
    // Prepare
    const { catalog, starter, starts } = ports(undefined);

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')), { catalog, starter, settings: settings() }, NOW);

    // Assess
    expect(result.outcome).toBe('skipped');
    expect(starts).toEqual([]);
  });

  it('ignores an excluded DB after learning its identifier from RDS (the event names only the snapshot)', async () => {
    // Prepare
    const { catalog, starter, starts, described } = ports(snapshot({ sourceId: 'test-db' }));
    const selection = { ...ALL, exclude: ['test-*'] };

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')), { catalog, starter, settings: settings({ selection }) }, NOW);

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('test-*') });
    expect(described).toEqual([snapshotArn('orders-1')]);
    expect(starts).toEqual([]);
  });

  it('ignores an automated snapshot event without asking RDS when automated snapshots are not selected', async () => {
    // Prepare
    const { catalog, starter, described } = ports(snapshot({ type: 'automated' }));
    const selection: Selection = { ...ALL, types: ['manual'] };

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0091', snapshotArn('rds:prod-db-2026-11-23-03-10')), { catalog, starter, settings: settings({ selection }) }, NOW);

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('SNAPSHOT_TYPES=manual') });
    expect(described).toEqual([]);
  });

  it('a manual-snapshot event that RDS reports as an AWS Backup snapshot follows the awsbackup selection', async () => {
    // Prepare
    const { catalog, starter, starts } = ports(snapshot({ type: 'awsbackup' }));

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')), { catalog, starter, settings: settings({ selection: { ...ALL, types: ['manual'] } }) }, NOW);

    // Assess
    expect(result).toMatchObject({ outcome: 'ignored', reason: expect.stringContaining('awsbackup') });
    expect(starts).toEqual([]);
  });

  it('an execution that already exists is a duplicate, not an error', async () => {
    // Prepare
    const { catalog, starter } = ports(snapshot(), true);

    // Act
    const result = await handleSnapshotEvent(snapshotEvent('RDS-EVENT-0042', snapshotArn('orders-1')), { catalog, starter, settings: settings() }, NOW);

    // Assess
    expect(result).toMatchObject({ outcome: 'duplicate', sourceArn: snapshotArn('orders-1') });
  });
});

describe('execution names', () => {
  it('are the same for the same snapshot whenever its events come, and differ between snapshots', () => {
    // Prepare
    const source = parseSourceArn(snapshotArn('rds:prod-db-2026-11-23-03-10'))!;

    // Act
    const first = executionName(source, new Date('2026-11-23T03:14:07Z'));
    const redelivered = executionName(source, new Date('2026-11-24T09:00:00Z'));
    const other = executionName(parseSourceArn(snapshotArn('rds:prod-db-2026-11-24-03-10'))!, new Date('2026-11-23T03:14:07Z'));

    // Assess
    expect(redelivered).toBe(first);
    expect(other).not.toBe(first);
  });

  it('are valid Step Functions execution names of at most 60 characters, even for long or odd identifiers', () => {
    // Prepare
    const names = [
      snapshotArn(`rds:${'a'.repeat(63)}-2026-11-23-03-10`),
      snapshotArn('awsbackup:job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d'),
      clusterSnapshotArn('9-starts-with-a-digit'),
      `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:prod-aurora`,
    ].map((arn) => executionName(parseSourceArn(arn)!, NOW));

    // Assess
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(60);
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(isValidExportIdentifier(name)).toBe(true);
    }
  });

  it('of a live cluster carry the minute: the same within a minute, new the next', () => {
    // Prepare
    const cluster = parseSourceArn(`arn:aws:rds:${REGION}:${ACCOUNT}:cluster:prod-aurora`)!;

    // Act
    const a = executionName(cluster, new Date('2026-11-23T03:00:05Z'));
    const b = executionName(cluster, new Date('2026-11-23T03:00:55Z'));
    const c = executionName(cluster, new Date('2026-11-23T03:01:05Z'));

    // Assess
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});

describe('planning helpers', () => {
  it('pickLatestAvailable takes the newest available snapshot, whatever the order, never a newer one still creating', () => {
    // Prepare
    const old = snapshot({ arn: snapshotArn('a'), createdAt: new Date('2026-11-20T00:00:00Z') });
    const latest = snapshot({ arn: snapshotArn('b'), createdAt: new Date('2026-11-22T00:00:00Z') });
    const creating = snapshot({ arn: snapshotArn('c'), status: 'creating', createdAt: new Date('2026-11-23T00:00:00Z') });

    // Act + Assess
    expect(pickLatestAvailable([old, creating, latest])).toBe(latest);
    expect(pickLatestAvailable([latest, old, creating])).toBe(latest);
    expect(pickLatestAvailable([creating])).toBeUndefined();
    expect(pickLatestAvailable([])).toBeUndefined();
  });

  it('exportProgress reads statuses in any case: complete beats running, failed and canceled count as none', () => {
    expect(exportProgress([{ status: 'COMPLETE' }])).toBe('complete');
    expect(exportProgress([{ status: 'complete' }, { status: 'in_progress' }])).toBe('complete');
    expect(exportProgress([{ status: 'IN_PROGRESS' }])).toBe('running');
    expect(exportProgress([{ status: 'starting' }])).toBe('running');
    expect(exportProgress([{ status: 'FAILED' }, { status: 'canceled' }])).toBe('none');
    expect(exportProgress([])).toBe('none');
  });

  it('scheduledTime is the event time (the same on Lambda retries), else now', () => {
    expect(scheduledTime({ time: '2026-11-23T03:00:00Z' }, NOW)).toEqual(new Date('2026-11-23T03:00:00Z'));
    expect(scheduledTime({}, NOW)).toBe(NOW);
    expect(scheduledTime(undefined, NOW)).toBe(NOW);
  });
});

describe('snapshot lookups (adapter helpers)', () => {
  it('looks up automated and AWS Backup snapshots with their type, which RDS requires for them', () => {
    expect(lookupType('rds:prod-db-2026-11-23-03-10', 'SNAPSHOT')).toBe('automated');
    expect(lookupType('rds:prod-aurora-2026-11-23-03-10', 'CLUSTER_SNAPSHOT')).toBe('automated');
    expect(lookupType('awsbackup:job-1a2b', 'SNAPSHOT')).toBe('awsbackup');
    expect(lookupType('awsbackup:job-1a2b', 'CLUSTER_SNAPSHOT')).toBeUndefined();
    expect(lookupType('orders-manual', 'SNAPSHOT')).toBeUndefined();
  });

  it('reads the snapshot type in any case; shared and public are "other"', () => {
    expect(snapshotType('Manual')).toBe('manual');
    expect(snapshotType('awsbackup')).toBe('awsbackup');
    expect(snapshotType('shared')).toBe('other');
    expect(snapshotType(undefined)).toBe('other');
  });
});

describe('trigger configuration', () => {
  const base = { STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:export` };

  it('defaults to no DB at all (opt-in), manual and automated snapshots, no backup events', () => {
    // Act
    const settingsRead = triggerSettings(readConfig(snapshotTriggerConfigShape, base));
    const verdict = matchesSelection({ sourceId: 'prod-db', type: 'automated' }, settingsRead.selection);

    // Assess
    expect(settingsRead).toEqual({ selection: { include: [], exclude: [], types: ['manual', 'automated'] }, backupEvents: false });
    expect(verdict).toEqual({ selected: false, reason: expect.stringContaining('SELECTION_INCLUDE is empty') });
  });

  it('reads comma-separated patterns and types, trimming spaces', () => {
    // Act
    const config = readConfig(snapshotTriggerConfigShape, {
      ...base,
      SELECTION_INCLUDE: 'prod-*, billing-db',
      SELECTION_EXCLUDE: '*-test ,*-tmp?',
      SNAPSHOT_TYPES: 'manual, awsbackup',
      BACKUP_EVENTS: 'true',
    });

    // Assess
    expect(triggerSettings(config)).toEqual({
      selection: { include: ['prod-*', 'billing-db'], exclude: ['*-test', '*-tmp?'], types: ['manual', 'awsbackup'] },
      backupEvents: true,
    });
  });

  it('reports every bad variable at once, naming the bad value', () => {
    // Act
    const read = () =>
      readConfig(snapshotTriggerConfigShape, { SELECTION_INCLUDE: 'prod_db', SNAPSHOT_TYPES: 'manual,snapshot', BACKUP_EVENTS: 'yes' });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/STATE_MACHINE_ARN is not set/);
    expect(read).toThrow(/SELECTION_INCLUDE: "prod_db" can never match/);
    expect(read).toThrow(/SNAPSHOT_TYPES: "snapshot" is not a snapshot type/);
    expect(read).toThrow(/BACKUP_EVENTS: must be true or false/);
  });

  it('refuses BACKUP_EVENTS=true without awsbackup in SNAPSHOT_TYPES: it would export nothing it was turned on for', () => {
    // Prepare
    const config = readConfig(snapshotTriggerConfigShape, { ...base, BACKUP_EVENTS: 'true' });

    // Act + Assess
    expect(() => triggerSettings(config)).toThrow(/BACKUP_EVENTS=true but SNAPSHOT_TYPES has no "awsbackup"/);
  });
});

describe('the selection variables', () => {
  const ARN = { STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:export' };

  it('gives every reading its own defaults: a reader changing its selection changes no other', () => {
    // Prepare
    const first = readConfig(snapshotTriggerConfigShape, ARN);

    // Act
    const mutate = () => (first.SELECTION_INCLUDE as string[]).push('*');

    // Assess: the defaults are frozen, and the next reading is still opt-in.
    expect(mutate).toThrow(TypeError);
    expect(readConfig(snapshotTriggerConfigShape, ARN).SELECTION_INCLUDE).toEqual([]);
    expect(readConfig(snapshotTriggerConfigShape, ARN).SNAPSHOT_TYPES).toEqual(['manual', 'automated']);
  });

  it('reads BACKUP_EVENTS as true or false in any case, and refuses a padded one', () => {
    expect(readConfig(snapshotTriggerConfigShape, { ...ARN, BACKUP_EVENTS: 'TRUE', SNAPSHOT_TYPES: 'awsbackup' }).BACKUP_EVENTS).toBe(true);
    expect(() => readConfig(snapshotTriggerConfigShape, { ...ARN, BACKUP_EVENTS: ' true' })).toThrow('BACKUP_EVENTS: must be true or false');
  });
});

describe('SCHEDULED_SOURCES', () => {
  const base = { STATE_MACHINE_ARN: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:export` };

  it('reads instances and clusters; a cluster defaults to snapshot mode', () => {
    // Act
    const config = readConfig(planExportsConfigShape, {
      ...base,
      SCHEDULED_SOURCES: JSON.stringify([{ dbInstanceIdentifier: 'prod-db' }, { dbClusterIdentifier: 'prod-aurora' }, { dbClusterIdentifier: 'prod-aurora', mode: 'live' }]),
    });

    // Assess
    expect(config.SCHEDULED_SOURCES).toEqual([
      { resource: 'instance', identifier: 'prod-db', mode: 'snapshot' },
      { resource: 'cluster', identifier: 'prod-aurora', mode: 'snapshot' },
      { resource: 'cluster', identifier: 'prod-aurora', mode: 'live' },
    ]);
  });

  it('names the bad entry by index and content, with what is wrong', () => {
    // Act
    const read = () =>
      readConfig(planExportsConfigShape, {
        ...base,
        SCHEDULED_SOURCES: JSON.stringify([{ dbInstanceIdentifier: 'prod-db' }, { dbClusterIdentifier: 'prod-aurora', mode: 'lve' }]),
      });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow('SCHEDULED_SOURCES: [1] {"dbClusterIdentifier":"prod-aurora","mode":"lve"}: mode must be "snapshot" or "live"');
  });

  it.each([
    ['not JSON', '[{dbInstanceIdentifier:', /not valid JSON/],
    ['not an array', '{"dbInstanceIdentifier":"prod-db"}', /must be a JSON array/],
    ['neither identifier', '[{"identifier":"prod-db"}]', /\[0\] .*needs dbInstanceIdentifier, dbClusterIdentifier, imageId or adsAgentIds/],
    ['both identifiers', '[{"dbInstanceIdentifier":"a","dbClusterIdentifier":"b"}]', /not both/],
    ['a live instance', '[{"dbInstanceIdentifier":"prod-db","mode":"live"}]', /\[0\] .*mode must be "snapshot": a DB instance is exported from its snapshots/],
    ['a bad identifier', '[{"dbInstanceIdentifier":"prod_db"}]', /dbInstanceIdentifier must be an RDS identifier/],
    ['an unknown field', '[{"dbInstanceIdentifier":"prod-db","bucket":"x"}]', /unknown field\(s\) "bucket"/],
    ['fields named like an object\'s own', '[{"dbInstanceIdentifier":"prod-db","constructor":1,"__proto__":{},"toString":"x"}]', /unknown field\(s\) "constructor", "__proto__", "toString"/],
    ['a repeated source', '[{"dbInstanceIdentifier":"prod-db"},{"dbInstanceIdentifier":"PROD-DB"}]', /\[1\] .*repeats \[0\]/],
    ['not an object', '["prod-db"]', /\[0\] "prod-db": must be an object/],
  ])('refuses %s', (_, text, message) => {
    // Act
    const parsed = parseScheduledSources(text);

    // Assess
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problems.join('\n')).toMatch(message);
  });

  it('lists every bad entry, not only the first', () => {
    // Act
    const parsed = parseScheduledSources('[{"dbInstanceIdentifier":""},{"dbInstanceIdentifier":"ok"},{"dbClusterIdentifier":"c","mode":1}]');

    // Assess
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.slice(0, 3))).toEqual(['[0]', '[2]']);
  });
});

describe('scheduled sources of member accounts and Regions', () => {
  it('reads account and region of a DB entry, and tells the same DB of two places apart', () => {
    // Act
    const parsed = parseScheduledSources('[{"dbInstanceIdentifier":"orders","account":"210987654321","region":"ap-south-1"},{"dbInstanceIdentifier":"orders"}]');
    const bad = parseScheduledSources('[{"dbClusterIdentifier":"c","account":"12345","region":"Mumbai"}]');

    // Assess
    expect(parsed).toEqual({
      ok: true,
      sources: [
        { resource: 'instance', identifier: 'orders', mode: 'snapshot', account: '210987654321', region: 'ap-south-1' },
        { resource: 'instance', identifier: 'orders', mode: 'snapshot' },
      ],
    });
    expect(bad.ok ? '' : bad.problems.join('\n')).toMatch(/account must be a 12-digit AWS account id \(one of memberAccounts\).*region must be a region such as eu-west-1/);
  });

  it("plans a member's DB with that place's RDS, the own DB with the stack's", async () => {
    // Prepare
    const memberArn = 'arn:aws:rds:ap-south-1:210987654321:snapshot:rds:orders-2026-11-23-03-10';
    const rdsOf = (arn: string) => ({
      catalog: { snapshotsOf: async () => [snapshot({ arn, sourceId: 'orders' })], clusterArn: async () => undefined },
      exports: { exportsOf: async () => [] },
    });
    const asked: unknown[] = [];
    const starts: unknown[] = [];
    const deps = {
      ...rdsOf(snapshotArn('rds:orders-2026-11-23-03-10')),
      starter: { start: async (_name: string, input: unknown) => (starts.push(input), { started: true }) },
      inPlace: (place: unknown) => (asked.push(place), rdsOf(memberArn)),
    };
    const parsed = parseScheduledSources('[{"dbInstanceIdentifier":"orders","account":"210987654321","region":"ap-south-1"},{"dbInstanceIdentifier":"orders"}]');

    // Act
    const plans = await planExports(parsed.ok ? parsed.sources : [], deps, NOW);

    // Assess
    expect(asked).toEqual([{ account: '210987654321', region: 'ap-south-1' }]);
    expect(starts).toEqual([{ sourceArn: memberArn }, { sourceArn: snapshotArn('rds:orders-2026-11-23-03-10') }]);
    expect(plans.map((plan) => plan.source)).toEqual(['DB instance orders in 210987654321/ap-south-1', 'DB instance orders']);
  });
});
