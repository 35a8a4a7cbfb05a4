import { causeMessage, formatDuration } from '../runtime/format.ts';
import { describePartialData, type PartialData } from './partial-data.ts';
import { hasTableProblems } from './report.ts';
import type { Verification } from './result.ts';
import type { TableStatus } from './metadata.ts';

/** What the notification's JSON record says of the verification: bounded, since SNS takes 256 KB. */
export interface VerificationRecord {
  tables?: {
    exported: number;
    failed: number;
    skipped: number;
    totalSizeGb: number;
    notExported: Array<{ name: string; status: TableStatus; reason?: string }>;
    longestExtraction?: { name: string; seconds: number };
  };
  catalog?: { database: string; tables: string[]; omitted?: number };
  partialData?: PartialData;
  retention?: { kept: number; removed: string[] };
  warnings: string[];
}

const LISTED_TABLES = 50;
const LISTED_IN_BODY = 10;

export function verificationRecord(verification: Verification | undefined, verifyError?: { Error: string; Cause?: string }): VerificationRecord {
  const warnings = [...(verification?.warnings ?? [])];
  if (verifyError) warnings.unshift(`The export could not be verified: ${verifyError.Error}: ${causeMessage(verifyError.Cause)}`);
  const { tables, catalog, partialData, retention } = verification ?? {};
  return {
    ...(tables
      ? {
          tables: {
            exported: tables.exported,
            failed: tables.failed,
            skipped: tables.skipped,
            totalSizeGb: tables.totalSizeGb,
            notExported: tables.items.filter((item) => item.status !== 'EXPORTED').slice(0, LISTED_TABLES).map(({ name, status, reason }) => ({ name, status, ...(reason ? { reason } : {}) })),
            ...(tables.longestExtraction ? { longestExtraction: tables.longestExtraction } : {}),
          },
        }
      : {}),
    ...(catalog
      ? { catalog: { database: catalog.database, tables: catalog.tables.slice(0, LISTED_TABLES).map((table) => table.name), ...(catalog.tables.length > LISTED_TABLES ? { omitted: catalog.tables.length - LISTED_TABLES } : {}) } }
      : {}),
    ...(partialData ? { partialData } : {}),
    ...(retention ? { retention: { kept: retention.kept.length, removed: retention.removed.map((removed) => removed.exportId) } } : {}),
    warnings: warnings.slice(0, 10),
  };
}

/** The body's lines for the verification, whether a COMPLETE export is one "with warnings", and what to try. */
export function describeVerification(record: VerificationRecord): { withWarnings: boolean; lines: Array<[string, string]>; advice?: string } {
  const lines: Array<[string, string]> = [];
  const { tables, catalog, partialData, retention } = record;
  if (tables) {
    const longest = tables.longestExtraction ? `; longest extraction ${tables.longestExtraction.name} ${formatDuration(tables.longestExtraction.seconds)}` : '';
    lines.push(['Tables', `${tables.exported} exported, ${tables.failed} failed, ${tables.skipped} skipped (${tables.totalSizeGb} GB${longest})`]);
    for (const table of tables.notExported.slice(0, LISTED_IN_BODY)) lines.push(['Table', `${table.name} ${table.status}${table.reason ? `: ${table.reason}` : ''}`]);
    const more = tables.failed + tables.skipped - Math.min(LISTED_IN_BODY, tables.notExported.length);
    if (more > 0) lines.push(['Table', `… and ${more} more (see the record below and the execution's output)`]);
  }
  if (catalog) {
    const count = catalog.tables.length + (catalog.omitted ?? 0);
    lines.push(['Catalog', count > 0 ? `Glue database ${catalog.database}: ${count} table(s): ${catalog.tables.slice(0, LISTED_IN_BODY).join(', ')}${count > LISTED_IN_BODY ? ', …' : ''}` : `Glue database ${catalog.database}: no table to catalog`]);
    if (catalog.tables[0]) lines.push(['Athena', `SELECT * FROM "${catalog.database}"."${catalog.tables[0]}" LIMIT 10`]);
  }
  if (partialData) {
    const { summary, removal } = describePartialData(partialData);
    lines.push(['Left in S3', summary]);
    if (removal) lines.push(['Remove with', removal]);
  }
  if (retention && retention.removed.length > 0) lines.push(['Retention', `kept the newest ${retention.kept} export(s); deleted ${retention.removed.join(', ')}`]);
  for (const warning of record.warnings.slice(0, LISTED_IN_BODY)) lines.push(['Check', warning]);
  const problems = tables !== undefined && hasTableProblems(tables);
  const withWarnings = problems || record.warnings.length > 0 || (tables === undefined && partialData === undefined);
  return {
    withWarnings,
    lines,
    ...(problems
      ? {
          advice:
            'Tables that failed or were skipped are not in the export. Read each reason: names with spaces or , ; { } ( ) = characters, a / in a table name, ' +
            'temporary or unlogged tables, rows near 2 GB, or a table the master user cannot read (GRANT SELECT to it) are the usual causes. ' +
            'Fix the source, then export those tables again with exportOnly.',
        }
      : record.warnings.length > 0
        ? { advice: 'The export completed, but its tables could not all be verified or catalogued: see Check above; count rows with Athena before relying on it.' }
        : {}),
  };
}
