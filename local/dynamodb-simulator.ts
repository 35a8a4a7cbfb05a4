import { QueryError } from './aws-query.ts';
import type { JsonService } from './aws-json.ts';

type Item = Record<string, { S?: string; N?: string }>;

/** What the table has consumed, as DynamoDB on-demand bills it (read and write request units). */
export interface ConsumedCapacity {
  /** Items a Query or GetItem read (DynamoDB's ScannedCount): what RRUs are charged on. */
  itemsRead: number;
  rru: number;
  wru: number;
}

/** A strongly consistent read unit covers 4 KB (eventually consistent: half a unit); a write unit 1 KB. */
const READ_UNIT_BYTES = 4096;
const WRITE_UNIT_BYTES = 1024;

/**
 * DynamoDB for one table keyed (pk, sk), with what the coordination store uses: PutItem (the
 * lock's `attribute_not_exists(pk) OR expiresAt < :now`), DeleteItem (`attribute_exists(pk)`),
 * ReturnValues ALL_OLD, GetItem, UpdateItem (`ADD n :value`, the queue's depth), and Query on the partition key (optionally from a sort key on, `sk >= :from`) in sort-key order (Limit, ExclusiveStartKey,
 * ConsistentRead, a ProjectionExpression of attribute names), a page at a time. Any other
 * expression is refused, not guessed.
 *
 * It also meters every request as DynamoDB bills it (`consumed`): a Query is charged on the size of
 * every item it reads, projected or not, summed and rounded up to 4 KB (half for an eventually
 * consistent read, at least one unit); a write on the larger of the item before and after, rounded
 * up to 1 KB, a failed condition included. The table has no secondary index, so there are no index
 * writes to add. Each partition keeps its sort keys sorted, so a Query costs the simulator no more
 * than it costs DynamoDB: a Limit-ed page of a long partition is a binary search and a slice.
 */
/** Some of DynamoDB's reserved words: those an attribute of ours could plausibly be called. */
const RESERVED_WORDS = new Set(['DEPTH', 'COUNT', 'COUNTER', 'SIZE', 'STATUS', 'DATA', 'NAME', 'DATE', 'TIME', 'TIMESTAMP', 'TTL', 'VALUE', 'KEY']);

export class DynamoDbSimulator implements JsonService {
  readonly calls: Record<string, number> = {};
  readonly consumed: ConsumedCapacity = { itemsRead: 0, rru: 0, wru: 0 };
  private readonly partitions = new Map<string, Partition>();

  constructor(
    private readonly tableName: string,
    private readonly pageSize = 100,
    /** The injected fault of the moment (local/faults.ts), answered instead of the operation. */
    private readonly fault: (operation: string) => Error | undefined = () => undefined,
  ) {}

  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const fault = this.fault(operation);
    if (fault) throw fault;
    if (body.TableName !== this.tableName) throw new QueryError('ResourceNotFoundException', `Requested resource not found: Table: ${String(body.TableName)} not found`);
    switch (operation) {
      case 'PutItem':
        return this.putItem(body);
      case 'DeleteItem':
        return this.deleteItem(body);
      case 'Query':
        return this.query(body);
      case 'GetItem':
        return this.getItem(body);
      case 'UpdateItem':
        return this.updateItem(body);
      default:
        throw new QueryError('UnknownOperationException', `The simulator does not implement ${operation}`);
    }
  }

  /** Every item of the table (for tests that look inside). */
  items(): Item[] {
    return [...this.partitions.values()].flatMap((partition) => partition.keys.map((sk) => partition.items.get(sk)!));
  }

  private putItem(body: Record<string, unknown>): Record<string, unknown> {
    const item = body.Item as Item;
    const { pk, sk } = keyOf(item);
    const old = this.partitions.get(pk)?.items.get(sk);
    const units = this.write(body, Math.max(itemSize(item), old ? itemSize(old) : 0));
    if (body.ConditionExpression === 'attribute_not_exists(pk)') {
      if (old) throw conditionFailed();
    } else if (body.ConditionExpression !== undefined) {
      if (body.ConditionExpression !== 'attribute_not_exists(pk) OR expiresAt < :now') throw unsupported(body.ConditionExpression);
      const now = Number((body.ExpressionAttributeValues as Item)[':now']?.N);
      if (old && !(Number(old.expiresAt?.N) < now)) throw conditionFailed();
    }
    this.partition(pk).set(sk, item);
    return { ...(body.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}), ...units };
  }

  private deleteItem(body: Record<string, unknown>): Record<string, unknown> {
    const { pk, sk } = keyOf(body.Key as Item);
    const partition = this.partitions.get(pk);
    const old = partition?.items.get(sk);
    const units = this.write(body, old ? itemSize(old) : 0);
    if (body.ConditionExpression !== undefined) {
      if (body.ConditionExpression !== 'attribute_exists(pk)') throw unsupported(body.ConditionExpression);
      if (!old) throw conditionFailed();
    }
    if (old) partition!.delete(sk);
    return { ...(body.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {}), ...units };
  }

  private getItem(body: Record<string, unknown>): Record<string, unknown> {
    const { pk, sk } = keyOf(body.Key as Item);
    const item = this.partitions.get(pk)?.items.get(sk);
    const rru = Math.max(1, Math.ceil((item ? itemSize(item) : 0) / READ_UNIT_BYTES)) * (body.ConsistentRead === true ? 1 : 0.5);
    this.consumed.itemsRead += item ? 1 : 0;
    this.consumed.rru += rru;
    return item ? { Item: item } : {};
  }

  /**
   * `ADD <number attribute> :value` (a place's count of queued entries), `REMOVE #name` under
   * `#name <= :value` (a place taken off the list once empty) and `SET #name = :value` only.
   */
  private updateItem(body: Record<string, unknown>): Record<string, unknown> {
    const removal = /^REMOVE (#[A-Za-z_][A-Za-z0-9_]*)$/.exec(String(body.UpdateExpression));
    if (removal) return this.removeAttribute(body, removal[1]!);
    const setting = /^SET (#[A-Za-z_][A-Za-z0-9_]*) = (:[A-Za-z0-9_]+)$/.exec(String(body.UpdateExpression));
    if (setting && body.ConditionExpression === undefined) return this.setAttribute(body, setting[1]!, setting[2]!);
    const match = /^ADD (#?[A-Za-z_][A-Za-z0-9_]*) (:[A-Za-z0-9_]+)$/.exec(String(body.UpdateExpression));
    if (!match || body.ConditionExpression !== undefined) throw unsupported(body.UpdateExpression);
    const [, written, placeholder] = match as unknown as [string, string, string];
    // As DynamoDB: a reserved word must go through ExpressionAttributeNames (the few this code could name).
    if (RESERVED_WORDS.has(written.toUpperCase())) {
      throw new QueryError('ValidationException', `Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: ${written}`);
    }
    const name = written.startsWith('#') ? (body.ExpressionAttributeNames as Record<string, string> | undefined)?.[written] : written;
    if (name === undefined) throw new QueryError('ValidationException', `Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: ${written}`);
    const { pk, sk } = keyOf(body.Key as Item);
    const old = this.partitions.get(pk)?.items.get(sk);
    const delta = Number((body.ExpressionAttributeValues as Item)[placeholder]?.N);
    const item: Item = { ...(old ?? (body.Key as Item)), [name]: { N: String(Number(old?.[name]?.N ?? 0) + delta) } };
    const units = this.write(body, Math.max(itemSize(item), old ? itemSize(old) : 0));
    this.partition(pk).set(sk, item);
    return units;
  }

  private setAttribute(body: Record<string, unknown>, placeholder: string, value: string): Record<string, unknown> {
    const name = (body.ExpressionAttributeNames as Record<string, string> | undefined)?.[placeholder];
    if (name === undefined) throw new QueryError('ValidationException', `Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`);
    const { pk, sk } = keyOf(body.Key as Item);
    const old = this.partitions.get(pk)?.items.get(sk);
    const item: Item = { ...(old ?? (body.Key as Item)), [name]: (body.ExpressionAttributeValues as Item)[value]! };
    const units = this.write(body, Math.max(itemSize(item), old ? itemSize(old) : 0));
    this.partition(pk).set(sk, item);
    return units;
  }

  private removeAttribute(body: Record<string, unknown>, placeholder: string): Record<string, unknown> {
    const condition = `${placeholder} <= :value`;
    if (body.ConditionExpression !== condition) throw unsupported(body.ConditionExpression);
    const name = (body.ExpressionAttributeNames as Record<string, string> | undefined)?.[placeholder];
    if (name === undefined) throw new QueryError('ValidationException', `Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: ${placeholder}`);
    const { pk, sk } = keyOf(body.Key as Item);
    const old = this.partitions.get(pk)?.items.get(sk);
    const zero = Number((body.ExpressionAttributeValues as Item)[':value']?.N);
    // As DynamoDB: a comparison with a missing attribute is false.
    if (old?.[name]?.N === undefined || !(Number(old[name].N) <= zero)) throw conditionFailed();
    const { [name]: _removed, ...item } = old;
    const units = this.write(body, itemSize(old));
    this.partition(pk).set(sk, item);
    return units;
  }

  private query(body: Record<string, unknown>): Record<string, unknown> {
    // The partition, whole or from a sort key on (`sk >= :from`: the queue since a time).
    const range = body.KeyConditionExpression === 'pk = :pk AND sk >= :from';
    if (body.KeyConditionExpression !== 'pk = :pk' && !range) throw new QueryError('ValidationException', `The simulator only evaluates pk = :pk [AND sk >= :from]`);
    const pk = (body.ExpressionAttributeValues as Item)[':pk']?.S ?? '';
    const from = range ? ((body.ExpressionAttributeValues as Item)[':from']?.S ?? '') : undefined;
    const limit = body.Limit === undefined ? this.pageSize : Math.min(this.pageSize, Number(body.Limit));
    if (!(limit >= 1)) throw new QueryError('ValidationException', '1 validation error detected: Value at \'limit\' failed to satisfy constraint: Member must have value greater than or equal to 1');
    const projection = projectionOf(body.ProjectionExpression);
    const partition = this.partitions.get(pk);
    const after = (body.ExclusiveStartKey as Item | undefined)?.sk?.S;
    const keys = partition ? partition.page(after, limit, from) : [];
    const items = keys.map((sk) => partition!.items.get(sk)!);
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    const consistent = body.ConsistentRead === true;
    const rru = Math.max(1, Math.ceil(bytes / READ_UNIT_BYTES)) * (consistent ? 1 : 0.5);
    this.consumed.itemsRead += items.length;
    this.consumed.rru += rru;
    // DynamoDB stops at Limit and says where it stopped, whether or not anything follows.
    const last = keys.length === limit && keys.length > 0 ? items.at(-1) : undefined;
    return {
      Items: projection ? items.map((item) => project(item, projection)) : items,
      Count: items.length,
      ScannedCount: items.length,
      ...(last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
      ...(body.ReturnConsumedCapacity === 'TOTAL' ? { ConsumedCapacity: { TableName: this.tableName, CapacityUnits: rru, ReadCapacityUnits: rru } } : {}),
    };
  }

  private write(body: Record<string, unknown>, bytes: number): Record<string, unknown> {
    const wru = Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
    this.consumed.wru += wru;
    return body.ReturnConsumedCapacity === 'TOTAL' ? { ConsumedCapacity: { TableName: this.tableName, CapacityUnits: wru, WriteCapacityUnits: wru } } : {};
  }

  private partition(pk: string): Partition {
    let partition = this.partitions.get(pk);
    if (!partition) this.partitions.set(pk, (partition = new Partition()));
    return partition;
  }
}

/** One partition key's items, their sort keys kept in order (DynamoDB compares strings by UTF-8 bytes; ours are ASCII). */
class Partition {
  readonly keys: string[] = [];
  readonly items = new Map<string, Item>();

  set(sk: string, item: Item): void {
    if (!this.items.has(sk)) this.keys.splice(this.firstAbove(sk, true), 0, sk);
    this.items.set(sk, item);
  }

  delete(sk: string): void {
    if (!this.items.delete(sk)) return;
    this.keys.splice(this.firstAbove(sk, true), 1);
  }

  /** Up to `limit` sort keys after `after` (exclusive) and from `from` (inclusive), in order. */
  page(after: string | undefined, limit: number, from?: string): string[] {
    const start = Math.max(after === undefined ? 0 : this.firstAbove(after, false), from === undefined ? 0 : this.firstAbove(from, true));
    return this.keys.slice(start, start + limit);
  }

  /** The index of the first key >= sk (inclusive) or > sk. */
  private firstAbove(sk: string, inclusive: boolean): number {
    let [lo, hi] = [0, this.keys.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid]!;
      if (key < sk || (!inclusive && key === sk)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * An item's size as DynamoDB counts it: each attribute's name plus its value (a string's UTF-8
 * bytes; a number's 1 byte per two significant digits, plus one).
 */
export function itemSize(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined) bytes += Math.ceil(value.N.replace(/^-|\.|^0+|0+$/g, '').length / 2) + 1;
  }
  return bytes;
}

function projectionOf(expression: unknown): string[] | undefined {
  if (expression === undefined) return undefined;
  const names = String(expression).split(',').map((name) => name.trim());
  if (names.some((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) throw unsupported(expression);
  return names;
}

function project(item: Item, names: string[]): Item {
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.includes(name)));
}

function conditionFailed(): QueryError {
  return new QueryError('ConditionalCheckFailedException', 'The conditional request failed');
}

function unsupported(expression: unknown): QueryError {
  return new QueryError('ValidationException', `The simulator does not evaluate the expression ${String(expression)}`);
}

function keyOf(item: Item): { pk: string; sk: string } {
  return { pk: item.pk?.S ?? '', sk: item.sk?.S ?? '' };
}
