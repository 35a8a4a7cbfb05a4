import {
  CancelExportTaskCommand,
  StartExportTaskCommand,
  type ExportTask,
  RDSClient,
  type RDSClientConfig,
} from '@aws-sdk/client-rds';
import { ExportIdentifierConflict, ExportQuotaExceeded, ExportTaskNotFound } from '../../runtime/errors.ts';
import type { ExportObservation, ExportProvider } from '../contract.ts';
import type { ActiveExport, ActiveExports } from '../../slots/dispatch.ts';
import type { RdsRequest } from './request.ts';
import { normaliseRdsStatus } from '../status.ts';
import { awsErrorName, toWorkflowError } from '../../runtime/aws-errors.ts';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';
import { describeExportTask, exportTaskPages, isRunning, RUNNING_STATUSES } from './export-tasks.ts';

/** RDS exports of DB snapshots, DB cluster snapshots and live DB clusters (StartExportTask and friends). */
export class RdsExportProvider implements ExportProvider<RdsRequest>, ActiveExports {
  constructor(private readonly rds: RDSClient) {}

  async start(request: RdsRequest): Promise<ExportObservation & { adopted: boolean }> {
    try {
      const task = await this.rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: request.exportId,
          SourceArn: request.source.arn,
          S3BucketName: request.s3Bucket,
          S3Prefix: request.s3Prefix || undefined,
          IamRoleArn: request.iamRoleArn,
          KmsKeyId: request.kmsKeyId,
          ExportOnly: request.exportOnly,
        }),
      );
      return { ...observe(task, request.exportId), adopted: false };
    } catch (error) {
      if (isQuotaError(error)) throw new ExportQuotaExceeded(`StartExportTask refused: the account's export quota is full (${(error as Error).message})`, { cause: error });
      if (awsErrorName(error) !== 'ExportTaskAlreadyExistsFault') throw toWorkflowError('StartExportTask', error);
    }
    // A redelivered event or a retried start: the task is ours if it exports the same source.
    const existing = await this.describe(request.exportId);
    if (existing.sourceArn !== request.source.arn) {
      throw new ExportIdentifierConflict(
        `Export task ${request.exportId} already exists for ${existing.sourceArn}, not ${request.source.arn}`,
      );
    }
    return { ...existing, adopted: true };
  }

  async describe(exportId: string): Promise<ExportObservation> {
    return observe(await describeExportTask(this.rds, exportId), exportId);
  }

  async cancel(exportId: string): Promise<ExportObservation> {
    try {
      return observe(await this.rds.send(new CancelExportTaskCommand({ ExportTaskIdentifier: exportId })), exportId);
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'ExportTaskNotFoundFault') throw new ExportTaskNotFound(`Export task ${exportId} does not exist`, { cause: error });
      if (name !== 'InvalidExportTaskStateFault') throw toWorkflowError('CancelExportTask', error);
    }
    // The task ended before the cancel reached it: what it ended as is the truth.
    return this.describe(exportId);
  }

  /** Every export task of the account that holds a slot, all pages: snapshot and cluster exports share the quota. */
  async active(): Promise<ActiveExport[]> {
    const active: ActiveExport[] = [];
    for await (const page of exportTaskPages(this.rds, { Filters: [{ Name: 'status', Values: RUNNING_STATUSES }] }, { pageSize: 100 })) {
      for (const task of page.ExportTasks ?? []) {
        // Filters are a request, not a guarantee (emulators ignore them): check the status too.
        if (isRunning(task)) active.push({ exportId: task.ExportTaskIdentifier ?? '', sourceArn: task.SourceArn ?? '' });
      }
    }
    return active;
  }
}

/**
 * Past the concurrent-export quota RDS answers ExportTaskLimitReachedFault ("You have reached the
 * limit of 5 concurrent export tasks"); a limit-style code or such a message (older API versions,
 * emulators) is read the same way.
 */
function isQuotaError(error: unknown): boolean {
  const name = awsErrorName(error);
  const message = (error as Error | undefined)?.message ?? '';
  return (
    name === 'ExportTaskLimitReachedFault' ||
    /Quota|LimitExceeded|LimitReached/.test(name) ||
    /(quota|maximum number|limit).{0,40}export task/i.test(message)
  );
}

function observe(task: ExportTask, exportId: string): ExportObservation {
  return {
    exportId: task.ExportTaskIdentifier ?? exportId,
    sourceArn: task.SourceArn ?? '',
    status: normaliseRdsStatus(task.Status),
    percent: Math.max(0, Math.min(100, task.PercentProgress ?? 0)),
    ...(task.TaskStartTime ? { taskStartTime: task.TaskStartTime.toISOString() } : {}),
    ...(task.TaskEndTime ? { taskEndTime: task.TaskEndTime.toISOString() } : {}),
    ...(task.FailureCause ? { failureCause: task.FailureCause } : {}),
    ...(task.WarningMessage ? { warning: task.WarningMessage } : {}),
    ...(task.TotalExtractedDataInGB !== undefined ? { extractedDataGb: task.TotalExtractedDataInGB } : {}),
  };
}

/** Made once per cold start, like the other clients (shared/slots/clients.ts loads this module on first use). */
export const rdsExportProvider = (clientConfig: RDSClientConfig = {}): RdsExportProvider =>
  new RdsExportProvider(new RDSClient({ ...SDK_OPTIONS, ...clientConfig }));
