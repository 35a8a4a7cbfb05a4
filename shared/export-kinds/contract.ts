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
