import type { TableMetadata, TableStatus } from './metadata.ts';

/** One table in the result: what happened to it and why, how big it is and how long RDS took. */
export interface TableReportItem {
  name: string;
  status: TableStatus;
  reason?: string;
  sizeGb?: number;
  extractionSeconds?: number;
}

/** The export, table by table: what the execution output carries and the notification summarises. */
export interface TableReport {
  exported: number;
  failed: number;
  skipped: number;
  totalSizeGb: number;
  /** The sum of every table's extraction time (RDS extracts tables in parallel: not the export's duration). */
  totalExtractionSeconds: number;
  longestExtraction?: { name: string; seconds: number };
  /** Failed and skipped tables first, then exported ones, at most MAX_REPORT_ITEMS. */
  items: TableReportItem[];
  /** Exported tables left out of `items` to keep the execution's state small (256 KB limit). */
  omittedItems?: number;
}

/** Step Functions caps a state at 256 KB: thousands of tables must not fail the execution. */
export const MAX_REPORT_ITEMS = 200;

export function foldTables(tables: TableMetadata[]): TableReport {
  const count = (status: TableStatus) => tables.filter((table) => table.status === status).length;
  const items = tables.map(toItem);
  const problems = items.filter((item) => item.status !== 'EXPORTED');
  const exported = items.filter((item) => item.status === 'EXPORTED');
  const kept = [...problems, ...exported].slice(0, Math.max(MAX_REPORT_ITEMS, problems.length));
  const longest = tables.reduce<TableMetadata | undefined>(
    (best, table) => (table.extractionSeconds !== undefined && table.extractionSeconds > (best?.extractionSeconds ?? -1) ? table : best),
    undefined,
  );
  return {
    exported: count('EXPORTED'),
    failed: count('FAILED'),
    skipped: count('SKIPPED'),
    totalSizeGb: round(tables.reduce((sum, table) => sum + (table.sizeGb ?? 0), 0)),
    totalExtractionSeconds: tables.reduce((sum, table) => sum + (table.extractionSeconds ?? 0), 0),
    ...(longest ? { longestExtraction: { name: longest.target, seconds: longest.extractionSeconds! } } : {}),
    items: kept,
    ...(kept.length < items.length ? { omittedItems: items.length - kept.length } : {}),
  };
}

export const hasTableProblems = (report: Pick<TableReport, 'failed' | 'skipped'>): boolean => report.failed + report.skipped > 0;

function toItem(table: TableMetadata): TableReportItem {
  return {
    name: table.target,
    status: table.status,
    ...(table.reason !== undefined ? { reason: table.reason } : {}),
    ...(table.sizeGb !== undefined ? { sizeGb: table.sizeGb } : {}),
    ...(table.extractionSeconds !== undefined ? { extractionSeconds: table.extractionSeconds } : {}),
  };
}

/** Sizes in GB to the MB: float sums of sizeGB would print 12.730000000000002. */
export function round(gb: number): number {
  return Math.round(gb * 1000) / 1000;
}
