import { describe, expect, it } from 'vitest';
import type { SnapshotInfo } from '../../shared/triggers/snapshots.ts';
import { Pacer, RDS_CALL_BUDGET, RDS_REQUESTS_PER_SECOND, worstCaseRate } from '../../shared/runtime/pacing.ts';
import { exportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';
import { sweepCandidates, sweepFailure, sweepPlaces, sweepSnapshots, SWEEP_MAX_ATTEMPT, type SweepSettings } from '../../shared/triggers/sweep.ts';
import { ReconciliationFailed } from '../../shared/runtime/errors.ts';
import { MemberAccessDenied } from '../../shared/runtime/errors.ts';
import { executionName } from '../../shared/triggers/selection.ts';
import type { SnapshotType } from '../../shared/triggers/snapshots.ts';
import type { ExecutionSummary } from '../../shared/workflow/step-functions.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const HOUR = 3600_000;
const snapshotArn = (name: string) => `arn:aws:rds:eu-west-1:123456789012:snapshot:${name}`;
const SETTINGS: SweepSettings = { selection: { include: ['*'], exclude: [], types: ['manual', 'automated'] }, lookbackSeconds: 24 * 3600 };

function snapshot(name: string, hoursAgo: number, overrides: Partial<SnapshotInfo> = {}): SnapshotInfo {
  return { arn: snapshotArn(name), sourceId: 'prod-db', type: 'automated', status: 'available', createdAt: new Date(NOW.getTime() - hoursAgo * HOUR), ...overrides };
}

/** What the coordination table knows: executions queued for a slot (by name), sources holding a lent slot. */
interface Table {
  queued?: string[];
  leased?: string[];
}

/** The executions that exist: by name, RUNNING unless given how they ended. */
type Existing = string[] | Record<string, ExecutionSummary>;

function ports(listed: SnapshotInfo[], exported: string[] = [], existing: Existing = [], table: Table = {}) {
  const starts: { name: string; input: unknown }[] = [];
  const executions = new Map<string, ExecutionSummary>(Array.isArray(existing) ? existing.map((name) => [name, { status: 'RUNNING' }]) : Object.entries(existing));
  const calls = { listed: [] as { since: Date; types: readonly SnapshotType[] }[], exportsListed: 0, inFlightSince: [] as Date[] };
  return {
    starts,
    calls,
    snapshots: { createdSince: async (since: Date, types: readonly SnapshotType[]) => (calls.listed.push({ since, types }), listed) },
    exports: { exportedSources: async () => (calls.exportsListed++, new Set(exported)) },
    inFlight: {
      inFlight: async (since: Date) => (calls.inFlightSince.push(since), { executions: new Set(table.queued ?? []), sources: new Set(table.leased ?? []) }),
    },
    starter: {
      start: async (name: string, input: unknown) => {
        starts.push({ name, input });
        if (name.startsWith('boom')) throw Object.assign(new Error('Rate exceeded'), { name: 'TransientAwsError' });
        if (executions.has(name)) return { started: false };
        executions.set(name, { status: 'RUNNING' });
        return { started: true };
      },
      describe: async (name: string) => executions.get(name),
    },
  };
}

describe('reconciliation sweep: which snapshots it must start', () => {
  it('takes the selected, available snapshots created in the window that have no export task, oldest first', () => {
    // Prepare
    const snapshots = [
      snapshot('rds:new', 1),
      snapshot('rds:old', 23),
      snapshot('rds:too-old', 25),
      snapshot('rds:exported', 2),
      snapshot('rds:creating', 0.1, { status: 'creating' }),
      snapshot('rds:test', 3, { sourceId: 'test-db' }),
      snapshot('rds:shared', 3, { type: 'other' }),
      snapshot('rds:undated', 3, { createdAt: undefined }),
    ];
    const settings = { ...SETTINGS, selection: { ...SETTINGS.selection, exclude: ['test-*'] } };

    // Act
    const { selected, missing } = sweepCandidates(snapshots, new Set([snapshotArn('rds:exported')]), settings, NOW);

    // Assess
    expect(selected.map((s) => s.arn)).toEqual([snapshotArn('rds:old'), snapshotArn('rds:exported'), snapshotArn('rds:new')]);
    expect(missing.map((s) => s.arn)).toEqual([snapshotArn('rds:old'), snapshotArn('rds:new')]);
  });
});

describe('sweepSnapshots with in-memory ports', () => {
  it('starts each missing snapshot once, under the name and input the trigger uses', async () => {
    // Prepare
    const arn = snapshotArn('rds:prod-db-2026-11-23-03-10');
    const { snapshots, exports, inFlight, starter, starts, calls } = ports([snapshot('rds:prod-db-2026-11-23-03-10', 9)]);

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    const name = executionName(parseSourceArn(arn)!, new Date('2026-11-23T03:14:07Z'));
    expect(starts).toEqual([{ name, input: { sourceArn: arn } }]);
    expect(report).toEqual({ listed: 1, selected: 1, inFlight: 0, exported: 0, entries: [{ sourceArn: arn, outcome: 'started', executionName: name }] });
    expect(calls.listed).toEqual([{ since: new Date(NOW.getTime() - 24 * HOUR), types: ['manual', 'automated'] }]);
  });

  it('reports a snapshot whose execution exists but the table does not know (starting, or ended) without starting a second one', async () => {
    // Prepare
    const arn = snapshotArn('rds:queued');
    const name = executionName(parseSourceArn(arn)!, NOW);
    const { snapshots, exports, inFlight, starter } = ports([snapshot('rds:queued', 2)], [], [name]);

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(report.entries).toEqual([{ sourceArn: arn, outcome: 'execution-exists', executionName: name }]);
  });

  it('starts the next attempt of a snapshot whose attempts failed through an outage (TransientAwsError) and exported nothing', async () => {
    // Prepare: attempts 1 and 2 failed while DynamoDB was down (AdmitExport's retries ran out); no export task.
    const arn = snapshotArn('rds:outage-db');
    const attempt = (n: number) => exportIdentifier(parseSourceArn(arn)!, NOW, n);
    const outage: ExecutionSummary = { status: 'FAILED', error: 'TransientAwsError' };
    const { snapshots, exports, inFlight, starter, starts } = ports([snapshot('rds:outage-db', 8)], [], { [attempt(1)]: outage, [attempt(2)]: outage });

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(starts).toEqual([
      { name: attempt(1), input: { sourceArn: arn } },
      { name: attempt(3), input: { sourceArn: arn, attempt: 3 } },
    ]);
    expect(report.entries).toEqual([{ sourceArn: arn, outcome: 'started-again', executionName: attempt(3) }]);
  });

  it.each([
    ['failed for another reason (a bad input fails the same way every time)', { status: 'FAILED', error: 'InvalidExportRequest' }],
    ['timed out waiting for a slot (the limit shedding load)', { status: 'TIMED_OUT' }],
    ['was stopped by an operator', { status: 'ABORTED' }],
    ['succeeded', { status: 'SUCCEEDED' }],
  ] as const)('does not start again a snapshot whose execution %s', async (_, ended) => {
    const arn = snapshotArn('rds:ended-db');
    const name = executionName(parseSourceArn(arn)!, NOW);
    const { snapshots, exports, inFlight, starter, starts } = ports([snapshot('rds:ended-db', 8)], [], { [name]: ended });

    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    expect(starts).toEqual([{ name, input: { sourceArn: arn } }]);
    expect(report.entries).toEqual([{ sourceArn: arn, outcome: 'execution-exists', executionName: name }]);
  });

  it(`stops after ${SWEEP_MAX_ATTEMPT} attempts failed through outages: the operator's start --again takes it from there`, async () => {
    const arn = snapshotArn('rds:outage-db');
    const failed = Object.fromEntries(Array.from({ length: SWEEP_MAX_ATTEMPT }, (_, i) => [exportIdentifier(parseSourceArn(arn)!, NOW, i + 1), { status: 'FAILED', error: 'TransientAwsError' }]));
    const { snapshots, exports, inFlight, starter, starts } = ports([snapshot('rds:outage-db', 8)], [], failed);

    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    expect(starts).toHaveLength(1);
    expect(report.entries).toMatchObject([{ outcome: 'execution-exists' }]);
  });

  it('reads neither the table nor the export tasks when no snapshot is a candidate (a quiet hour costs the snapshot listing only)', async () => {
    // Prepare
    const { snapshots, exports, inFlight, starter, calls, starts } = ports([snapshot('rds:ancient', 100)]);

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(calls.exportsListed).toBe(0);
    expect(calls.inFlightSince).toEqual([]);
    expect(starts).toEqual([]);
    expect(report).toMatchObject({ listed: 1, selected: 0, entries: [] });
  });

  it('skips, without a call, the snapshots whose execution is queued for a slot or holds one, and starts the one whose execution is gone', async () => {
    // Prepare: a backlog; one execution waits in the queue, one holds a lent slot; the third's
    // execution is in neither (its queue entry is gone: its start failed, or it was never started).
    const [queued, leased, gone] = ['rds:queued-db', 'rds:leased-db', 'rds:gone-db'].map((name) => snapshotArn(name)) as [string, string, string];
    const nameOf = (arn: string) => executionName(parseSourceArn(arn)!, NOW);
    const { snapshots, exports, inFlight, starter, starts, calls } = ports(
      [snapshot('rds:queued-db', 5), snapshot('rds:leased-db', 4), snapshot('rds:gone-db', 3)],
      [],
      [],
      { queued: [nameOf(queued)], leased: [leased] },
    );

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(starts).toEqual([{ name: nameOf(gone), input: { sourceArn: gone } }]);
    expect(report).toMatchObject({ selected: 3, inFlight: 2, exported: 0, entries: [{ sourceArn: gone, outcome: 'started' }] });
    // The queue is read from the window's start (less a clock skew), not from its head: the backlog's old entries are not read.
    expect(calls.inFlightSince).toHaveLength(1);
    expect(NOW.getTime() - calls.inFlightSince[0]!.getTime()).toBe(24 * HOUR + 5 * 60_000);
  });

  it('lists no export tasks when every candidate is in flight (a backlog hour costs the listing and one read of the table)', async () => {
    // Prepare
    const names = ['rds:a-db', 'rds:b-db'];
    const { snapshots, exports, inFlight, starter, starts, calls } = ports(
      names.map((name) => snapshot(name, 2)),
      [],
      [],
      { queued: names.map((name) => executionName(parseSourceArn(snapshotArn(name))!, NOW)) },
    );

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(calls.exportsListed).toBe(0);
    expect(starts).toEqual([]);
    expect(report).toEqual({ listed: 2, selected: 2, inFlight: 2, exported: 0, entries: [] });
  });

  it('starts nothing for a snapshot with an export task, and restarts one whose execution left the queue without exporting', async () => {
    // Prepare: both executions left the queue; one exported, the other's is no more (no export task).
    const { snapshots, exports, inFlight, starter, starts } = ports([snapshot('rds:exported-db', 6), snapshot('rds:lost-db', 6)], [snapshotArn('rds:exported-db')]);

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(starts.map((start) => start.input)).toEqual([{ sourceArn: snapshotArn('rds:lost-db') }]);
    expect(report).toMatchObject({ selected: 2, inFlight: 0, exported: 1, entries: [{ outcome: 'started' }] });
  });

  it('goes on after a start fails, and reports the failure with its name', async () => {
    // Prepare: the "boom" snapshot's execution name starts with "boom", which the fake starter refuses.
    const { snapshots, exports, inFlight, starter, starts } = ports([snapshot('boom-1', 3, { type: 'manual' }), snapshot('rds:fine', 2)]);

    // Act
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings: SETTINGS }, NOW);

    // Assess
    expect(starts).toHaveLength(2);
    expect(report.entries.map((e) => [e.outcome, e.error?.name])).toEqual([
      ['failed', 'TransientAwsError'],
      ['started', undefined],
    ]);
  });
});

describe('RDS call pacing', () => {
  it('spaces calls at least the interval apart, the first at once', () => {
    // Prepare
    let now = 1000;
    const pacer = new Pacer(250, () => now);

    // Act
    const delays = [pacer.reserve(), pacer.reserve(), pacer.reserve()];
    now += 1000;
    delays.push(pacer.reserve());

    // Assess
    expect(delays).toEqual([0, 250, 500, 0]);
  });

  it('keeps the trigger and the sweep together under the account RDS budget, with room left for the workflow', () => {
    const total = Object.values(RDS_CALL_BUDGET).reduce((sum, caller) => sum + worstCaseRate(caller), 0);

    expect(total).toBeLessThan(RDS_REQUESTS_PER_SECOND);
  });
});

describe('reconciliation sweep over many places', () => {
  it('sweeps every place in its own account and region, and one that cannot be listed stops no other', async () => {
    // Prepare: the own account lists one missing snapshot, a member another; a third member's role is missing.
    const home = { account: '123456789012', region: 'eu-west-1' };
    const member = { account: '210000000001', region: 'eu-west-1' };
    const missing = { account: '210000000002', region: 'eu-west-1' };
    const memberSnapshot = { ...snapshot('rds:member', 1), arn: 'arn:aws:rds:eu-west-1:210000000001:snapshot:rds:member' };
    const common = ports([]);
    const listings = new Map([
      ['123456789012', ports([snapshot('rds:home', 1)])],
      ['210000000001', ports([memberSnapshot])],
    ]);
    const listingsOf = (place: { account: string }) => {
      const own = listings.get(place.account);
      if (own) return { ...own.snapshots, ...own.exports };
      const refused = async () => {
        throw new MemberAccessDenied(`Account ${place.account} (eu-west-1): this deployment cannot assume its role`);
      };
      return { createdSince: refused, exportedSources: refused };
    };

    // Act
    const report = await sweepPlaces([home, missing, member], listingsOf, { inFlight: common.inFlight, starter: common.starter, settings: SETTINGS }, NOW);

    // Assess
    expect(common.starts.map((start) => start.input)).toEqual([{ sourceArn: snapshotArn('rds:home') }, { sourceArn: memberSnapshot.arn }]);
    expect(report).toMatchObject({ places: 3, listed: 2, selected: 2 });
    expect(report.failedPlaces).toEqual([{ place: '210000000002/eu-west-1', error: { name: 'MemberAccessDenied', message: expect.stringContaining('cannot assume its role') } }]);
  });
});

describe('sweepFailure: what fails a sweep run', () => {
  const counts = { listed: 3, selected: 3, inFlight: 0, exported: 1 };

  it('is nothing when every missing snapshot was started and every place listed', () => {
    // Prepare
    const report = { ...counts, entries: [{ sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:a', executionName: 'a', outcome: 'started' as const }], failedPlaces: [] };
    // Act / Assess
    expect(sweepFailure(report)).toBeUndefined();
  });

  it('names the starts that failed and the places that could not be swept, in one ReconciliationFailed', () => {
    // Prepare
    const report = {
      ...counts,
      entries: [{ sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:a', executionName: 'a', outcome: 'failed' as const, error: { name: 'TransientAwsError', message: 'throttled' } }],
      failedPlaces: [{ place: '210000000000/eu-west-1', error: { name: 'MemberAccessDenied', message: 'no role' } }],
    };
    // Act
    const failure = sweepFailure(report);
    // Assess
    expect(failure).toBeInstanceOf(ReconciliationFailed);
    expect(failure?.message).toBe(
      '1 missing snapshot(s) could not be started, 1 place(s) could not be swept: arn:aws:rds:us-east-1:123456789012:snapshot:a: TransientAwsError; 210000000000/eu-west-1: MemberAccessDenied',
    );
  });
});
