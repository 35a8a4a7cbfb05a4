import { CreateDatabaseCommand, CreateTableCommand, GetTableCommand, UpdateTableCommand, type GlueClient, type TableInput } from '@aws-sdk/client-glue';
import { awsErrorName, toWorkflowError } from '../../runtime/aws-errors.ts';
import { CatalogTableExists } from '../catalog.ts';
import type { CatalogTable, DataCatalog } from '../ports.ts';

const PARQUET = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', Parameters: { 'serialization.format': '1' } },
};

/** Tables in the Glue Data Catalog through its API: CreateDatabase, GetTable, CreateTable, UpdateTable, nothing else. */
export function glueDataCatalog(glue: GlueClient): DataCatalog {
  return {
    async ensureDatabase(name, description) {
      try {
        await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: name, Description: description } }));
      } catch (error) {
        if (awsErrorName(error) === 'AlreadyExistsException') return;
        throw toWorkflowError(`Glue CreateDatabase ${name}`, error);
      }
    },

    async getTable(database, name) {
      try {
        const { Table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: name }));
        if (!Table) return undefined;
        return {
          name: Table.Name ?? name,
          description: Table.Description ?? '',
          location: Table.StorageDescriptor?.Location ?? '',
          columns: (Table.StorageDescriptor?.Columns ?? []).map((column) => ({ name: column.Name ?? '', type: column.Type ?? '', ...(column.Comment ? { comment: column.Comment } : {}) })),
          parameters: Table.Parameters ?? {},
        };
      } catch (error) {
        if (awsErrorName(error) === 'EntityNotFoundException') return undefined;
        throw toWorkflowError(`Glue GetTable ${database}.${name}`, error);
      }
    },

    async createTable(database, table) {
      try {
        await glue.send(new CreateTableCommand({ DatabaseName: database, TableInput: tableInput(table) }));
      } catch (error) {
        if (awsErrorName(error) === 'AlreadyExistsException') throw new CatalogTableExists(`${database}.${table.name} was created meanwhile`, { cause: error });
        throw toWorkflowError(`Glue CreateTable ${database}.${table.name}`, error);
      }
    },

    async updateTable(database, table) {
      try {
        // Glue keeps the previous definition as a table version; Athena sees the new one at once.
        await glue.send(new UpdateTableCommand({ DatabaseName: database, TableInput: tableInput(table) }));
      } catch (error) {
        throw toWorkflowError(`Glue UpdateTable ${database}.${table.name}`, error);
      }
    },
  };
}

export function tableInput(table: CatalogTable): TableInput {
  return {
    Name: table.name,
    Description: table.description,
    TableType: 'EXTERNAL_TABLE',
    Parameters: table.parameters,
    StorageDescriptor: {
      Location: table.location,
      Columns: table.columns.map((column) => ({ Name: column.name, Type: column.type, ...(column.comment ? { Comment: column.comment } : {}) })),
      ...PARQUET,
    },
  };
}
