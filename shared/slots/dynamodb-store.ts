import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { parsePlaceKey, placeKey, placeOfArn, type Place } from '../accounts/place.ts';
import { awsErrorName, toWorkflowError } from '../runtime/aws-errors.ts';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';
import type { ActiveReading, CoordinationStore, InFlight, InFlightExecutions, Lease, QueueEntry, QueuePage, WaitingPlace, WaitRecord } from './store.ts';

const WAIT = 'WAIT';
const DISPATCHER = 'DISPATCHER';
const CANCEL = 'CANCEL';
/** The one queue of the account before the queue was kept per place (read only to move its entries). */
const LEGACY_QUEUE = 'QUEUE';
/** On the places item: when the queue of before was first found empty (no place key has this form). */
const LEGACY_QUEUE_EMPTY_SINCE = 'legacyQueueEmptySince';
/** How long the queue of before must have been empty before no tick looks at it again. */
const LEGACY_QUEUE_SETTLE_MS = 15 * 60_000;
/** Entries of the queue of before moved per look (one a tick). */
const LEGACY_ENTRIES_PER_CALL = 100;
/** The item that lists the places where executions wait: one number attribute per place, named by its key. */
const PLACES = 'places';

/** Each place's partitions: its queue, its lent slots, its dispatcher's lock, round requests and RDS reading. */
const queueOf = (place: Place) => `QUEUE#${placeKey(place)}`;
const leasesOf = (place: Place) => `LEASE#${placeKey(place)}`;
const dispatcherOf = (place: Place) => `DISPATCHER#${placeKey(place)}`;

/**
 * How long DynamoDB keeps a wait or cancel record nobody took (an export whose execution was
 * stopped, a cancel asked for an export that ended), from its last write. Each wait rewrites its
 * record, so no live wait is that old; expired records are deleted by the table's TTL (`ttl`).
 */
export const RECORD_TTL_SECONDS = 30 * 86400;
/** A lease outlives its own expiry by a day before TTL removes it, in case no dispatch drops it first. */
const LEASE_TTL_GRACE_SECONDS = 86400;

/**
 * One DynamoDB table (pk, sk strings; the payload as JSON in `data`; `ttl` in epoch seconds on the
 * records that may be left behind). Each place's queue is the partition `QUEUE#<account>/<region>`,
 * sorted by request time (the sort key starts with it), so the dispatcher reads it from the head with
 * Limit-ed Queries: what a dispatch reads is bounded by the free slots, never by the queue's length
 * nor by other places' queues. Its leases are `LEASE#<place>`, its lock, round requests and RDS
 * reading `DISPATCHER#<place>`. One item (DISPATCHER, places) counts the entries of each place, so
 * the periodic tick finds the places to dispatch with one read. Reads that decide who gets a slot
 * are strongly consistent: an entry just removed is never seen, and answered, again.
 */
export class DynamoCoordinationStore implements CoordinationStore, InFlightExecutions {
  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async enqueue(place: Place, entry: QueueEntry): Promise<void> {
    // Counted before it is written, so a crash between the two leaves the count high (the tick reads
    // an empty queue once), never low (a place with entries the tick would not know of). A retried
    // enqueue of the same execution overwrites itself, and is counted once.
    await this.count(place, 1);
    if ((await this.put(queueOf(place), queueKey(entry), entry)) !== undefined) await this.count(place, -1);
  }

  async waitingPlaces(): Promise<WaitingPlace[]> {
    let item = await this.placesItem();
    // Until the single queue of before has been found empty for a while, its entries are moved first.
    if (!this.legacyQueueMoved(item) && (await this.adoptLegacyQueue(LEGACY_ENTRIES_PER_CALL, item)) > 0) item = await this.placesItem();
    return Object.entries(item ?? {}).flatMap(([name, value]) => {
      const place = parsePlaceKey(name);
      return place && value.N !== undefined ? [{ place, depth: Number(value.N) }] : [];
    });
  }

  private async placesItem(): Promise<Record<string, AttributeValue> | undefined> {
    try {
      return (await this.dynamo.send(new GetItemCommand({ TableName: this.tableName, Key: key(DISPATCHER, PLACES), ConsistentRead: true }))).Item;
    } catch (error) {
      throw toWorkflowError('DynamoDB GetItem', error);
    }
  }

  /**
   * The single queue of before was found empty LEGACY_QUEUE_SETTLE_MS ago or longer (long enough
   * for an admission of the version before, still running during the deployment, to have ended).
   */
  private legacyQueueMoved(item: Record<string, AttributeValue> | undefined): boolean {
    const since = item?.[LEGACY_QUEUE_EMPTY_SINCE]?.S;
    return since !== undefined && this.clock() - Date.parse(since) >= LEGACY_QUEUE_SETTLE_MS;
  }

  /**
   * Moves entries of the queue kept for the whole account before (partition QUEUE: a deployment
   * upgraded with executions waiting) to their places' queues, at most `limit`; returns how many.
   * Found empty, it notes since when on the places item: after LEGACY_QUEUE_SETTLE_MS of that, no
   * tick looks again.
   */
  async adoptLegacyQueue(limit: number, item?: Record<string, AttributeValue>): Promise<number> {
    // A key-only, eventually consistent probe: half a read unit (an entry it misses, the next tick moves).
    if ((await this.query(LEGACY_QUEUE, { limit: 1, keysOnly: true, consistent: false })).items.length === 0) {
      if (item?.[LEGACY_QUEUE_EMPTY_SINCE] === undefined) await this.noteLegacyQueueEmpty();
      return 0;
    }
    const { items } = await this.query(LEGACY_QUEUE, { limit });
    let moved = 0;
    for (const item of items) {
      const entry = JSON.parse(item.data?.S ?? 'null') as QueueEntry | null;
      const place = entry ? placeOfArn(entry.sourceArn) : undefined;
      // Written first, then taken off the old partition: a crash between leaves it in both, and the
      // next tick writes the same entry again (an enqueue of the same execution keeps one).
      if (entry && place) await this.enqueue(place, entry);
      if (place || !entry) {
        await this.delete(LEGACY_QUEUE, item.sk?.S ?? '');
        moved++;
      }
    }
    // The single queue's depth counter goes with it.
    await this.delete(DISPATCHER, 'depth');
    return moved;
  }

  private async noteLegacyQueueEmpty(): Promise<void> {
    await this.updatePlaces('SET #name = :value', LEGACY_QUEUE_EMPTY_SINCE, { S: new Date(this.clock()).toISOString() });
  }

  async forgetPlace(place: Place): Promise<void> {
    // Queued again meanwhile (or already forgotten): it stays listed.
    await this.updatePlaces('REMOVE #name', placeKey(place), { N: '0' }, '#name <= :value');
  }

  /** One attribute (`#name`, `:value`) of the places item; false when `condition` does not hold. */
  private async updatePlaces(expression: string, name: string, value: AttributeValue, condition?: string): Promise<boolean> {
    try {
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(DISPATCHER, PLACES),
          UpdateExpression: expression,
          ...(condition ? { ConditionExpression: condition } : {}),
          ExpressionAttributeNames: { '#name': name },
          ExpressionAttributeValues: { ':value': value },
        }),
      );
      return true;
    } catch (error) {
      if (condition && awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw toWorkflowError('DynamoDB UpdateItem', error);
    }
  }

  async depth(): Promise<number> {
    return (await this.waitingPlaces()).reduce((sum, { depth }) => sum + Math.max(0, depth), 0);
  }

  /** A place's count moves with each entry added or removed (ADD on the place's own attribute of one item). */
  private async count(place: Place, delta: number): Promise<void> {
    await this.updatePlaces('ADD #name :value', placeKey(place), { N: String(delta) });
  }

  async oldestRequestedAt(place: Place): Promise<string | undefined> {
    const { items } = await this.query(queueOf(place), { limit: 1, keysOnly: true });
    return items[0]?.sk?.S?.split('#')[0];
  }

  async oldest(place: Place, limit: number, after?: string): Promise<QueuePage> {
    const { items, last } = await this.query(queueOf(place), { limit, ...(after !== undefined ? { after } : {}) });
    return { entries: items.map((item) => JSON.parse(item.data?.S ?? 'null') as QueueEntry), ...(last !== undefined ? { next: last } : {}) };
  }

  async remove(place: Place, entry: QueueEntry): Promise<void> {
    if ((await this.delete(queueOf(place), queueKey(entry))) !== undefined) await this.count(place, -1);
  }

  /**
   * The queue from `since` on (its sort key starts with the request time), keys only, eventually
   * consistent: an entry queued a moment ago and missed is an execution whose start answers as
   * itself. What it reads is the executions started in the window, not the whole backlog.
   */
  async inFlight(since: Date, places: Place[]): Promise<InFlight> {
    const executions = new Set<string>();
    const sources = new Set<string>();
    for (const place of places) {
      let after: string | undefined;
      do {
        const page = await this.query(queueOf(place), { keysOnly: true, consistent: false, from: since.toISOString(), ...(after !== undefined ? { after } : {}) });
        for (const item of page.items) {
          const sk = item.sk?.S ?? '';
          executions.add(sk.slice(sk.indexOf('#') + 1));
        }
        after = page.last;
      } while (after !== undefined);
      for (const lease of await this.leases(place)) sources.add(lease.sourceArn);
    }
    return { executions, sources };
  }

  async putLease(place: Place, lease: Lease): Promise<void> {
    await this.put(leasesOf(place), lease.exportId, lease, Math.ceil(Date.parse(lease.expiresAt) / 1000) + LEASE_TTL_GRACE_SECONDS);
  }

  async leases(place: Place): Promise<Lease[]> {
    const leases: Lease[] = [];
    let after: string | undefined;
    do {
      const page = await this.query(leasesOf(place), after !== undefined ? { after } : {});
      for (const item of page.items) leases.push(JSON.parse(item.data?.S ?? 'null') as Lease);
      after = page.last;
    } while (after !== undefined);
    return leases;
  }

  async dropLease(place: Place, exportId: string): Promise<boolean> {
    return (await this.delete(leasesOf(place), exportId)) !== undefined;
  }

  async activeReading(place: Place): Promise<ActiveReading | undefined> {
    try {
      const { Item } = await this.dynamo.send(new GetItemCommand({ TableName: this.tableName, Key: key(dispatcherOf(place), 'reading'), ConsistentRead: true }));
      return Item?.data?.S === undefined ? undefined : (JSON.parse(Item.data.S) as ActiveReading);
    } catch (error) {
      throw toWorkflowError('DynamoDB GetItem', error);
    }
  }

  async putActiveReading(place: Place, reading: ActiveReading): Promise<void> {
    await this.put(dispatcherOf(place), 'reading', reading, this.recordTtl());
  }

  async swapWait(sourceArn: string, record: WaitRecord): Promise<WaitRecord | undefined> {
    return parse(await this.put(WAIT, sourceArn, record, this.recordTtl()));
  }

  async takeWait(sourceArn: string): Promise<WaitRecord | undefined> {
    return parse(await this.delete(WAIT, sourceArn));
  }

  async restoreWait(sourceArn: string, record: WaitRecord): Promise<boolean> {
    try {
      await this.dynamo.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...key(WAIT, sourceArn), data: { S: JSON.stringify(record) }, ttl: { N: String(this.recordTtl()) } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw toWorkflowError('DynamoDB PutItem', error);
    }
  }

  async requestCancel(exportId: string, requestedBy: string): Promise<void> {
    await this.put(CANCEL, exportId.toLowerCase(), { requestedBy }, this.recordTtl());
  }

  async takeCancelRequest(exportId: string): Promise<boolean> {
    return (await this.delete(CANCEL, exportId.toLowerCase())) !== undefined;
  }

  async tryLock(place: Place, now: Date, holdSeconds: number): Promise<boolean> {
    try {
      await this.dynamo.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...key(dispatcherOf(place), 'lock'), expiresAt: { N: String(now.getTime() + holdSeconds * 1000) } },
          // A crashed holder's lock expires rather than blocking the queue for good.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } },
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw toWorkflowError('DynamoDB PutItem', error);
    }
  }

  async unlock(place: Place): Promise<void> {
    await this.delete(dispatcherOf(place), 'lock');
  }

  async markDirty(place: Place, notBefore: string): Promise<void> {
    await this.put(dispatcherOf(place), 'dirty', { notBefore });
  }

  async takeDirty(place: Place): Promise<string | undefined> {
    const data = await this.delete(dispatcherOf(place), 'dirty');
    return data === undefined ? undefined : ((JSON.parse(data) as { notBefore?: string }).notBefore ?? new Date(this.clock()).toISOString());
  }

  private recordTtl(): number {
    return Math.ceil(this.clock() / 1000) + RECORD_TTL_SECONDS;
  }

  private async put(pk: string, sk: string, value: unknown, ttl?: number): Promise<string | undefined> {
    try {
      const { Attributes } = await this.dynamo.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...key(pk, sk), data: { S: JSON.stringify(value) }, ...(ttl !== undefined ? { ttl: { N: String(ttl) } } : {}) },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes?.data?.S;
    } catch (error) {
      throw toWorkflowError('DynamoDB PutItem', error);
    }
  }

  private async delete(pk: string, sk: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.dynamo.send(
        new DeleteItemCommand({ TableName: this.tableName, Key: key(pk, sk), ReturnValues: 'ALL_OLD' }),
      );
      return Attributes?.data?.S;
    } catch (error) {
      throw toWorkflowError('DynamoDB DeleteItem', error);
    }
  }

  /**
   * One page of a partition in sort-key order, from the sort key `from` on when given; `keysOnly`
   * projects the keys (the head probe). Strongly consistent unless told otherwise.
   */
  private async query(
    pk: string,
    { limit, after, from, keysOnly = false, consistent = true }: { limit?: number; after?: string; from?: string; keysOnly?: boolean; consistent?: boolean },
  ): Promise<{ items: Array<Record<string, AttributeValue>>; last?: string }> {
    try {
      const page = await this.dynamo.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: from !== undefined ? 'pk = :pk AND sk >= :from' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk }, ...(from !== undefined ? { ':from': { S: from } } : {}) },
          ConsistentRead: consistent,
          ...(limit !== undefined ? { Limit: limit } : {}),
          ...(keysOnly ? { ProjectionExpression: 'sk' } : {}),
          ...(after !== undefined ? { ExclusiveStartKey: key(pk, after) } : {}),
        }),
      );
      const last = page.LastEvaluatedKey?.sk?.S;
      return { items: page.Items ?? [], ...(last !== undefined ? { last } : {}) };
    } catch (error) {
      throw toWorkflowError('DynamoDB Query', error);
    }
  }
}

/** Sorted by the execution's start time: first come, first served. */
function queueKey(entry: QueueEntry): string {
  return `${entry.requestedAt}#${entry.execution}`;
}

function parse(data: string | undefined): WaitRecord | undefined {
  return data === undefined ? undefined : (JSON.parse(data) as WaitRecord);
}

function key(pk: string, sk: string): Record<string, AttributeValue> {
  return { pk: { S: pk }, sk: { S: sk } };
}

export const coordinationStore = (tableName: string, clientConfig: DynamoDBClientConfig = {}, clock: () => number = Date.now): DynamoCoordinationStore =>
  new DynamoCoordinationStore(new DynamoDBClient({ ...SDK_OPTIONS, ...clientConfig }), tableName, clock);
