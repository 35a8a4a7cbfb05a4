import { describe, expect, it } from 'vitest';
import { coordinationStore, DynamoCoordinationStore, RECORD_TTL_SECONDS } from '../../shared/slots/dynamodb-store.ts';
import type { QueueEntry } from '../../shared/slots/store.ts';
import type { Place } from '../../shared/accounts/place.ts';

const PLACE: Place = { account: '123456789012', region: 'us-east-1' };
import { ASL_ERROR_NAMES } from '../../shared/runtime/errors.ts';
import { recordForFailure, renderNotification } from '../../shared/notify/record.ts';
import { jsonHandler } from '../../local/aws-json.ts';
import { DynamoDbSimulator, itemSize } from '../../local/dynamodb-simulator.ts';

// The DynamoDB adapter of the slot queue against the simulator, through the real SDK client, and
// the simulator's metering of request units as DynamoDB bills them.

const TABLE = 'coordination';
const NOW_MS = Date.parse('2026-11-23T12:00:00Z');

function storeOnSimulator(): { store: DynamoCoordinationStore; dynamo: DynamoDbSimulator } {
  const dynamo = new DynamoDbSimulator(TABLE);
  const store = coordinationStore(TABLE, { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: jsonHandler(dynamo) }, () => NOW_MS);
  return { store, dynamo };
}

function entry(n: number): QueueEntry {
  const requestedAt = new Date(NOW_MS - (1000 - n) * 60_000).toISOString();
  return {
    exportId: `snap-${n}`,
    sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:snap-${n}`,
    token: 'x'.repeat(700), // task tokens are long
    requestedAt,
    execution: `execution-${n}`,
    release: { request: { exportId: `snap-${n}`, requestedAt, deadline: requestedAt } as never, bounds: { minSeconds: 60, maxSeconds: 3600 } },
  };
}

describe('DynamoCoordinationStore', () => {
  it('reads the queue from its head, oldest first, a Limit-ed page at a time', async () => {
    const { store } = storeOnSimulator();
    for (const n of [5, 3, 9, 1, 7]) await store.enqueue(PLACE, entry(n));

    const first = await store.oldest(PLACE, 2);
    const second = await store.oldest(PLACE, 2, first.next);

    expect(await store.oldestRequestedAt(PLACE)).toBe(entry(1).requestedAt);
    expect(first.entries.map((e) => e.exportId)).toEqual(['snap-1', 'snap-3']);
    expect(second.entries.map((e) => e.exportId)).toEqual(['snap-5', 'snap-7']);
  });

  it('keeps one entry for an execution queued twice, and removes one that is already gone without error', async () => {
    const { store } = storeOnSimulator();
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(PLACE, entry(1));

    expect(await store.depth()).toBe(1);

    await store.remove(PLACE, entry(1));
    await store.remove(PLACE, entry(1));

    expect(await store.oldestRequestedAt(PLACE)).toBeUndefined();
    expect(await store.depth()).toBe(0);
  });

  it('counts the queue without reading it: the depth is one item', async () => {
    const { store, dynamo } = storeOnSimulator();
    for (let n = 1; n <= 300; n++) await store.enqueue(PLACE, entry(n));
    await store.remove(PLACE, entry(7));
    const before = dynamo.consumed.itemsRead;

    expect(await store.depth()).toBe(299);
    expect(dynamo.consumed.itemsRead - before).toBe(1);
  });

  it('puts a TTL on wait, cancel and lease records, and none on queue entries', async () => {
    const { store, dynamo } = storeOnSimulator();
    await store.enqueue(PLACE, entry(1));
    await store.swapWait('arn:source', { token: 't' });
    await store.requestCancel('snap-1', 'ops');
    await store.putLease(PLACE, { exportId: 'snap-1', sourceArn: 'arn:source', expiresAt: new Date(NOW_MS + 600_000).toISOString() });

    const ttlOf = (pk: string) => dynamo.items().find((item) => item.pk?.S === pk)?.ttl?.N;

    expect(Number(ttlOf('WAIT'))).toBe(NOW_MS / 1000 + RECORD_TTL_SECONDS);
    expect(Number(ttlOf('CANCEL'))).toBe(NOW_MS / 1000 + RECORD_TTL_SECONDS);
    expect(Number(ttlOf('LEASE#123456789012/us-east-1'))).toBe(NOW_MS / 1000 + 600 + 86400);
    expect(ttlOf('QUEUE#123456789012/us-east-1')).toBeUndefined();
  });

  it('tells the sweep which executions are queued since a time (from the keys, reading only that part of the queue) and which sources hold a slot', async () => {
    // Prepare: a backlog of 500, the newest 10 within the window; one export holds a lent slot.
    const { store, dynamo } = storeOnSimulator();
    for (let n = 1; n <= 500; n++) await store.enqueue(PLACE, entry(n));
    await store.putLease(PLACE, { exportId: 'snap-900', sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:snap-900', expiresAt: new Date(NOW_MS + 600_000).toISOString() });
    const before = dynamo.consumed.itemsRead;

    // Act
    const { executions, sources } = await store.inFlight(new Date(entry(491).requestedAt), [PLACE]);

    // Assess
    expect([...executions]).toEqual(Array.from({ length: 10 }, (_, i) => `execution-${491 + i}`));
    expect([...sources]).toEqual(['arn:aws:rds:us-east-1:123456789012:snapshot:snap-900']);
    expect(dynamo.consumed.itemsRead - before).toBe(10 + 1);
  });

  it('costs a dispatch probe of a long queue what one item costs, not what the queue holds', async () => {
    const { store, dynamo } = storeOnSimulator();
    for (let n = 1; n <= 500; n++) await store.enqueue(PLACE, entry(n));
    const before = { ...dynamo.consumed };

    await store.oldestRequestedAt(PLACE);
    await store.oldest(PLACE, 3);

    expect(dynamo.consumed.itemsRead - before.itemsRead).toBe(4);
    expect(dynamo.consumed.rru - before.rru).toBe(2); // two strongly consistent reads, each under 4 KB
  });
});

describe('DynamoCoordinationStore per account and region', () => {
  const OTHER: Place = { account: '210987654321', region: 'eu-west-1' };
  const entryIn = (place: Place, n: number): QueueEntry => ({ ...entry(n), sourceArn: `arn:aws:rds:${place.region}:${place.account}:snapshot:snap-${n}` });

  it('keeps each place\'s queue and leases apart, and lists the places where executions wait with one item read', async () => {
    // Prepare
    const { store, dynamo } = storeOnSimulator();
    for (let n = 1; n <= 3; n++) await store.enqueue(PLACE, entry(n));
    await store.enqueue(OTHER, entryIn(OTHER, 9));
    await store.putLease(OTHER, { exportId: 'snap-9', sourceArn: entryIn(OTHER, 9).sourceArn, expiresAt: new Date(NOW_MS + 600_000).toISOString() });
    const before = dynamo.consumed.itemsRead;

    // Act
    const waiting = await store.waitingPlaces();

    // Assess
    expect(dynamo.consumed.itemsRead - before).toBe(1);
    expect(waiting).toEqual([{ place: PLACE, depth: 3 }, { place: OTHER, depth: 1 }]);
    expect((await store.oldest(OTHER, 10)).entries.map((e) => e.exportId)).toEqual(['snap-9']);
    expect(await store.oldestRequestedAt(OTHER)).toBe(entry(9).requestedAt);
    expect(await store.leases(PLACE)).toEqual([]);
    expect((await store.leases(OTHER)).map((lease) => lease.exportId)).toEqual(['snap-9']);
    expect(await store.depth()).toBe(4);
  });

  it('forgets a place once its queue is empty, but not one that was queued again', async () => {
    const { store } = storeOnSimulator();
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(OTHER, entryIn(OTHER, 2));
    await store.remove(PLACE, entry(1));
    await store.remove(OTHER, entryIn(OTHER, 2));
    await store.enqueue(OTHER, entryIn(OTHER, 3));

    await store.forgetPlace(PLACE);
    await store.forgetPlace(OTHER);

    expect(await store.waitingPlaces()).toEqual([{ place: OTHER, depth: 1 }]);
  });

  it('counts an entry before writing it: a failed write leaves its place listed (counted high), never an entry the tick would not find', async () => {
    // Prepare: the entry's PutItem fails after its count went through.
    const { store, dynamo } = storeOnSimulator();
    const handle = dynamo.handle.bind(dynamo);
    dynamo.handle = (operation, body) => {
      if (operation === 'PutItem') throw new Error('the Lambda was cut off');
      return handle(operation, body);
    };

    await expect(store.enqueue(OTHER, entryIn(OTHER, 1))).rejects.toThrow();

    expect(await store.waitingPlaces()).toEqual([{ place: OTHER, depth: 1 }]);
  });

  it('shares a place\'s reading of RDS, and asks for one more round with the oldest reading it may use', async () => {
    const { store } = storeOnSimulator();
    await store.putActiveReading(OTHER, { at: '2026-11-23T12:00:00.000Z', active: [{ exportId: 'snap-1', sourceArn: entryIn(OTHER, 1).sourceArn }] });
    await store.markDirty(OTHER, '2026-11-23T12:00:01.000Z');

    expect(await store.activeReading(PLACE)).toBeUndefined();
    expect((await store.activeReading(OTHER))?.active).toHaveLength(1);
    expect(await store.takeDirty(PLACE)).toBeUndefined();
    expect(await store.takeDirty(OTHER)).toBe('2026-11-23T12:00:01.000Z');
    expect(await store.takeDirty(OTHER)).toBeUndefined();
  });

  it('moves the entries of the single queue of before (a deployment upgraded with executions waiting) to their places as the tick lists the places', async () => {
    // Prepare: two entries and the depth counter as the version before places wrote them.
    const { store, dynamo } = storeOnSimulator();
    for (const queued of [entry(1), entryIn(OTHER, 2)]) {
      dynamo.handle('PutItem', { TableName: TABLE, Item: { pk: { S: 'QUEUE' }, sk: { S: `${queued.requestedAt}#${queued.execution}` }, data: { S: JSON.stringify(queued) } } });
    }
    dynamo.handle('UpdateItem', { TableName: TABLE, Key: { pk: { S: 'DISPATCHER' }, sk: { S: 'depth' } }, UpdateExpression: 'ADD #depth :delta', ExpressionAttributeNames: { '#depth': 'depth' }, ExpressionAttributeValues: { ':delta': { N: '2' } } });

    // Act
    const waiting = await store.waitingPlaces();

    // Assess
    expect(waiting).toEqual([{ place: PLACE, depth: 1 }, { place: OTHER, depth: 1 }]);
    expect((await store.oldest(PLACE, 10)).entries.map((e) => e.exportId)).toEqual(['snap-1']);
    expect((await store.oldest(OTHER, 10)).entries.map((e) => e.exportId)).toEqual(['snap-2']);
    expect(dynamo.items().filter((item) => item.pk?.S === 'QUEUE' || item.sk?.S === 'depth')).toEqual([]);
  });

  it('stops looking at the queue of before once it has been empty for 15 minutes: the tick then reads the places item alone', async () => {
    // Prepare: a store whose clock moves.
    const dynamo = new DynamoDbSimulator(TABLE);
    let now = NOW_MS;
    const store = coordinationStore(TABLE, { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler: jsonHandler(dynamo) }, () => now);
    const queries = () => dynamo.calls.Query ?? 0;

    // Act / Assess: looked at (and found empty) for 15 minutes, then not at all.
    await store.waitingPlaces();
    now += 10 * 60_000;
    await store.waitingPlaces();
    expect(queries()).toBe(2);
    now += 5 * 60_000;
    await store.waitingPlaces();
    await store.waitingPlaces();
    expect(queries()).toBe(2);
  });

  it('locks per place', async () => {
    const { store } = storeOnSimulator();
    const now = new Date(NOW_MS);

    expect(await store.tryLock(PLACE, now, 60)).toBe(true);
    expect(await store.tryLock(PLACE, now, 60)).toBe(false);
    expect(await store.tryLock(OTHER, now, 60)).toBe(true);
    await store.unlock(PLACE);
    expect(await store.tryLock(PLACE, now, 60)).toBe(true);
  });
});

describe('DynamoDbSimulator metering', () => {
  it('charges reads per 4 KB of items read (half when eventually consistent) and writes per 1 KB, at least one unit', () => {
    const dynamo = new DynamoDbSimulator(TABLE);
    const big = { pk: { S: 'P' }, sk: { S: 'a' }, data: { S: 'x'.repeat(5000) } };
    dynamo.handle('PutItem', { TableName: TABLE, Item: big });
    dynamo.handle('PutItem', { TableName: TABLE, Item: { pk: { S: 'P' }, sk: { S: 'b' } } });

    expect(dynamo.consumed.wru).toBe(5 + 1);
    dynamo.handle('Query', { TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'P' } }, ConsistentRead: true, ProjectionExpression: 'sk' });
    expect(dynamo.consumed.rru).toBe(2); // projected or not, the whole items are read
    dynamo.handle('Query', { TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'Q' } } });
    expect(dynamo.consumed.rru).toBe(2.5);
    dynamo.handle('DeleteItem', { TableName: TABLE, Key: { pk: { S: 'P' }, sk: { S: 'a' } } });
    expect(dynamo.consumed.wru).toBe(6 + 5);
    expect(itemSize(big)).toBe(2 + 1 + 2 + 1 + 4 + 5000);
  });
});

describe('the slot wait limit', () => {
  it('is notified as TIMED_OUT, saying nothing was started and what to do', () => {
    const notification = renderNotification(
      recordForFailure({ error: { Error: ASL_ERROR_NAMES.slotWaitTimedOut, Cause: 'The export waited for a free export slot since 2026-10-01T00:00:00Z, longer than the slot wait limit (30 days); nothing was started.' }, input: { sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:snap-1' } }, new Date(NOW_MS)),
    );

    expect(notification.attributes.status).toBe('TIMED_OUT');
    expect(notification.subject).toMatch(/^Export TIMED_OUT: /);
    expect(notification.body).toMatch(/slot wait limit/);
    expect(notification.body).toMatch(/Raise slotWaitLimitSeconds/);
  });
});
