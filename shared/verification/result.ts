import type { CatalogResult } from './catalog.ts';
import type { PartialData } from './partial-data.ts';
import type { TableReport } from './report.ts';
import type { RetentionResult } from './retention.ts';

/** What the verify step found: carried by the state to the notification and the execution's output. */
export interface Verification {
  /** COMPLETE: the export table by table. */
  tables?: TableReport;
  /** COMPLETE, with a Glue database configured: the tables made or re-pointed. */
  catalog?: CatalogResult;
  /** COMPLETE, with RETAIN_EXPORTS: the older exports of the source removed. */
  retention?: RetentionResult;
  /** FAILED, CANCELED, TIMED_OUT: what the export left behind. */
  partialData?: PartialData;
  /** Missing or malformed metadata, tables not catalogued: what the reader should know. */
  warnings: string[];
}
