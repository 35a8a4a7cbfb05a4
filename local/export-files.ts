import { createHash } from 'node:crypto';
import type { SimulatedTask } from './rds-simulator.ts';
import type { S3Simulator } from './s3-simulator.ts';

/** A table of the simulated source database, as a scenario's `tables` names it. */
export interface SimulatedTable {
  /** `database.schema.table` (PostgreSQL) or `database.database.table` (MySQL). */
  name: string;
  status?: 'COMPLETE' | 'FAILED' | 'SKIPPED';
  reason?: string;
  columns?: Array<{ name: string; originalType: string; exportedType: string }>;
  /** Share of the export's data in this table (weights; equal by default). */
  weight?: number;
}

/** Columns as RDS reports them: name, source type, exported Parquet type. */
const columns = (...specs: Array<[string, string, string]>) => specs.map(([name, originalType, exportedType]) => ({ name, originalType, exportedType }));

const ORDERS_COLUMNS = columns(
  ['id', 'bigint', 'int64'],
  ['customer_id', 'integer', 'int32'],
  ['total', 'numeric', 'binary (UTF8)'],
  ['status', 'character varying', 'binary (UTF8)'],
  ['created_at', 'timestamp without time zone', 'binary (UTF8)'],
);

/** A small shop on PostgreSQL: what `npm start` exports when the scenario names no tables. */
export const DEFAULT_TABLES: SimulatedTable[] = [
  { name: 'shop.public.orders', weight: 5, columns: ORDERS_COLUMNS },
  { name: 'shop.public.customers', weight: 2, columns: columns(['id', 'integer', 'int32'], ['email', 'character varying', 'binary (UTF8)'], ['vip', 'boolean', 'boolean']) },
  {
    name: 'shop.public.order_items',
    weight: 8,
    columns: columns(['order_id', 'bigint', 'int64'], ['sku', 'text', 'binary (UTF8)'], ['quantity', 'smallint', 'int32'], ['unit_price', 'double precision', 'double']),
  },
  { name: 'shop.public.payments', weight: 1, columns: columns(['id', 'bigint', 'int64'], ['payload', 'jsonb', 'binary (UTF8)']) },
];

/** Tables per export_tables_info part: small, so that every run reads more than one part. */
const TABLES_PER_PART = 3;
const GB = 1024 ** 3;

/** The task as the simulated RDS holds it, with when it started working and when it ended. */
export type ExportedTask = Pick<SimulatedTask, 'id' | 'sourceArn' | 's3Bucket' | 's3Prefix' | 'iamRoleArn' | 'kmsKeyId'> & { startedAt: number; endedAt: number };

/**
 * What RDS writes: the data (batch folders of Parquet parts and a _SUCCESS marker per table) and,
 * for a COMPLETE export, export_tables_info parts and export_info last. A FAILED or CANCELED one
 * leaves the data written up to `percent`, and no metadata.
 */
export function writeExportFiles(s3: S3Simulator, task: ExportedTask, outcome: { status: 'COMPLETE' | 'FAILED' | 'CANCELED'; percent: number; dataGb: number }, tables: SimulatedTable[]): void {
  const root = `${task.s3Prefix ? `${task.s3Prefix.replace(/\/+$/, '')}/` : ''}${task.id}/`;
  const exported = tables.filter((table) => (table.status ?? 'COMPLETE') === 'COMPLETE');
  const weights = exported.reduce((sum, table) => sum + (table.weight ?? 1), 0) || 1;
  const share = outcome.status === 'COMPLETE' ? 1 : outcome.percent / 100;
  const span = Math.max(1, task.endedAt - task.startedAt);
  let clock = task.startedAt;
  const entries = tables.map((table, index) => {
    const status = table.status ?? 'COMPLETE';
    const sizeGb = status === 'COMPLETE' ? round((outcome.dataGb * (table.weight ?? 1)) / weights) : 0;
    const [database, ...rest] = table.name.split('.');
    const folder = `${root}${database}/${rest.join('.')}/1/`;
    const bytes = Math.round(sizeGb * GB * share);
    if (status === 'COMPLETE' && bytes > 0) {
      const parts = Math.max(1, Math.ceil(sizeGb / 20));
      for (let part = 0; part < parts; part++) s3.put(task.s3Bucket, `${folder}part-${String(part).padStart(5, '0')}-${uuid(task.id, table.name, part)}-c000.gz.parquet`, { size: Math.round(bytes / parts) });
      if (outcome.status === 'COMPLETE') s3.put(task.s3Bucket, `${folder}_SUCCESS`, '');
    }
    const extractionStart = clock;
    const extractionEnd = (clock = task.startedAt + Math.round((span * (index + 1)) / tables.length));
    if (status === 'SKIPPED') return { target: table.name, warningMessage: table.reason ?? 'Table skipped (simulated)' };
    return {
      tableStatistics: { extractionStartTime: javaTime(extractionStart), extractionEndTime: javaTime(extractionEnd) },
      schemaMetadata: { originalTypeMappings: (table.columns ?? ORDERS_COLUMNS).map((c) => ({ columnName: c.name, originalType: c.originalType, expectedExportedType: c.exportedType })) },
      status,
      sizeGB: sizeGb,
      target: table.name,
      ...(status === 'FAILED' ? { warningMessage: table.reason ?? 'The table could not be exported (simulated).' } : {}),
    };
  });
  if (outcome.status !== 'COMPLETE') return;
  for (let from = 0; from < entries.length; from += TABLES_PER_PART) {
    const to = Math.min(entries.length, from + TABLES_PER_PART);
    s3.put(task.s3Bucket, `${root}export_tables_info_${task.id}_from_${from + 1}_to_${to}.json`, JSON.stringify({ perTableStatus: entries.slice(from, to) }));
  }
  s3.put(
    task.s3Bucket,
    `${root}export_info_${task.id}.json`,
    JSON.stringify({
      exportTaskIdentifier: task.id,
      sourceArn: task.sourceArn,
      exportOnly: [],
      snapshotTime: javaTime(task.startedAt),
      taskStartTime: javaTime(task.startedAt),
      taskEndTime: javaTime(task.endedAt),
      s3Bucket: task.s3Bucket,
      s3Prefix: task.s3Prefix,
      exportedFilesPath: root.replace(/\/$/, ''),
      iamRoleArn: task.iamRoleArn,
      kmsKeyId: task.kmsKeyId,
      status: 'COMPLETE',
      percentProgress: 100,
      totalExportedDataInGB: outcome.dataGb,
      databaseOid: 0,
    }),
  );
}

/** Java's medium format, as RDS writes it: "Jun 1, 2024, 4:02:10 AM" (no zone). */
export function javaTime(ms: number): string {
  const date = new Date(ms);
  const hours = date.getUTCHours();
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getUTCMonth()];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${hours % 12 || 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

function uuid(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update(parts.join('|')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function round(gb: number): number {
  return Math.round(gb * 1000) / 1000;
}
