import type { ExportStatus } from './status.ts';
import type { ExportRequest } from './request.ts';

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

/** One implementation per export kind; the workflow knows nothing else of the service. */
export interface ExportProvider {
  /** Starts the export, or adopts the task already started for this request (a duplicate). */
  start(request: ExportRequest): Promise<ExportObservation & { adopted: boolean }>;
  describe(exportId: string): Promise<ExportObservation>;
  /** Asks the service to cancel; a task that already ended is returned as it ended. */
  cancel(exportId: string): Promise<ExportObservation>;
}
