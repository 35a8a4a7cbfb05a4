import { NamedError } from '../runtime/errors.ts';
import type { TableMetadata } from './metadata.ts';
import { glueTypeOf } from './glue-types.ts';
import type { CatalogTable, DataCatalog } from './ports.ts';

/**
 * Glue Data Catalog tables straight from the export's metadata (no crawler). Design
 * (docs/verify-and-catalog.md): one database per source (GLUE_DATABASE template), one stable table
 * per exported table (`<database>_<schema>_<table>`, the schema left out when MySQL repeats the
 * database), re-pointed at each newer export of the source. The export's id and time are table
 * parameters: an older export (a late retry, an out-of-order run) never re-points a table back, and
 * a retried step finds every table already as it would write it and changes nothing.
 */

/** Another writer created the table between our GetTable and CreateTable: read it again and update. */
export class CatalogTableExists extends NamedError {}

export const EXPORT_ID_PARAMETER = 'export_orchestrator.export_id';
export const EXPORT_TIME_PARAMETER = 'export_orchestrator.export_time';
export const SOURCE_PARAMETER = 'export_orchestrator.source_arn';
export const TARGET_PARAMETER = 'export_orchestrator.rds_target';

/** Glue names: lower-case letters, digits and underscores, at most 255 characters. */
export function glueName(text: string): string {
  const name = text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  return (name || 'unnamed').slice(0, 255);
}

/**
 * The DB instance or cluster an export comes from: a live cluster's identifier, an automated
 * snapshot's name less `rds:` and its timestamp, a manual one's less a trailing date or timestamp.
 */
export function sourceDatabaseOf(sourceName: string): string {
  const name = sourceName.replace(/^(rds|awsbackup):/, '').replace(/^job-[0-9a-f-]{36}$/i, 'awsbackup');
  return name.replace(/-\d{4}-\d{2}-\d{2}(-\d{2}-\d{2}(-\d{2})?)?$/, '') || name;
}

/** `{source}` is the DB instance or cluster identifier; `{account}` and `{region}` too. */
export function catalogDatabaseName(template: string, source: { name: string; account: string; region: string }): string {
  return glueName(
    template
      .replace(/\{source\}/g, sourceDatabaseOf(source.name))
      .replace(/\{account\}/g, source.account)
      .replace(/\{region\}/g, source.region),
  );
}

/** `shop.shop.orders` → `shop_orders`; `appdb.public.orders` → `appdb_public_orders`. */
export function catalogTableName(target: string): string {
  const parts = target.split('.');
  if (parts.length === 3 && parts[0] === parts[1]) parts.splice(1, 1);
  return glueName(parts.join('_'));
}

/**
 * Where RDS writes a table: `<db>/<schema>.<table>/` under the export's folder (MySQL's schema is
 * the database). Backslash, backtick, double quote and space become `_` in S3 paths.
 */
export function tableFolder(target: string): string {
  const parts = target.split('.');
  const [database, ...rest] = parts.length === 2 ? [parts[0]!, parts[0]!, parts[1]!] : [parts[0]!, ...parts.slice(1)];
  return `${[database, rest.join('.')].map((part) => part.replace(/[\\`" ]/g, '_')).join('/')}/`;
}

export interface ExportFacts {
  exportId: string;
  sourceArn: string;
  /** The export's folder, `s3://bucket/<prefix>/<export-id>/`. */
  exportRoot: string;
  /** Orders exports of one source: ISO-8601, the newest re-points the tables. */
  exportTime: string;
}

export function catalogTableFor(table: TableMetadata, facts: ExportFacts): CatalogTable {
  const columns = table.columns.map((column) => {
    const mapped = glueTypeOf(column);
    const comment = [column.originalType && `source type ${column.originalType}`, mapped.guessed && `unknown exported type ${column.exportedType ?? '(none)'}: check the Parquet footer`]
      .filter(Boolean)
      .join('; ');
    return { name: column.name.toLowerCase(), type: mapped.type, ...(comment ? { comment: comment.slice(0, 255) } : {}) };
  });
  return {
    name: catalogTableName(table.target),
    description: `${table.target} from RDS export ${facts.exportId} (${facts.sourceArn})`.slice(0, 2048),
    location: `${facts.exportRoot}${tableFolder(table.target)}`,
    columns,
    parameters: {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      [EXPORT_ID_PARAMETER]: facts.exportId,
      [EXPORT_TIME_PARAMETER]: facts.exportTime,
      [SOURCE_PARAMETER]: facts.sourceArn,
      [TARGET_PARAMETER]: table.target,
    },
  };
}

export type CatalogAction = 'created' | 'updated' | 'unchanged' | 'kept-newer';

export interface CatalogResult {
  database: string;
  tables: Array<{ name: string; target: string; action: CatalogAction }>;
  warnings: string[];
}

/** Creates the database and one table per exported table; errors of Glue propagate (throttling is retried by the state machine). */
export async function catalogExport(tables: TableMetadata[], database: string, facts: ExportFacts, catalog: DataCatalog): Promise<CatalogResult> {
  const result: CatalogResult = { database, tables: [], warnings: [] };
  const exported = tables.filter((table) => table.status === 'EXPORTED' && table.target.includes('.'));
  if (exported.length === 0) return result;
  await catalog.ensureDatabase(database, `RDS exports of ${sourceDatabaseOf(facts.sourceArn.split(':').slice(6).join(':'))}, catalogued by export-orchestrator`);
  const seen = new Map<string, string>();
  for (const table of exported) {
    if (table.columns.length === 0) {
      result.warnings.push(`${table.target}: the metadata lists no columns, so no catalog table was made for it.`);
      continue;
    }
    const wanted = catalogTableFor(table, facts);
    const clash = seen.get(wanted.name);
    if (clash) {
      result.warnings.push(`${table.target}: its catalog name ${wanted.name} is already taken by ${clash}: not catalogued.`);
      continue;
    }
    seen.set(wanted.name, table.target);
    const guessed = wanted.columns.filter((column) => column.comment?.includes('unknown exported type'));
    if (guessed.length > 0) result.warnings.push(`${table.target}: declared string for column(s) ${guessed.map((c) => c.name).join(', ')} of unknown type.`);
    result.tables.push({ name: wanted.name, target: table.target, action: await upsert(catalog, database, wanted) });
  }
  return result;
}

async function upsert(catalog: DataCatalog, database: string, wanted: CatalogTable): Promise<CatalogAction> {
  const existing = await catalog.getTable(database, wanted.name);
  if (!existing) {
    try {
      await catalog.createTable(database, wanted);
      return 'created';
    } catch (error) {
      if (!(error instanceof CatalogTableExists)) throw error;
      return upsert(catalog, database, wanted);
    }
  }
  const theirTime = existing.parameters[EXPORT_TIME_PARAMETER];
  if (theirTime !== undefined && theirTime > wanted.parameters[EXPORT_TIME_PARAMETER]!) return 'kept-newer';
  if (sameTable(existing, wanted)) return 'unchanged';
  await catalog.updateTable(database, wanted);
  return 'updated';
}

function sameTable(a: CatalogTable, b: CatalogTable): boolean {
  const columns = (table: CatalogTable) => JSON.stringify(table.columns.map(({ name, type }) => [name, type]));
  return a.location === b.location && columns(a) === columns(b) && Object.entries(b.parameters).every(([key, value]) => a.parameters[key] === value);
}
