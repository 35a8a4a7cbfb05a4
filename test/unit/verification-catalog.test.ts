import { describe, expect, it } from 'vitest';
import {
  catalogDatabaseName,
  catalogExport,
  catalogTableName,
  EXPORT_TIME_PARAMETER,
  sourceDatabaseOf,
  tableFolder,
  type ExportFacts,
} from '../../shared/verification/catalog.ts';
import { parseTableEntry } from '../../shared/verification/metadata.ts';
import { memoryCatalog } from '../support/verification.ts';

const table = (target: string, columns = [{ columnName: 'id', originalType: 'bigint', expectedExportedType: 'int64' }]) =>
  parseTableEntry({ target, status: 'COMPLETE', sizeGB: 1, schemaMetadata: { originalTypeMappings: columns } })!;
const facts = (exportId: string, exportTime: string): ExportFacts => ({
  exportId,
  sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:shop-2026-11-23-03-10',
  exportRoot: `s3://exports/shop/${exportId}/`,
  exportTime,
});

describe('catalog naming', () => {
  it('names the database after the DB instance or cluster, whatever snapshot it comes from', () => {
    expect(sourceDatabaseOf('rds:prod-db-2026-11-23-03-10')).toBe('prod-db');
    expect(sourceDatabaseOf('prod-db-manual-2026-11-23')).toBe('prod-db-manual');
    expect(sourceDatabaseOf('prod-aurora')).toBe('prod-aurora');
    expect(catalogDatabaseName('rds_{source}', { name: 'rds:Prod-DB-2026-11-23-03-10', account: '1', region: 'r' })).toBe('rds_prod_db');
    expect(catalogDatabaseName('exports_{account}_{region}', { name: 'x', account: '123456789012', region: 'eu-west-1' })).toBe('exports_123456789012_eu_west_1');
  });

  it('names a table without the repeated MySQL database, keeping a PostgreSQL schema, and finds its folder', () => {
    expect(catalogTableName('shop.shop.orders')).toBe('shop_orders');
    expect(catalogTableName('appdb.public.Order-Items')).toBe('appdb_public_order_items');
    expect(tableFolder('shop.shop.orders')).toBe('shop/shop.orders/');
    expect(tableFolder('appdb.public.orders')).toBe('appdb/public.orders/');
    expect(tableFolder('shop.orders')).toBe('shop/shop.orders/');
    expect(tableFolder('appdb.public.my table')).toBe('appdb/public.my_table/');
  });
});

describe('cataloguing an export', () => {
  it('creates the database and one Parquet table per exported table, at the table folder, with mapped columns', async () => {
    const catalog = memoryCatalog();
    const failed = parseTableEntry({ target: 'shop.shop.bad', status: 'FAILED' })!;

    const result = await catalogExport([table('shop.shop.orders', [{ columnName: 'ID', originalType: 'bigint', expectedExportedType: 'int64' }, { columnName: 'email', originalType: 'varchar', expectedExportedType: 'binary (UTF8)' }]), failed], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);

    expect(result).toEqual({ database: 'rds_shop', tables: [{ name: 'shop_orders', target: 'shop.shop.orders', action: 'created' }], warnings: [] });
    const created = catalog.databases.get('rds_shop')!.get('shop_orders')!;
    expect(created.location).toBe('s3://exports/shop/e1/shop/shop.orders/');
    expect(created.columns.map(({ name, type }) => [name, type])).toEqual([['id', 'bigint'], ['email', 'string']]);
    expect(created.parameters).toMatchObject({ classification: 'parquet', 'export_orchestrator.export_id': 'e1' });
  });

  it('changes nothing when the step is retried', async () => {
    const catalog = memoryCatalog();
    await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);
    catalog.calls.length = 0;

    const again = await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);

    expect(again.tables[0]!.action).toBe('unchanged');
    expect(catalog.calls).toEqual(['ensureDatabase rds_shop', 'getTable shop_orders']);
  });

  it('re-points a table at a newer export, never back at an older one', async () => {
    const catalog = memoryCatalog();
    await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e2', '2026-11-24T04:00:00.000Z'), catalog);

    const older = await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);
    const newer = await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e3', '2026-11-25T04:00:00.000Z'), catalog);

    expect(older.tables[0]!.action).toBe('kept-newer');
    expect(newer.tables[0]!.action).toBe('updated');
    const current = catalog.databases.get('rds_shop')!.get('shop_orders')!;
    expect(current.location).toBe('s3://exports/shop/e3/shop/shop.orders/');
    expect(current.parameters[EXPORT_TIME_PARAMETER]).toBe('2026-11-25T04:00:00.000Z');
  });

  it('updates a table another writer created between our look and our create', async () => {
    const catalog = memoryCatalog();
    await catalog.ensureDatabase('rds_shop', '');
    const getTable = catalog.getTable.bind(catalog);
    let raced = false;
    catalog.getTable = async (database, name) => {
      if (!raced) {
        raced = true;
        catalog.databases.get(database)!.set(name, { name, description: '', location: 's3://elsewhere/', columns: [], parameters: {} });
        return undefined;
      }
      return getTable(database, name);
    };

    const result = await catalogExport([table('shop.shop.orders')], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);

    expect(result.tables[0]!.action).toBe('updated');
  });

  it('warns about tables without columns, clashing names and columns of unknown type', async () => {
    const catalog = memoryCatalog();
    const noColumns = parseTableEntry({ target: 'shop.public.empty', status: 'COMPLETE' })!;
    const weird = table('shop.shop.weird', [{ columnName: 'c', expectedExportedType: 'int96' }] as never);

    const result = await catalogExport([table('shop.shop.orders'), table('shop.orders'), noColumns, weird], 'rds_shop', facts('e1', '2026-11-23T04:00:00.000Z'), catalog);

    expect(result.tables.map((t) => t.name)).toEqual(['shop_orders', 'shop_weird']);
    expect(result.warnings).toEqual([
      'shop.orders: its catalog name shop_orders is already taken by shop.shop.orders: not catalogued.',
      'shop.public.empty: the metadata lists no columns, so no catalog table was made for it.',
      'shop.shop.weird: declared string for column(s) c of unknown type.',
    ]);
    expect(catalog.databases.get('rds_shop')!.get('shop_weird')!.columns).toEqual([{ name: 'c', type: 'string', comment: 'unknown exported type int96: check the Parquet footer' }]);
  });

  it('makes nothing, not even the database, for an export without exported tables', async () => {
    const catalog = memoryCatalog();

    const result = await catalogExport([parseTableEntry({ target: 'shop.shop.bad', status: 'FAILED' })!], 'rds_shop', facts('e1', 'x'), catalog);

    expect(result.tables).toEqual([]);
    expect(catalog.calls).toEqual([]);
  });
});
