import { paginateDescribeExportImageTasks, type DescribeExportImageTasksCommandInput, type EC2Client, type ExportImageTask } from '@aws-sdk/client-ec2';
import type { ExportListing, ListedExport } from '../contract.ts';
import { lookupsThroughPages } from '../listing.ts';
import { sdkPages } from '../sdk-pages.ts';
import { describeImageTask, normaliseEc2ImageTask } from './ec2-image-provider.ts';
import { imageArn } from './request.ts';

const TASK_STATES = ['active', 'completed', 'deleting', 'deleted'] as const;

/**
 * EC2 image exports (VM Import/Export): DescribeExportImageTasks, paged by NextToken
 * (MaxResults 1-500). Its only filter is `task-state`; task ids are a parameter of their own.
 */
export function ec2ImageListing(ec2: EC2Client): ExportListing {
  const listing: Pick<ExportListing, 'name' | 'idFilter' | 'tokenKey' | 'pageSize' | 'filters' | 'pages'> = {
    name: 'ec2-image',
    idFilter: 'export-image-task-id',
    tokenKey: 'NextToken',
    pageSize: { min: 1, max: 500 },
    filters: {
      'task-state': { meaning: "EC2's task state", allowed: TASK_STATES, normalise: (value) => value.trim().toLowerCase() },
      'export-image-task-id': { meaning: 'the export image task id (export-ami-...)' },
    },
    async *pages(query, from) {
      const states = query.filters.get('task-state');
      const ids = query.filters.get('export-image-task-id');
      const input: DescribeExportImageTasksCommandInput = {
        ...(states ? { Filters: [{ Name: 'task-state', Values: states }] } : {}),
        ...(ids ? { ExportImageTaskIds: ids } : {}),
      };
      const region = await ec2.config.region();
      const pages = paginateDescribeExportImageTasks({ client: ec2, ...(query.pageSize ? { pageSize: query.pageSize } : {}), ...(from ? { startingToken: from } : {}) }, input);
      yield* sdkPages('DescribeExportImageTasks', pages, (page) => ({
        entries: (page.ExportImageTasks ?? []).map((task) => ({
          item: listedImageExport(task, region),
          matches: (!states || states.includes((task.Status ?? '').toLowerCase())) && (!ids || ids.includes(task.ExportImageTaskId ?? '')),
        })),
        next: page.NextToken || undefined,
      }));
    },
  };
  return {
    ...listing,
    describe: async (taskId) => listedImageExport(await describeImageTask(ec2, taskId), await ec2.config.region()),
    running: lookupsThroughPages(listing).running,
  };
}

export function listedImageExport(task: ExportImageTask, region: string): ListedExport {
  let status: string;
  let percent: number | null;
  let failureCause: string | undefined;
  try {
    const reading = normaliseEc2ImageTask(task);
    ({ status, percent, failureCause } = reading);
  } catch {
    status = (task.Status ?? 'UNKNOWN').toUpperCase();
    percent = null;
  }
  const location = task.S3ExportLocation;
  return {
    exportId: task.ExportImageTaskId ?? '',
    source: task.ImageId ? imageArn(region, task.ImageId) : '',
    status,
    percent,
    ...(location?.S3Bucket ? { s3: `s3://${location.S3Bucket}/${location.S3Prefix ?? ''}` } : {}),
    ...(failureCause ? { failureCause } : {}),
  };
}
