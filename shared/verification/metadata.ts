/**
 * What an RDS export says about itself: the export_info_<id>.json and export_tables_info_<id>_from_<n>_to_<m>.json
 * files it writes beside the data (docs/verify-and-catalog.md, shared/reference/rds-export-output.md).
 * Pure parsing and folding: the files arrive as text, a bad one becomes a warning, never an exception.
 */

export type TableStatus = 'EXPORTED' | 'FAILED' | 'SKIPPED';

/** One column as RDS reports it: the source type and the Parquet type it wrote. */
export interface ColumnMetadata {
  name: string;
  originalType?: string;
  exportedType?: string;
}

export interface TableMetadata {
  /** `database.schema.table` (MySQL repeats the database: `shop.shop.orders`), or a database name for a database-wide warning. */
  target: string;
  status: TableStatus;
  /** RDS's own status word (COMPLETE, FAILED, …) when it gave one. */
  rdsStatus?: string;
  reason?: string;
  sizeGb?: number;
  extractionSeconds?: number;
  columns: ColumnMetadata[];
}

export interface ExportInfo {
  exportTaskIdentifier?: string;
  sourceArn?: string;
  status?: string;
  exportedFilesPath?: string;
  totalExportedDataInGb?: number;
}

/** A metadata file as listed and read from S3. */
export interface MetadataFile {
  key: string;
  text: string;
}

export interface ParsedMetadata {
  info?: ExportInfo;
  tables: TableMetadata[];
  warnings: string[];
}

/** The file names RDS gives the metadata of export `exportId` (AWS says names may change: we list, then match). */
export const exportInfoName = (exportId: string): string => `export_info_${exportId}.json`;
export const tablesInfoPrefix = (exportId: string): string => `export_tables_info_${exportId}_from_`;

/**
 * Reads export_info (optional) and every export_tables_info part. Parts are concatenated in the
 * order of their `from` index; a table reported twice counts once. The DescribeExportTasks
 * WarningMessage (a JSON string: skippedTables, general) adds what the files may not say.
 */
export function parseExportMetadata(exportId: string, files: MetadataFile[], taskWarning?: string): ParsedMetadata {
  const warnings: string[] = [];
  const infoFile = files.find((file) => baseName(file.key) === exportInfoName(exportId));
  const info = infoFile ? parseExportInfo(infoFile, warnings) : undefined;
  const parts = files
    .filter((file) => baseName(file.key).startsWith(tablesInfoPrefix(exportId)) && file.key.endsWith('.json'))
    .sort((a, b) => fromIndex(a.key) - fromIndex(b.key) || a.key.localeCompare(b.key));
  if (parts.length === 0) warnings.push(`No ${tablesInfoPrefix(exportId)}*.json file was found: the tables of this export could not be verified.`);
  const byTarget = new Map<string, TableMetadata>();
  for (const part of parts) {
    for (const table of parseTablesInfo(part, warnings)) if (!byTarget.has(table.target)) byTarget.set(table.target, table);
  }
  for (const table of parseTaskWarning(taskWarning, warnings)) if (!byTarget.has(table.target)) byTarget.set(table.target, table);
  return { ...(info ? { info } : {}), tables: [...byTarget.values()], warnings };
}

function parseExportInfo(file: MetadataFile, warnings: string[]): ExportInfo | undefined {
  const json = parseJson(file, warnings);
  if (!isRecord(json)) {
    if (json !== undefined) warnings.push(`${baseName(file.key)} is not a JSON object: ignored.`);
    return undefined;
  }
  const info: ExportInfo = {};
  for (const field of ['exportTaskIdentifier', 'sourceArn', 'status', 'exportedFilesPath'] as const) {
    if (typeof json[field] === 'string') info[field] = json[field];
  }
  const total = numberOf(json.totalExportedDataInGB);
  if (total !== undefined) info.totalExportedDataInGb = total;
  return info;
}

function parseTablesInfo(file: MetadataFile, warnings: string[]): TableMetadata[] {
  const json = parseJson(file, warnings);
  if (json === undefined) return [];
  const entries = isRecord(json) ? json.perTableStatus : undefined;
  if (!Array.isArray(entries)) {
    warnings.push(`${baseName(file.key)} has no perTableStatus list: ignored.`);
    return [];
  }
  const tables: TableMetadata[] = [];
  entries.forEach((entry, index) => {
    const table = isRecord(entry) ? parseTableEntry(entry) : undefined;
    if (table) tables.push(table);
    else warnings.push(`${baseName(file.key)}: perTableStatus[${index}] names no target table: ignored.`);
  });
  return tables;
}

/**
 * COMPLETE is exported (a warningMessage beside it is kept as the reason, e.g. a string conversion).
 * Any other status word is a failure. An entry with a warningMessage and no status is a table (or a
 * whole database) RDS skipped, unless the message says it failed.
 */
export function parseTableEntry(entry: Record<string, unknown>): TableMetadata | undefined {
  const target = typeof entry.target === 'string' ? entry.target.trim() : '';
  if (!target) return undefined;
  const rdsStatus = typeof entry.status === 'string' ? entry.status.trim().toUpperCase() : undefined;
  const reason = typeof entry.warningMessage === 'string' && entry.warningMessage.trim() ? entry.warningMessage.trim() : undefined;
  const status: TableStatus =
    rdsStatus === 'COMPLETE' ? 'EXPORTED'
    : rdsStatus !== undefined && !/SKIP/.test(rdsStatus) ? 'FAILED'
    : reason !== undefined && /FAIL|ERROR/i.test(reason) ? 'FAILED'
    : 'SKIPPED';
  const statistics = isRecord(entry.tableStatistics) ? entry.tableStatistics : {};
  const started = parseExportTime(statistics.extractionStartTime);
  const ended = parseExportTime(statistics.extractionEndTime);
  const sizeGb = numberOf(entry.sizeGB);
  const mappings = isRecord(entry.schemaMetadata) ? entry.schemaMetadata.originalTypeMappings : undefined;
  const columns: ColumnMetadata[] = Array.isArray(mappings)
    ? mappings.filter(isRecord).flatMap((mapping) => {
        if (typeof mapping.columnName !== 'string' || mapping.columnName === '') return [];
        return [{
          name: mapping.columnName,
          ...(typeof mapping.originalType === 'string' ? { originalType: mapping.originalType } : {}),
          ...(typeof mapping.expectedExportedType === 'string' ? { exportedType: mapping.expectedExportedType } : {}),
        }];
      })
    : [];
  return {
    target,
    status,
    ...(rdsStatus !== undefined ? { rdsStatus } : {}),
    ...(reason !== undefined ? { reason } : status !== 'EXPORTED' && rdsStatus ? { reason: `RDS reported the table ${rdsStatus}` } : {}),
    ...(sizeGb !== undefined ? { sizeGb } : {}),
    ...(started !== undefined && ended !== undefined && ended >= started ? { extractionSeconds: Math.round((ended - started) / 1000) } : {}),
    columns,
  };
}

/**
 * DescribeExportTasks' WarningMessage: `{"skippedTables":[...],"skippedObjectives":[],"general":[{"reason":"…"}]}`.
 * The shape of a skipped table is undocumented: a string, or an object naming it (target, table,
 * tableName, name) with a reason. Plain text is kept as a warning.
 */
export function parseTaskWarning(text: string | undefined, warnings: string[]): TableMetadata[] {
  if (!text?.trim()) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    warnings.push(`RDS warning: ${text.trim()}`);
    return [];
  }
  if (!isRecord(json)) return [];
  for (const general of Array.isArray(json.general) ? json.general : []) {
    const reason = isRecord(general) ? general.reason : general;
    if (typeof reason === 'string' && reason) warnings.push(`RDS warning: ${reason}`);
  }
  const skipped = Array.isArray(json.skippedTables) ? json.skippedTables : [];
  return skipped.flatMap((item): TableMetadata[] => {
    if (typeof item === 'string' && item) return [{ target: item, status: 'SKIPPED', reason: 'RDS reported the table skipped', columns: [] }];
    if (!isRecord(item)) return [];
    const target = [item.target, item.table, item.tableName, item.name].find((value): value is string => typeof value === 'string' && value !== '');
    if (!target) return [];
    const reason = [item.reason, item.warningMessage, item.message].find((value): value is string => typeof value === 'string' && value !== '');
    return [{ target, status: 'SKIPPED', reason: reason ?? 'RDS reported the table skipped', columns: [] }];
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Milliseconds of an export timestamp. RDS writes Java's medium format without a zone
 * ("Jun 1, 2024, 4:02:10 AM"): read as UTC, which only matters for absolute times, never for the
 * extraction's duration. ISO-8601 is read too.
 */
export function parseExportTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const java = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})\s?([AP]M)$/.exec(value.trim().replace(/\u202f/g, ' '));
  if (java) {
    const [, month, day, year, hour, minute, second, half] = java as unknown as string[];
    const monthIndex = MONTHS.indexOf(month!);
    if (monthIndex < 0) return undefined;
    const hours = (Number(hour) % 12) + (half === 'PM' ? 12 : 0);
    return Date.UTC(Number(year), monthIndex, Number(day), hours, Number(minute), Number(second));
  }
  const iso = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  return Number.isNaN(iso) ? undefined : iso;
}

function parseJson(file: MetadataFile, warnings: string[]): unknown {
  try {
    return JSON.parse(file.text);
  } catch (error) {
    warnings.push(`${baseName(file.key)} is not valid JSON (${(error as Error).message}): ignored.`);
    return undefined;
  }
}

function fromIndex(key: string): number {
  const match = /_from_(\d+)_to_\d+\.json$/.exec(key);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
