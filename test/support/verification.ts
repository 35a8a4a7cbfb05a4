/** In-memory stand-ins of the verification ports, for the pure-logic tests (the adapters have their own, over mocks and moto). */
import { CatalogTableExists } from '../../shared/verification/catalog.ts';
import type { CatalogTable, DataCatalog } from '../../shared/verification/ports.ts';

/** The Data Catalog in memory, counting calls, as Glue answers them. */
export function memoryCatalog(): DataCatalog & { databases: Map<string, Map<string, CatalogTable>>; calls: string[] } {
  const databases = new Map<string, Map<string, CatalogTable>>();
  const calls: string[] = [];
  return {
    databases,
    calls,
    async ensureDatabase(name) {
      calls.push(`ensureDatabase ${name}`);
      if (!databases.has(name)) databases.set(name, new Map());
    },
    async getTable(database, name) {
      calls.push(`getTable ${name}`);
      return databases.get(database)?.get(name);
    },
    async createTable(database, table) {
      calls.push(`createTable ${table.name}`);
      if (databases.get(database)!.has(table.name)) throw new CatalogTableExists(table.name);
      databases.get(database)!.set(table.name, table);
    },
    async updateTable(database, table) {
      calls.push(`updateTable ${table.name}`);
      databases.get(database)!.set(table.name, table);
    },
  };
}

