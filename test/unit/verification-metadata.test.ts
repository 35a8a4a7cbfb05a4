import { describe, expect, it } from 'vitest';
import { parseExportMetadata, parseExportTime, parseTableEntry, parseTaskWarning } from '../../shared/verification/metadata.ts';
import { glueTypeOf } from '../../shared/verification/glue-types.ts';
import { foldTables, MAX_REPORT_ITEMS } from '../../shared/verification/report.ts';

const ID = 'nightly-2024-06-01';
const ROOT = `shop/${ID}/`;

// The rebuilt examples of shared/reference/rds-export-output.md, §2.
const EXPORT_INFO = JSON.stringify({
  exportTaskIdentifier: ID,
  sourceArn: 'arn:aws:rds:eu-west-1:111122223333:snapshot:rds:shop-2024-06-01-03-10',
  exportOnly: [],
  snapshotTime: 'Jun 1, 2024, 3:10:12 AM',
  taskStartTime: 'Jun 1, 2024, 4:00:05 AM',
  taskEndTime: 'Jun 1, 2024, 4:41:37 AM',
  s3Bucket: 'acme-rds-exports',
  s3Prefix: 'shop',
  exportedFilesPath: `shop/${ID}`,
  status: 'COMPLETE',
  percentProgress: 100,
  totalExportedDataInGB: 12.73,
  databaseOid: 0,
});
const ORDERS = {
  tableStatistics: { extractionStartTime: 'Jun 1, 2024, 4:02:10 AM', extractionEndTime: 'Jun 1, 2024, 4:09:55 AM' },
  schemaMetadata: {
    originalTypeMappings: [
      { columnName: 'id', originalType: 'bigint', expectedExportedType: 'int64' },
      { columnName: 'email', originalType: 'varchar', expectedExportedType: 'binary (UTF8)' },
    ],
  },
  status: 'COMPLETE',
  sizeGB: 1.94,
  target: 'shop.shop.orders',
};
const part = (from: number, to: number, entries: unknown[]) => ({ key: `${ROOT}export_tables_info_${ID}_from_${from}_to_${to}.json`, text: JSON.stringify({ perTableStatus: entries }) });
const info = { key: `${ROOT}export_info_${ID}.json`, text: EXPORT_INFO };

describe('export metadata files', () => {
  it('reads export_info and a COMPLETE table with its columns, size and extraction time', () => {
    // Act
    const parsed = parseExportMetadata(ID, [info, part(1, 1, [ORDERS])]);

    // Assess
    expect(parsed.warnings).toEqual([]);
    expect(parsed.info).toEqual({ exportTaskIdentifier: ID, sourceArn: expect.stringContaining(':snapshot:'), status: 'COMPLETE', exportedFilesPath: `shop/${ID}`, totalExportedDataInGb: 12.73 });
    expect(parsed.tables).toEqual([
      {
        target: 'shop.shop.orders',
        status: 'EXPORTED',
        rdsStatus: 'COMPLETE',
        sizeGb: 1.94,
        extractionSeconds: 465,
        columns: [
          { name: 'id', originalType: 'bigint', exportedType: 'int64' },
          { name: 'email', originalType: 'varchar', exportedType: 'binary (UTF8)' },
        ],
      },
    ]);
  });

  it('concatenates every export_tables_info part in the order of its from index, counting a table reported twice once', () => {
    const parsed = parseExportMetadata(ID, [
      part(4, 5, [{ ...ORDERS, target: 'shop.shop.d' }, { ...ORDERS, target: 'shop.shop.e' }]),
      part(1, 3, [{ ...ORDERS, target: 'shop.shop.a' }, { ...ORDERS, target: 'shop.shop.b' }, { ...ORDERS, target: 'shop.shop.c' }]),
      part(6, 6, [{ ...ORDERS, target: 'shop.shop.a' }]),
      info,
    ]);

    expect(parsed.tables.map((table) => table.target)).toEqual(['shop.shop.a', 'shop.shop.b', 'shop.shop.c', 'shop.shop.d', 'shop.shop.e']);
  });

  it('tells failed from skipped: another status word fails, a warningMessage without status skips, a database-wide warning names the database', () => {
    const failed = parseTableEntry({ target: 'appdb.public.events', status: 'FAILED', warningMessage: 'Row too large' });
    const skipped = parseTableEntry({ target: 'appdb.public.tmp', warningMessage: 'PERMISSIONS_DO_NOT_EXIST' });
    const database = parseTableEntry({ target: 'postgres', warningMessage: 'FAILED_TO_EXTRACT_TABLES_LIST_FOR_DATABASE' });
    const converted = parseTableEntry({ ...ORDERS, warningMessage: 'Some characters were converted' });

    expect(failed).toMatchObject({ status: 'FAILED', reason: 'Row too large' });
    expect(skipped).toMatchObject({ status: 'SKIPPED', reason: 'PERMISSIONS_DO_NOT_EXIST', columns: [] });
    expect(database).toMatchObject({ target: 'postgres', status: 'FAILED' });
    expect(converted).toMatchObject({ status: 'EXPORTED', reason: 'Some characters were converted' });
    expect(parseTableEntry({ status: 'COMPLETE' })).toBeUndefined();
  });

  it('warns, never throws, on missing, malformed or shapeless files and entries', () => {
    expect(parseExportMetadata(ID, []).warnings).toEqual([`No export_tables_info_${ID}_from_*.json file was found: the tables of this export could not be verified.`]);

    const parsed = parseExportMetadata(ID, [
      { key: info.key, text: '{"status": "COMPL' },
      { key: `${ROOT}export_tables_info_${ID}_from_1_to_2.json`, text: '[]' },
      part(3, 4, [42, { status: 'COMPLETE' }, ORDERS]),
    ]);

    expect(parsed.info).toBeUndefined();
    expect(parsed.tables.map((table) => table.target)).toEqual(['shop.shop.orders']);
    expect(parsed.warnings).toEqual([
      expect.stringMatching(new RegExp(`^export_info_${ID}\\.json is not valid JSON`)),
      `export_tables_info_${ID}_from_1_to_2.json has no perTableStatus list: ignored.`,
      `export_tables_info_${ID}_from_3_to_4.json: perTableStatus[0] names no target table: ignored.`,
      `export_tables_info_${ID}_from_3_to_4.json: perTableStatus[1] names no target table: ignored.`,
    ]);
  });

  it('ignores files of another export and keys that merely start alike', () => {
    const parsed = parseExportMetadata(ID, [part(1, 1, [ORDERS]), { key: `${ROOT}export_tables_info_${ID}-2_from_1_to_1.json`, text: JSON.stringify({ perTableStatus: [{ ...ORDERS, target: 'x.x.y' }] }) }]);

    expect(parsed.tables.map((table) => table.target)).toEqual(['shop.shop.orders']);
  });

  it('adds the skipped tables and general reasons of DescribeExportTasks WarningMessage', () => {
    const warnings: string[] = [];
    const tables = parseTaskWarning(JSON.stringify({ skippedTables: ['shop.shop.a', { target: 'shop.shop.b', reason: 'COLUMN_WITH_UNSUPPORTED_CHARACTER_IN_NAME' }, { tableName: 'shop.shop.c' }, 7], skippedObjectives: [], general: [{ reason: 'Some tables were skipped' }] }), warnings);

    expect(tables).toEqual([
      { target: 'shop.shop.a', status: 'SKIPPED', reason: 'RDS reported the table skipped', columns: [] },
      { target: 'shop.shop.b', status: 'SKIPPED', reason: 'COLUMN_WITH_UNSUPPORTED_CHARACTER_IN_NAME', columns: [] },
      { target: 'shop.shop.c', status: 'SKIPPED', reason: 'RDS reported the table skipped', columns: [] },
    ]);
    expect(warnings).toEqual(['RDS warning: Some tables were skipped']);
    const plain: string[] = [];
    expect(parseTaskWarning('Something odd happened', plain)).toEqual([]);
    expect(plain).toEqual(['RDS warning: Something odd happened']);
  });

  it('reads Java-style export times (12-hour clock, no zone) and ISO-8601', () => {
    expect(parseExportTime('Jun 26, 2024, 3:43:58 PM')).toBe(Date.UTC(2024, 5, 26, 15, 43, 58));
    expect(parseExportTime('Jan 1, 2025, 12:05:00 AM')).toBe(Date.UTC(2025, 0, 1, 0, 5, 0));
    expect(parseExportTime('Jan 1, 2025, 12:05:00 PM')).toBe(Date.UTC(2025, 0, 1, 12, 5, 0));
    expect(parseExportTime('2024-06-01T04:02:10Z')).toBe(Date.UTC(2024, 5, 1, 4, 2, 10));
    expect(parseExportTime('yesterday')).toBeUndefined();
    expect(parseExportTime(17)).toBeUndefined();
  });
});

describe('the table report', () => {
  it('counts tables by outcome, sums sizes and extraction times, names the longest, lists problems first', () => {
    const parsed = parseExportMetadata(ID, [
      part(1, 3, [ORDERS, { ...ORDERS, target: 'shop.shop.items', sizeGB: 0.06, tableStatistics: { extractionStartTime: 'Jun 1, 2024, 4:00:00 AM', extractionEndTime: 'Jun 1, 2024, 4:30:00 AM' } }, { target: 'shop.shop.bad', status: 'FAILED', warningMessage: 'Row too large' }]),
    ]);

    const report = foldTables(parsed.tables);

    expect(report).toMatchObject({ exported: 2, failed: 1, skipped: 0, totalSizeGb: 2, totalExtractionSeconds: 465 + 1800, longestExtraction: { name: 'shop.shop.items', seconds: 1800 } });
    expect(report.items.map((item) => item.name)).toEqual(['shop.shop.bad', 'shop.shop.orders', 'shop.shop.items']);
    expect(report.omittedItems).toBeUndefined();
  });

  it('keeps every problem but at most MAX_REPORT_ITEMS items, saying how many were left out', () => {
    const tables = Array.from({ length: 500 }, (_, i) => parseTableEntry({ ...ORDERS, target: `shop.shop.t${i}` })!);
    tables.push(parseTableEntry({ target: 'shop.shop.bad', status: 'FAILED' })!);

    const report = foldTables(tables);

    expect(report.items).toHaveLength(MAX_REPORT_ITEMS);
    expect(report.items[0]).toEqual({ name: 'shop.shop.bad', status: 'FAILED', reason: 'RDS reported the table FAILED' });
    expect(report.omittedItems).toBe(501 - MAX_REPORT_ITEMS);
  });
});

describe('Glue types of exported columns', () => {
  it.each([
    ['int32', 'integer', 'int'],
    ['int64', 'bigint', 'bigint'],
    ['INT64 (TIMESTAMP_MICROS)', 'datetime', 'timestamp'],
    ['double', 'double precision', 'double'],
    ['float', 'real', 'float'],
    ['boolean', 'boolean', 'boolean'],
    ['binary (UTF8)', 'character varying', 'string'],
    ['binary (UTF8)', 'timestamp without time zone', 'string'],
    ['binary', 'bytea', 'binary'],
    ['FIXED_LEN_BYTE_ARRAY(9) (DECIMAL(20,0))', 'bigint unsigned', 'decimal(20,0)'],
    ['INT32 (DECIMAL(9,2))', 'decimal(9,2)', 'decimal(9,2)'],
    ['BYTE_ARRAY (DECIMAL(40,2))', 'decimal(40,2)', 'string'],
  ])('declares %s (source %s) as %s: the Parquet type decides', (exportedType, originalType, expected) => {
    expect(glueTypeOf({ exportedType, originalType })).toEqual({ type: expected });
  });

  it.each([
    ['bigint', 'bigint'],
    ['bigint unsigned', 'decimal(20,0)'],
    ['int unsigned', 'bigint'],
    ['mediumint', 'int'],
    ['tinyint(1)', 'int'],
    ['year', 'int'],
    ['decimal(12,4)', 'decimal(12,4)'],
    ['numeric', 'string'],
    ['datetime', 'timestamp'],
    ['timestamp with time zone', 'string'],
    ['date', 'string'],
    ['json', 'string'],
    ['longblob', 'binary'],
    ['bool', 'boolean'],
  ])('falls back on the source type when RDS gave no exported type: %s is %s', (originalType, expected) => {
    expect(glueTypeOf({ originalType })).toEqual({ type: expected });
  });

  it('declares string, flagged as guessed, when neither type is known', () => {
    expect(glueTypeOf({ exportedType: 'int96 (weird)' })).toEqual({ type: 'string', guessed: true });
    expect(glueTypeOf({})).toEqual({ type: 'string', guessed: true });
  });
});
