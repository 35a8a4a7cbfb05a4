import { DescribeExportTasksCommand, paginateDescribeExportTasks, type DescribeExportTasksCommandInput, type DescribeExportTasksCommandOutput, type ExportTask, type RDSClient } from '@aws-sdk/client-rds';
import { awsErrorName, toWorkflowError } from '../../runtime/aws-errors.ts';
import { ExportTaskNotFound } from '../../runtime/errors.ts';
import { sdkPages } from '../sdk-pages.ts';

/**
 * DescribeExportTasks as the provider (describe, the slots' active exports) and the listing (list,
 * watch, cancel) read it: one task by identifier, or pages of tasks, its errors named once.
 */

/** Statuses of a task that has not ended: each holds one of the account's export slots. The API wants them in lowercase. */
export const RUNNING_STATUSES = ['starting', 'in_progress', 'canceling'];

export const isRunning = (task: Pick<ExportTask, 'Status'>): boolean => RUNNING_STATUSES.includes((task.Status ?? '').toLowerCase());

/** One task by identifier (case-insensitive, as RDS compares them); ExportTaskNotFound when RDS has none. */
export async function describeExportTask(rds: RDSClient, exportId: string): Promise<ExportTask> {
  let tasks: ExportTask[];
  try {
    ({ ExportTasks: tasks = [] } = await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: exportId })));
  } catch (error) {
    if (awsErrorName(error) === 'ExportTaskNotFoundFault') throw new ExportTaskNotFound(`Export task ${exportId} does not exist`, { cause: error });
    throw toWorkflowError('DescribeExportTasks', error);
  }
  const task = tasks.find((t) => t.ExportTaskIdentifier?.toLowerCase() === exportId.toLowerCase());
  if (!task) throw new ExportTaskNotFound(`Export task ${exportId} does not exist`);
  return task;
}

/** The answers of DescribeExportTasks page by page (Marker; MaxRecords 20-100), from `from` on. */
export function exportTaskPages(
  rds: RDSClient,
  input: DescribeExportTasksCommandInput,
  paging: { pageSize?: number; from?: string } = {},
): AsyncGenerator<DescribeExportTasksCommandOutput> {
  const paginator = paginateDescribeExportTasks(
    { client: rds, ...(paging.pageSize ? { pageSize: paging.pageSize } : {}), ...(paging.from ? { startingToken: paging.from } : {}) },
    input,
  );
  return sdkPages('DescribeExportTasks', paginator, (page) => page);
}
