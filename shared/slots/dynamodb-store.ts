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
import { awsErrorName, toWorkflowError } from '../runtime/aws-errors.ts';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';
import type { CoordinationStore, InFlight, InFlightExecutions, Lease, QueueEntry, QueuePage, WaitRecord } from './store.ts';

const QUEUE = 'QUEUE';
const LEASE = 'LEASE';
const WAIT = 'WAIT';
const DISPATCHER = 'DISPATCHER';
const CANCEL = 'CANCEL';

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
 * records that may be left behind). The queue is the partition QUEUE, sorted by request time (the
 * sort key starts with it), so the dispatcher reads it from the head with Limit-ed Queries: what a
 * dispatch reads is bounded by the free slots, never by the queue's length. Reads that decide who
 * gets a slot are strongly consistent: an entry just removed is never seen, and answered, again.
 */
export class DynamoCoordinationStore implements CoordinationStore, InFlightExecutions {
  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async enqueue(entry: QueueEntry): Promise<void> {
    // A retried enqueue of the same execution overwrites itself, and is counted once.
    if ((await this.put(QUEUE, queueKey(entry), entry)) === undefined) await this.count(1);
  }

  async depth(): Promise<number> {
    try {
      const { Item } = await this.dynamo.send(new GetItemCommand({ TableName: this.tableName, Key: key(DISPATCHER, 'depth'), ConsistentRead: true }));
      return Math.max(0, Number(Item?.depth?.N ?? 0));
    } catch (error) {
      throw toWorkflowError('DynamoDB GetItem', error);
    }
  }

  /** The queue's depth moves with each entry added or removed (a gauge: a crash between the two writes leaves it one off). */
  private async count(delta: number): Promise<void> {
    try {
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(DISPATCHER, 'depth'),
          // DEPTH is a DynamoDB reserved word: a bare `ADD depth` is refused (ValidationException).
          UpdateExpression: 'ADD #depth :delta',
          ExpressionAttributeNames: { '#depth': 'depth' },
          ExpressionAttributeValues: { ':delta': { N: String(delta) } },
        }),
      );
    } catch (error) {
      throw toWorkflowError('DynamoDB UpdateItem', error);
    }
  }

  async oldestRequestedAt(): Promise<string | undefined> {
    const { items } = await this.query(QUEUE, { limit: 1, keysOnly: true });
    return items[0]?.sk?.S?.split('#')[0];
  }

  async oldest(limit: number, after?: string): Promise<QueuePage> {
    const { items, last } = await this.query(QUEUE, { limit, ...(after !== undefined ? { after } : {}) });
    return { entries: items.map((item) => JSON.parse(item.data?.S ?? 'null') as QueueEntry), ...(last !== undefined ? { next: last } : {}) };
  }

  async remove(entry: QueueEntry): Promise<void> {
    if ((await this.delete(QUEUE, queueKey(entry))) !== undefined) await this.count(-1);
  }

  /**
   * The queue from `since` on (its sort key starts with the request time), keys only, eventually
   * consistent: an entry queued a moment ago and missed is an execution whose start answers as
   * itself. What it reads is the executions started in the window, not the whole backlog.
   */
  async inFlight(since: Date): Promise<InFlight> {
    const executions = new Set<string>();
    let after: string | undefined;
    do {
      const page = await this.query(QUEUE, { keysOnly: true, consistent: false, from: since.toISOString(), ...(after !== undefined ? { after } : {}) });
      for (const item of page.items) {
        const sk = item.sk?.S ?? '';
        executions.add(sk.slice(sk.indexOf('#') + 1));
      }
      after = page.last;
    } while (after !== undefined);
    const sources = new Set((await this.leases()).map((lease) => lease.sourceArn));
    return { executions, sources };
  }

  async putLease(lease: Lease): Promise<void> {
    await this.put(LEASE, lease.exportId, lease, Math.ceil(Date.parse(lease.expiresAt) / 1000) + LEASE_TTL_GRACE_SECONDS);
  }

  async leases(): Promise<Lease[]> {
    const leases: Lease[] = [];
    let after: string | undefined;
    do {
      const page = await this.query(LEASE, after !== undefined ? { after } : {});
      for (const item of page.items) leases.push(JSON.parse(item.data?.S ?? 'null') as Lease);
      after = page.last;
    } while (after !== undefined);
    return leases;
  }

  async dropLease(exportId: string): Promise<void> {
    await this.delete(LEASE, exportId);
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

  async tryLock(now: Date, holdSeconds: number): Promise<boolean> {
    try {
      await this.dynamo.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...key(DISPATCHER, 'lock'), expiresAt: { N: String(now.getTime() + holdSeconds * 1000) } },
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

  async unlock(): Promise<void> {
    await this.delete(DISPATCHER, 'lock');
  }

  async markDirty(): Promise<void> {
    await this.put(DISPATCHER, 'dirty', {});
  }

  async takeDirty(): Promise<boolean> {
    return (await this.delete(DISPATCHER, 'dirty')) !== undefined;
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
