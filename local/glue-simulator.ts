import type { JsonService } from './aws-json.ts';
import { QueryError } from './aws-query.ts';

interface StoredTable {
  input: Record<string, unknown>;
  versions: number;
}

/**
 * The Glue Data Catalog behind the real Glue client (awsJson1_1): CreateDatabase, GetDatabase,
 * CreateTable, UpdateTable, GetTable, GetTables, with Glue's error codes. `throttle` answers a call
 * with ThrottlingException, as Glue does past its request rate.
 */
export class GlueSimulator implements JsonService {
  readonly databases = new Map<string, Map<string, StoredTable>>();
  readonly calls: Record<string, number> = {};

  constructor(private readonly throttle: (operation: string) => boolean = () => false) {}

  tableNames(database: string): string[] {
    return [...(this.databases.get(database)?.keys() ?? [])].sort();
  }

  table(database: string, name: string): Record<string, unknown> | undefined {
    return this.databases.get(database)?.get(name)?.input;
  }

  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (this.throttle(operation)) throw new QueryError('ThrottlingException', 'Rate exceeded', 400);
    switch (operation) {
      case 'CreateDatabase': {
        const name = String((body.DatabaseInput as { Name?: string } | undefined)?.Name ?? '');
        if (this.databases.has(name)) throw new QueryError('AlreadyExistsException', `Database ${name} already exists.`);
        this.databases.set(name, new Map());
        return {};
      }
      case 'GetDatabase':
        this.database(String(body.Name));
        return { Database: { Name: body.Name } };
      case 'CreateTable': {
        const tables = this.database(String(body.DatabaseName));
        const input = body.TableInput as Record<string, unknown>;
        const name = String(input.Name).toLowerCase();
        if (tables.has(name)) throw new QueryError('AlreadyExistsException', `Table ${name} already exists.`);
        tables.set(name, { input: { ...input, Name: name }, versions: 1 });
        return {};
      }
      case 'UpdateTable': {
        const input = body.TableInput as Record<string, unknown>;
        const stored = this.stored(String(body.DatabaseName), String(input.Name));
        stored.input = { ...input, Name: String(input.Name).toLowerCase() };
        stored.versions++;
        return {};
      }
      case 'GetTable':
        return { Table: { ...this.stored(String(body.DatabaseName), String(body.Name)).input, DatabaseName: body.DatabaseName } };
      case 'GetTables':
        return { TableList: [...this.database(String(body.DatabaseName)).values()].map((stored) => ({ ...stored.input, DatabaseName: body.DatabaseName })) };
      default:
        throw new QueryError('InvalidInputException', `The simulator does not implement ${operation}`);
    }
  }

  private database(name: string): Map<string, StoredTable> {
    const tables = this.databases.get(name);
    if (!tables) throw new QueryError('EntityNotFoundException', `Database ${name} not found.`);
    return tables;
  }

  private stored(database: string, name: string): StoredTable {
    const table = this.database(database).get(name.toLowerCase());
    if (!table) throw new QueryError('EntityNotFoundException', `Table ${name} not found.`);
    return table;
  }
}
