import type { ExportDefaults } from '../runtime/config.ts';
import type { ExportKind, ExportRequest, RequestOf } from './request.ts';
import type { ExportStatus } from './status.ts';

/** One reading of an export task, in the same terms for every kind of export. */
export interface ExportObservation {
  exportId: string;
  sourceArn: string;
  status: ExportStatus;
  /** 0-100. */
  percent: number;
  /** When the service says the task started working (RDS TaskStartTime), ISO-8601. */
  taskStartTime?: string;
  taskEndTime?: string;
  failureCause?: string;
  warning?: string;
  extractedDataGb?: number;
}

/**
 * One implementation per export kind; the workflow knows nothing else of the service. `exportId`
 * of describe and cancel is the id start returned: ours for RDS, the service's for EC2 and ADS.
 */
export interface ExportProvider<Request = ExportRequest> {
  /** Starts the export, or adopts the task already started for this request (a duplicate). */
  start(request: Request): Promise<ExportObservation & { adopted: boolean }>;
  describe(exportId: string): Promise<ExportObservation>;
  /** Asks the service to cancel; a task that already ended is returned as it ended. */
  cancel(exportId: string): Promise<ExportObservation>;
}

/**
 * What the workflow knows of one export kind besides its provider: its input, and the few facts in
 * which kinds differ. One per kind folder (<kind>/kind.ts), found through the registry (registry.ts).
 * The provider is not here: it is loaded on first use (providers.ts), so that a function that never
 * starts, polls or cancels an export of a kind never bundles that kind's SDK client.
 */
export interface ExportKindDefinition<K extends ExportKind> {
  kind: K;
  /** The execution input of this kind (without its `kind` field) → its request; InvalidExportRequest names every problem at once. */
  buildRequest(input: unknown, defaults: ExportDefaults, requestedAt: Date): RequestOf<K>;
  /** Its exports take one of the account's export slots (RDS's quota of concurrent export tasks). */
  takesExportSlot: boolean;
  /** The service announces the export's end with an event, which ends a wait early (RDS export events). */
  sendsExportEvents: boolean;
  /** After its end the export is verified and catalogued (shared/verification/). */
  verifiedAfterEnd: boolean;
  /** Where the export lands, for the notifications; undefined when there is nothing to link to (yet). */
  s3UriOf(request: RequestOf<K>, taskId: string | undefined): string | undefined;
}
