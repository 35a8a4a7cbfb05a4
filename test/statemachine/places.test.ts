import { describe, expect, it } from 'vitest';
import { placeKey, placeOfArn } from '../../shared/accounts/place.ts';
import { memberAccount, parseScenario, peakConcurrency, placesOf, runScenario, type ExportRecord } from '../../local/scenario.ts';

// One deployment, many accounts and regions (issue 14), on the real state machine: each place has
// its own export slots, and what happens in one place does not hold up another.

const byPlace = (exports: ExportRecord[]) => {
  const places = new Map<string, ExportRecord[]>();
  for (const record of exports) places.set(`${record.account}/${record.region}`, [...(places.get(`${record.account}/${record.region}`) ?? []), record]);
  return places;
};

describe('a fleet over many accounts and regions', () => {
  it('spreads the fleet over every place, exports each snapshot once, and keeps each place within its own quota', async () => {
    // Prepare: 24 snapshots over 3 accounts x 2 regions, 2 slots each: 4 per place.
    const scenario = parseScenario({ fleet: 24, accounts: 3, regions: ['us-east-1', 'eu-west-1'], quota: 2, exportSecondsRange: [600, 1200], seed: 7 });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.succeeded).toBe(24);
    expect(result.snapshotsExported).toBe(24);
    expect(result.snapshotsExportedTwice).toBe(0);
    const places = byPlace(result.exports);
    expect([...places.keys()].sort()).toEqual(placesOf(scenario).map(placeKey).sort());
    for (const [key, exports] of places) {
      expect(exports, key).toHaveLength(4);
      expect(peakConcurrency(exports), key).toBe(2);
      // The record's place is its source's.
      for (const record of exports) expect(placeKey(placeOfArn(record.sourceArn)!)).toBe(key);
    }
    // Together they ran 12 at once: six places' quotas, not one account's.
    expect(result.peakConcurrentExports).toBe(12);
    expect(result.places).toMatchObject({ count: 6, peakConcurrentExportsPerPlace: 2, placesOverQuota: 0, exportsPerPlace: { min: 4, max: 4 } });
    expect(result.makespanSeconds!).toBeLessThanOrEqual(1.5 * result.lowerBoundSeconds);
  });

  it('holds each place to its own quota: the default, its account\'s override, its own override', async () => {
    // Prepare: 6 snapshots per place; account 2 may run 1 at a time, account 3 in eu-west-1 3.
    const scenario = parseScenario({
      fleet: 36, accounts: 3, regions: ['us-east-1', 'eu-west-1'], quota: 2, exportSecondsRange: [600, 900], seed: 5,
      quotaOverrides: `${memberAccount(2)}=1,${memberAccount(3)}/eu-west-1=3`,
    });

    // Act
    const result = await runScenario(scenario);

    // Assess
    expect(result.snapshotsExported).toBe(36);
    const peaks = Object.fromEntries([...byPlace(result.exports)].map(([key, exports]) => [key, peakConcurrency(exports)]));
    expect(peaks).toEqual({
      [`${memberAccount(1)}/us-east-1`]: 2, [`${memberAccount(1)}/eu-west-1`]: 2,
      [`${memberAccount(2)}/us-east-1`]: 1, [`${memberAccount(2)}/eu-west-1`]: 1,
      [`${memberAccount(3)}/us-east-1`]: 2, [`${memberAccount(3)}/eu-west-1`]: 3,
    });
    expect(result.places?.placesOverQuota).toBe(0);
    expect(result.apiCalls.StartExportTask).toBe(36);
  });

  it('starts every place\'s first exports at once: no place waits behind another\'s backlog', async () => {
    // Prepare: 10 snapshots per place; the dispatcher serves each place from its own queue.
    const result = await runScenario(parseScenario({ fleet: 40, accounts: 2, regions: ['us-east-1', 'ap-southeast-2'], quota: 2, exportSecondsRange: [1800, 3600], seed: 3 }));

    // Assess: in every place, two exports start within the first minute (the trigger's pacing), the
    // rest as slots free there.
    for (const [key, exports] of byPlace(result.exports)) {
      const starts = exports.map((e) => e.startedAt).sort((a, b) => a - b);
      expect(starts[1], key).toBeLessThan(60);
      expect(starts[2], key).toBeGreaterThan(1800);
    }
  });

  it('makes up for the snapshot events lost in any place: the hourly sweep lists every account and region', async () => {
    // Prepare: a quarter of the snapshot-created events never arrive, in members' Regions as in the own one.
    const result = await runScenario(parseScenario({ fleet: 24, accounts: 3, regions: ['us-east-1', 'eu-west-1'], quota: 2, exportSecondsRange: [600, 1200], seed: 9, lostSnapshotEvents: 0.25 }));

    // Assess: every snapshot exported once, the lost ones by the sweep, in their own places.
    expect(result.snapshotEventsLost).toBeGreaterThan(2);
    expect(result.snapshotsExported).toBe(24);
    expect(result.snapshotsExportedTwice).toBe(0);
    expect(result.sweep.startExecutions).toBe(result.snapshotEventsLost);
    expect(result.places).toMatchObject({ placesOverQuota: 0, exportsPerPlace: { min: 4, max: 4 } });
  });

  it('goes on in the other accounts while one account\'s RDS throttles; that account\'s exports are still followed to their end and notified', async () => {
    // Prepare: account 2 answers 60 % of its RDS calls with Throttling, in both regions.
    const fleet = { fleet: 24, accounts: 3, regions: ['us-east-1', 'eu-west-1'], quota: 2, exportSecondsRange: [600, 1200] as [number, number], seed: 11 };
    const calm = await runScenario(parseScenario(fleet));

    // Act
    const throttled = await runScenario(parseScenario({ ...fleet, placeThrottles: [{ account: 2, rate: 0.6 }] }));

    // Assess: every export started is followed to its real end, the throttled account's too; a
    // snapshot whose trigger gave up on the throttling is parked in the trigger's dead letters, and
    // the sweep, which lists every place, exports it all the same.
    expect(throttled.snapshotsExportedTwice).toBe(0);
    expect(throttled.exportsFollowedToRealEnd).toBe(throttled.exportsStarted);
    expect(throttled.triggerDeadLetters).toBeGreaterThan(0);
    expect(throttled.snapshotsExported).toBe(24);
    expect(throttled.exports.filter((e) => e.account === memberAccount(2)).length).toBeGreaterThan(4);
    expect(throttled.apiCalls.DescribeExportTasks!).toBeGreaterThan(calm.apiCalls.DescribeExportTasks!);
    const endOf = (result: typeof calm, account: string) => Math.max(...result.exports.filter((e) => e.account === account).map((e) => e.endedAt!));
    // The other accounts finish when they would have without it.
    for (const account of [memberAccount(1), memberAccount(3)]) expect(endOf(throttled, account)).toBe(endOf(calm, account));
    // Each export's end is notified, the throttled account's as the others'.
    expect(throttled.notifications.filter((n) => n.status === 'COMPLETE')).toHaveLength(throttled.exportsStarted);
  });
});
