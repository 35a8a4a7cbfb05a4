import { paginateDescribeExportTasks, type RDSClient } from '@aws-sdk/client-rds';
import { toWorkflowError } from '../../runtime/aws-errors.ts';
import type { ExportHistory, PastExport } from '../ports.ts';

/** The account's completed export tasks into a bucket, every page of DescribeExportTasks. */
export function rdsExportHistory(rds: RDSClient): ExportHistory {
  return {
    async completedExports(bucket) {
      const found: PastExport[] = [];
      try {
        const pages = paginateDescribeExportTasks({ client: rds, pageSize: 100 }, {
          Filters: [
            { Name: 'status', Values: ['complete'] },
            { Name: 's3-bucket', Values: [bucket] },
          ],
        });
        for await (const page of pages) {
          for (const task of page.ExportTasks ?? []) {
            if (!task.ExportTaskIdentifier || !task.SourceArn || !task.S3Bucket) continue;
            const takenAt = task.SnapshotTime ?? task.TaskStartTime;
            found.push({
              exportId: task.ExportTaskIdentifier,
              sourceArn: task.SourceArn,
              s3Bucket: task.S3Bucket,
              s3Prefix: task.S3Prefix ?? '',
              takenAt: takenAt ? takenAt.toISOString() : '',
            });
          }
        }
      } catch (error) {
        throw toWorkflowError('RDS DescribeExportTasks', error);
      }
      return found;
    },
  };
}
