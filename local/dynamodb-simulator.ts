import { QueryError } from './aws-query.ts';
import type { JsonService } from './aws-json.ts';

type Item = Record<string, { S?: string; N?: string }>;

/**
 * DynamoDB for one table keyed (pk, sk), with what the coordination store uses: PutItem (the
 * lock's `attribute_not_exists(pk) OR expiresAt < :now`), DeleteItem (`attribute_exists(pk)`),
 * ReturnValues ALL_OLD, and Query on the partition key in sort-key order, a page at a time.
 * Any other expression is refused, not guessed.
 */
export class DynamoDbSimulator implements JsonService {
  readonly calls: Record<string, number> = {};
  private readonly items = new Map<string, Item>();

  constructor(
    private readonly tableName: string,
    private readonly pageSize = 100,
  ) {}

  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (body.TableName !== this.tableName) throw new QueryError('ResourceNotFoundException', `Requested resource not found: Table: ${String(body.TableName)} not found`);
    switch (operation) {
      case 'PutItem': {
        const item = body.Item as Item;
        const old = this.items.get(keyOf(item));
        if (body.ConditionExpression !== undefined) {
          if (body.ConditionExpression !== 'attribute_not_exists(pk) OR expiresAt < :now') throw unsupported(body.ConditionExpression);
          const now = Number((body.ExpressionAttributeValues as Item)[':now']?.N);
          if (old && !(Number(old.expiresAt?.N) < now)) throw new QueryError('ConditionalCheckFailedException', 'The conditional request failed');
        }
        this.items.set(keyOf(item), item);
        return body.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
      }
      case 'DeleteItem': {
        const key = keyOf(body.Key as Item);
        const old = this.items.get(key);
        if (body.ConditionExpression !== undefined) {
          if (body.ConditionExpression !== 'attribute_exists(pk)') throw unsupported(body.ConditionExpression);
          if (!old) throw new QueryError('ConditionalCheckFailedException', 'The conditional request failed');
        }
        this.items.delete(key);
        return body.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
      }
      case 'Query': {
        if (body.KeyConditionExpression !== 'pk = :pk') throw new QueryError('ValidationException', `The simulator only evaluates pk = :pk`);
        const pk = (body.ExpressionAttributeValues as Item)[':pk']?.S;
        const after = (body.ExclusiveStartKey as Item | undefined)?.sk?.S;
        const matching = [...this.items.values()]
          .filter((item) => item.pk?.S === pk && (after === undefined || item.sk!.S! > after))
          .sort((a, b) => (a.sk!.S! < b.sk!.S! ? -1 : 1));
        const page = matching.slice(0, this.pageSize);
        const last = page.at(-1);
        return {
          Items: page,
          Count: page.length,
          ...(matching.length > this.pageSize && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}),
        };
      }
      default:
        throw new QueryError('UnknownOperationException', `The simulator does not implement ${operation}`);
    }
  }
}

function unsupported(expression: unknown): QueryError {
  return new QueryError('ValidationException', `The simulator does not evaluate the expression ${String(expression)}`);
}

function keyOf(item: Item): string {
  return `${item.pk?.S}\u0000${item.sk?.S}`;
}
