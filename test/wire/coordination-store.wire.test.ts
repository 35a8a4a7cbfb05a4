/**
 * DynamoCoordinationStore against moto: the queue's depth counter as DynamoDB takes it (a reserved
 * word such as DEPTH must go through ExpressionAttributeNames, which the local simulator now checks
 * too). Found by the deploy rehearsal, where every admission failed on `ADD depth`.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoCoordinationStore } from '../../shared/slots/dynamodb-store.ts';
import type { QueueEntry } from '../../shared/slots/store.ts';
import type { Place } from '../../shared/accounts/place.ts';

const PLACE: Place = { account: '123456789012', region: 'us-east-1' };

const endpoint = inject('motoEndpoint');
const table = `coordination-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function entry(n: number): QueueEntry {
  return {
    exportId: `db-${n}-0123456789`,
    sourceArn: `arn:aws:rds:us-east-1:123456789012:snapshot:db-${n}`,
    token: `token-${n}`,
    release: {} as QueueEntry['release'],
    requestedAt: new Date(Date.UTC(2026, 11, 2, 3, n)).toISOString(),
    execution: `execution-${n}`,
  };
}

describe.skipIf(!endpoint)('DynamoCoordinationStore on moto', () => {
  let store: DynamoCoordinationStore;

  beforeAll(async () => {
    const dynamo = new DynamoDBClient({ endpoint: endpoint!, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }),
    );
    store = new DynamoCoordinationStore(dynamo, table);
  });

  it('counts the queue as entries are queued (once each, however often) and removed', async () => {
    await store.enqueue(PLACE, entry(1));
    await store.enqueue(PLACE, entry(2));
    await store.enqueue(PLACE, entry(2));
    expect(await store.depth()).toBe(2);

    await store.remove(PLACE, entry(1));
    await store.remove(PLACE, entry(1));
    expect(await store.depth()).toBe(1);
  });

  it('puts back a wait record taken for a failed callback only where no newer record took its place', async () => {
    const source = 'arn:aws:rds:us-east-1:123456789012:snapshot:db-restored';
    await store.swapWait(source, { token: 'token-1' });
    const taken = await store.takeWait(source);

    expect(await store.restoreWait(source, taken!)).toBe(true);
    expect(await store.restoreWait(source, { token: 'token-0' })).toBe(false);
    expect(await store.takeWait(source)).toEqual({ token: 'token-1' });
  });

  it('reads the queue from a time on (a key condition on the sort key, keys only) for the sweep', async () => {
    for (const n of [10, 11, 12]) await store.enqueue(PLACE, entry(n));
    await store.putLease(PLACE, { exportId: 'db-20-0123456789', sourceArn: entry(20).sourceArn, expiresAt: new Date(Date.UTC(2026, 11, 3)).toISOString() });

    const { executions, sources } = await store.inFlight(new Date(entry(11).requestedAt), [PLACE]);

    expect([...executions].sort()).toEqual(['execution-11', 'execution-12']);
    expect([...sources]).toEqual([entry(20).sourceArn]);
  });
});
