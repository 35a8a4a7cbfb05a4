import { describe, expect, it } from 'vitest';
import { placeKey, placeOfArn } from '../../shared/accounts/place.ts';
import { admitExport } from '../../shared/workflow/admit-export.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import { defaults, REQUESTED_AT, SNAPSHOT_ARN } from '../support/requests.ts';
import { MemoryCoordinationStore } from '../support/stores.ts';

// Admission queues an execution in its source's place and dispatches that place; after a start
// refused for the quota it makes the dispatch look at RDS afresh.

const PLACE = placeOfArn(SNAPSHOT_ARN)!;
const NOW = new Date(REQUESTED_AT.getTime() + 1000);

function slots(store: MemoryCoordinationStore, running: number) {
  const calls: string[] = [];
  const deps: DispatchDeps = {
    store,
    exports: { active: async (place) => (calls.push(placeKey(place)), Array.from({ length: running }, (_, n) => ({ exportId: `busy-${n}`, sourceArn: `arn:aws:rds:${place.region}:${place.account}:snapshot:busy-${n}` }))) },
    callbacks: { succeed: async () => true, fail: async () => true },
    quota: () => 5,
    leaseSeconds: 600,
    slotWaitLimitSeconds: 30 * 86400,
  };
  return { deps, calls };
}

const admission = (execution: string) => ({ token: `token-${execution}`, input: { sourceArn: SNAPSHOT_ARN }, requestedAt: REQUESTED_AT.toISOString(), execution });

describe('admitExport', () => {
  it('queues the execution in its source\'s place and dispatches that place', async () => {
    const store = new MemoryCoordinationStore();
    const { deps, calls } = slots(store, 5);

    const { dispatch } = await admitExport(admission('first'), defaults, deps, NOW);

    expect(dispatch).toMatchObject({ released: [], active: 5 });
    expect(calls).toEqual([placeKey(PLACE)]);
    expect(store.at(PLACE).queue.size).toBe(1);
  });

  it('counts on the place\'s recent reading of RDS, except when it comes back from a start refused for the quota', async () => {
    // Prepare: a full place read a moment ago; the second execution's start was refused (its lease is there).
    const store = new MemoryCoordinationStore();
    const { deps, calls } = slots(store, 5);
    await admitExport(admission('first'), defaults, deps, NOW);
    await admitExport(admission('second'), defaults, deps, new Date(NOW.getTime() + 100));
    const exportId = [...store.at(PLACE).queue.values()][0]!.exportId;
    await store.putLease(PLACE, { exportId, sourceArn: SNAPSHOT_ARN, expiresAt: new Date(NOW.getTime() + 600_000).toISOString() });

    // Act
    await admitExport(admission('first'), defaults, deps, new Date(NOW.getTime() + 200));

    // Assess: one look for the first two, a fresh one for the refused; its lease is gone.
    expect(calls).toHaveLength(2);
    expect(store.at(PLACE).leaseMap.size).toBe(0);
  });
});
