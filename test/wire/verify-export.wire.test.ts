/**
 * The verify step's adapters against moto: S3 (ListObjectsV2 paging with a delimiter, GetObject,
 * DeleteObjects) and Glue (CreateDatabase, CreateTable, GetTable, UpdateTable), real SDK
 * serialisation and error codes; and verifyExport end to end over both.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CatalogTableExists } from '../../shared/verification/catalog.ts';
import { glueDataCatalog } from '../../shared/verification/aws/glue-catalog.ts';
import { s3ExportObjects } from '../../shared/verification/aws/s3-export-objects.ts';
import { verifyExport } from '../../shared/verification/verify.ts';
import { exportState } from '../support/requests.ts';

const endpoint = inject('motoEndpoint');
/** moto keeps its state for the whole run: every name carries this. */
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const options = () => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });

describe.skipIf(!endpoint)('verification adapters against moto (wire)', () => {
  let s3: S3Client;
  let glue: GlueClient;
  const bucket = `verify-${run}`;

  beforeAll(async () => {
    s3 = new S3Client({ ...options(), forcePathStyle: true });
    glue = new GlueClient(options());
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));

  it('lists a folder page by page with its sub-folders apart, reads an object and answers undefined for a missing one', async () => {
    const objects = s3ExportObjects(s3);
    for (let i = 0; i < 3; i++) await put(`list/e1/file-${i}.json`, `{"n":${i}}`);
    await put('list/e1/db/table/1/part-00000.parquet', 'x');

    const first = await objects.listPage(bucket, 'list/e1/', { delimiter: '/' });
    const all = [];
    let token: string | undefined;
    do {
      const listed = await objects.listPage(bucket, 'list/e1/', token ? { token } : {});
      all.push(...listed.objects.map((o) => o.key));
      token = listed.nextToken;
    } while (token);

    expect(first.objects.map((o) => o.key)).toEqual(['list/e1/file-0.json', 'list/e1/file-1.json', 'list/e1/file-2.json']);
    expect(first.folders).toEqual(['list/e1/db/']);
    expect(all).toHaveLength(4);
    expect(await objects.readText(bucket, 'list/e1/file-1.json')).toBe('{"n":1}');
    expect(await objects.readText(bucket, 'list/e1/missing.json')).toBeUndefined();
  });

  it('deletes keys in one DeleteObjects call and counts them', async () => {
    const objects = s3ExportObjects(s3);
    for (let i = 0; i < 5; i++) await put(`delete/e1/part-${i}`, 'x');

    const outcome = await objects.deleteKeys(bucket, Array.from({ length: 5 }, (_, i) => `delete/e1/part-${i}`));

    expect(outcome).toEqual({ deleted: 5, failures: [] });
    expect((await objects.listPage(bucket, 'delete/e1/')).objects).toEqual([]);
  });

  it('creates a database once, creates, reads back and updates a Parquet table, and reports a lost create race by name', async () => {
    const catalog = glueDataCatalog(glue);
    const database = `rds_wire_${run}`;
    const table = { name: 'shop_orders', description: 'shop.shop.orders', location: 's3://b/e1/shop/shop.orders/', columns: [{ name: 'id', type: 'bigint', comment: 'source type bigint' }], parameters: { classification: 'parquet', 'export_orchestrator.export_time': '2026-01-01T00:00:00.000Z' } };

    await catalog.ensureDatabase(database, 'wire test');
    await catalog.ensureDatabase(database, 'wire test');
    expect(await catalog.getTable(database, 'shop_orders')).toBeUndefined();
    await catalog.createTable(database, table);
    await expect(catalog.createTable(database, table)).rejects.toBeInstanceOf(CatalogTableExists);
    expect(await catalog.getTable(database, 'shop_orders')).toEqual(table);
    await catalog.updateTable(database, { ...table, location: 's3://b/e2/shop/shop.orders/', parameters: { ...table.parameters, 'export_orchestrator.export_time': '2026-01-02T00:00:00.000Z' } });

    const { Table } = await glue.send(new GetTableCommand({ DatabaseName: database, Name: 'shop_orders' }));
    expect(Table?.StorageDescriptor?.Location).toBe('s3://b/e2/shop/shop.orders/');
    expect(Table?.StorageDescriptor?.SerdeInfo?.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(Table?.TableType).toBe('EXTERNAL_TABLE');
  });

  it('verifies and catalogs an export from the metadata files in a real bucket', async () => {
    const state = exportState({ status: 'COMPLETE', percent: 100, request: { ...exportState().request, s3Bucket: bucket } });
    const root = `${state.request.s3Prefix}/${state.request.exportId}/`;
    const id = state.request.exportId;
    await put(`${root}export_info_${id}.json`, JSON.stringify({ status: 'COMPLETE', totalExportedDataInGB: 1 }));
    await put(`${root}export_tables_info_${id}_from_1_to_1.json`, JSON.stringify({ perTableStatus: [{ target: 'shop.shop.orders', status: 'COMPLETE', sizeGB: 1, schemaMetadata: { originalTypeMappings: [{ columnName: 'id', originalType: 'bigint', expectedExportedType: 'int64' }] } }] }));
    await put(`${root}export_tables_info_${id}_from_2_to_2.json`, JSON.stringify({ perTableStatus: [{ target: 'shop.shop.bad', warningMessage: 'Table skipped' }] }));
    await put(`${root}shop/shop.orders/1/part-00000.gz.parquet`, 'PAR1');
    const catalog = glueDataCatalog(glue);

    const verified = await verifyExport(state, { objects: s3ExportObjects(s3), catalog: () => catalog, history: () => ({ completedExports: async () => [] }), settings: { catalogDatabase: `rds_{source}_${run}`, deletePartialData: false, retainExports: 0 } });
    const again = await verifyExport(state, { objects: s3ExportObjects(s3), catalog: () => catalog, history: () => ({ completedExports: async () => [] }), settings: { catalogDatabase: `rds_{source}_${run}`, deletePartialData: false, retainExports: 0 } });

    expect(verified.verification.tables).toMatchObject({ exported: 1, skipped: 1, failed: 0 });
    expect(verified.verification.warnings).toEqual([]);
    expect(verified.verification.catalog?.tables).toEqual([{ name: 'shop_orders', target: 'shop.shop.orders', action: 'created' }]);
    expect(again.verification.catalog?.tables).toEqual([{ name: 'shop_orders', target: 'shop.shop.orders', action: 'unchanged' }]);
    const stored = await catalog.getTable(`rds_orders_db_${run}`, 'shop_orders');
    expect(stored?.location).toBe(`s3://${bucket}/${root}shop/shop.orders/`);
  });
});
