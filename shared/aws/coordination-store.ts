import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import type { StartInput } from '../start.ts';
import { awsErrorName, toWorkflowError } from './errors.ts';
import { SDK_OPTIONS } from './sdk-options.ts';

/** An execution waiting for one of the account's export slots. */
export interface QueueEntry {
  exportId: string;
  sourceArn: string;
  /** The task token of the execution's AwaitSlot state. */
  token: string;
  /** What the execution gets when its slot is free. */
  release: StartInput;
  /** The execution's start time: the queue is first come, first served. */
  requestedAt: string;
  execution: string;
}

/** A slot handed to an execution whose export may not be visible in RDS yet. */
export interface Lease {
  exportId: string;
  sourceArn: string;
  expiresAt: string;
}

/** Where executions wait: for a slot (the queue) and for their export's end (the wait tokens). */
export interface CoordinationStore {
  enqueue(entry: QueueEntry): Promise<void>;
  /** Every waiting entry, oldest first. */
  waiting(): Promise<QueueEntry[]>;
  /** Takes the entry off the queue; false if another dispatcher took it first. */
  claim(entry: QueueEntry): Promise<boolean>;
  putLease(lease: Lease): Promise<void>;
  leases(): Promise<Lease[]>;
  dropLease(exportId: string): Promise<void>;
  /** Records what waits on (or has happened to) this source's export; returns what was recorded before. */
  swapWait(sourceArn: string, record: WaitRecord): Promise<WaitRecord | undefined>;
  /** Returns and forgets the record, so an event delivered twice completes a wait once. */
  takeWait(sourceArn: string): Promise<WaitRecord | undefined>;
  /** An operator asked to cancel this export (the CLI); the next poll takes the request. */
  requestCancel(exportId: string, requestedBy: string): Promise<void>;
  takeCancelRequest(exportId: string): Promise<boolean>;
  /** One dispatcher at a time; false while another holds the lock (until it expires). */
  tryLock(now: Date, holdSeconds: number): Promise<boolean>;
  unlock(): Promise<void>;
  /** Asks the lock holder for one more round: something changed while it was dispatching. */
  markDirty(): Promise<void>;
  takeDirty(): Promise<boolean>;
}

/**
 * Per source: either the task token of the execution waiting for its export to end, or the note
 * that an export-finished event came while nobody was waiting (between two waits).
 */
export type WaitRecord = { token: string } | { endedAt: string; eventId: string };

const QUEUE = 'QUEUE';
const LEASE = 'LEASE';
const WAIT = 'WAIT';
const DISPATCHER = 'DISPATCHER';
const CANCEL = 'CANCEL';

/**
 * One DynamoDB table (pk, sk strings; the payload as JSON in `data`). Key conditions, existence
 * checks and the lock's expiry are the only expressions: a queue of a few hundred entries needs
 * nothing more.
 */
export class DynamoCoordinationStore implements CoordinationStore {
  constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async enqueue(entry: QueueEntry): Promise<void> {
    // A retried enqueue of the same execution overwrites itself.
    await this.put(QUEUE, queueKey(entry), entry);
  }

  waiting(): Promise<QueueEntry[]> {
    return this.query<QueueEntry>(QUEUE);
  }

  async claim(entry: QueueEntry): Promise<boolean> {
    try {
      await this.dynamo.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: key(QUEUE, queueKey(entry)),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (awsErrorName(error) === 'ConditionalCheckFailedException') return false;
      throw toWorkflowError('DynamoDB DeleteItem', error);
    }
  }

  async putLease(lease: Lease): Promise<void> {
    await this.put(LEASE, lease.exportId, lease);
  }

  leases(): Promise<Lease[]> {
    return this.query<Lease>(LEASE);
  }

  async dropLease(exportId: string): Promise<void> {
    await this.delete(LEASE, exportId);
  }

  async swapWait(sourceArn: string, record: WaitRecord): Promise<WaitRecord | undefined> {
    return parse(await this.put(WAIT, sourceArn, record));
  }

  async takeWait(sourceArn: string): Promise<WaitRecord | undefined> {
    return parse(await this.delete(WAIT, sourceArn));
  }

  async requestCancel(exportId: string, requestedBy: string): Promise<void> {
    await this.put(CANCEL, exportId.toLowerCase(), { requestedBy });
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

  private async put(pk: string, sk: string, value: unknown): Promise<string | undefined> {
    try {
      const { Attributes } = await this.dynamo.send(
        new PutItemCommand({ TableName: this.tableName, Item: { ...key(pk, sk), data: { S: JSON.stringify(value) } }, ReturnValues: 'ALL_OLD' }),
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

  private async query<T>(pk: string): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      do {
        const page = await this.dynamo.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk } },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) items.push(JSON.parse(item.data?.S ?? 'null') as T);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      throw toWorkflowError('DynamoDB Query', error);
    }
    return items;
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

export const coordinationStore = (tableName: string, clientConfig: DynamoDBClientConfig = {}): DynamoCoordinationStore =>
  new DynamoCoordinationStore(new DynamoDBClient({ ...SDK_OPTIONS, ...clientConfig }), tableName);
