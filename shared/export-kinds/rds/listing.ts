import { DescribeExportTasksCommand, paginateDescribeExportTasks, type DescribeExportTasksCommandInput, type ExportTask, type RDSClient } from '@aws-sdk/client-rds';
import { awsErrorName, toWorkflowError } from '../../runtime/aws-errors.ts';
import { ExportTaskNotFound } from '../../runtime/errors.ts';
import { apiSourceType, parseSourceArn } from './source.ts';
import { normaliseRdsStatus } from '../status.ts';
import type { ExportKind, ListQuery, ListedExport, Page } from '../../../cli/query.ts';
import { sdkPages } from '../sdk-pages.ts';

/** The statuses DescribeExportTasks' `status` filter takes: the API wants them in lowercase. */
export const RDS_FILTER_STATUSES = ['starting', 'in_progress', 'complete', 'canceling', 'canceled', 'failed'] as const;
/** Statuses of a task that has not ended. */
const RUNNING = ['starting', 'in_progress', 'canceling'];

/** `IN_PROGRESS`, `in-progress`, ` In Progress ` → `in_progress`. */
export const lowercaseStatus = (value: string): string => value.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** The RDS export kind: DescribeExportTasks, paged by Marker (MaxRecords 20-100). */
export interface RdsKind extends ExportKind {
  /** One task by identifier; ExportTaskNotFound when RDS has none. */
  describe(exportId: string): Promise<ListedExport>;
  /** Every task that has not ended (starting, in progress, canceling), all pages. */
  running(): Promise<ListedExport[]>;
}

export function rdsKind(rds: RDSClient): RdsKind {
  const kind: RdsKind = {
    name: 'rds',
    idFilter: 'export-task-identifier',
    tokenKey: 'Marker',
    pageSize: { min: 20, max: 100 },
    filters: {
      'export-task-identifier': { meaning: 'the export task identifier' },
      's3-bucket': { meaning: 'the bucket the export writes to' },
      'source-arn': { meaning: 'the ARN of the exported snapshot or cluster' },
      status: { meaning: 'the task status', allowed: RDS_FILTER_STATUSES, normalise: lowercaseStatus },
    },
    sourceTypes: ['SNAPSHOT', 'CLUSTER'],

    async *pages(query: ListQuery, from: string | undefined): AsyncIterable<Page> {
      const input: DescribeExportTasksCommandInput = {
        ...(query.filters.size > 0 ? { Filters: [...query.filters].map(([Name, Values]) => ({ Name, Values })) } : {}),
        ...(query.sourceType ? { SourceType: query.sourceType as 'SNAPSHOT' | 'CLUSTER' } : {}),
      };
      const pages = paginateDescribeExportTasks({ client: rds, ...(query.pageSize ? { pageSize: query.pageSize } : {}), ...(from ? { startingToken: from } : {}) }, input);
      yield* sdkPages('DescribeExportTasks', pages, (page) => ({
        entries: (page.ExportTasks ?? []).map((task) => ({ item: listedRdsExport(task), matches: matchesQuery(task, query) })),
        next: page.Marker || undefined,
      }));
    },

    async describe(exportId: string): Promise<ListedExport> {
      let tasks: ExportTask[];
      try {
        ({ ExportTasks: tasks = [] } = await rds.send(new DescribeExportTasksCommand({ ExportTaskIdentifier: exportId })));
      } catch (error) {
        if (awsErrorName(error) === 'ExportTaskNotFoundFault') throw new ExportTaskNotFound(`Export task ${exportId} does not exist`, { cause: error });
        throw toWorkflowError('DescribeExportTasks', error);
      }
      const task = tasks.find((t) => t.ExportTaskIdentifier?.toLowerCase() === exportId.toLowerCase());
      if (!task) throw new ExportTaskNotFound(`Export task ${exportId} does not exist`);
      return listedRdsExport(task);
    },

    async running(): Promise<ListedExport[]> {
      const query: ListQuery = { filters: new Map([['status', RUNNING]]), pageSize: 100 };
      const running: ListedExport[] = [];
      for await (const page of kind.pages(query, undefined)) running.push(...page.entries.filter((e) => e.matches).map((e) => e.item));
      return running;
    },
  };
  return kind;
}

/**
 * Filters are a request, not a guarantee (moto ignores Filters and SourceType): each task is
 * checked against the query too, with RDS's semantics (identifiers and statuses case-insensitive).
 */
export function matchesQuery(task: ExportTask, query: ListQuery): boolean {
  for (const [name, values] of query.filters) {
    const actual = fieldOf(task, name);
    if (actual === undefined) return false;
    const caseless = name === 'status' || name === 'export-task-identifier';
    const wanted = caseless ? values.map((v) => lowercaseStatus(v)) : values;
    if (!wanted.includes(caseless ? lowercaseStatus(actual) : actual)) return false;
  }
  return !query.sourceType || sourceTypeOf(task) === query.sourceType;
}

function fieldOf(task: ExportTask, filter: string): string | undefined {
  switch (filter) {
    case 'export-task-identifier':
      return task.ExportTaskIdentifier;
    case 's3-bucket':
      return task.S3Bucket;
    case 'source-arn':
      return task.SourceArn;
    case 'status':
      return task.Status;
    default:
      return undefined;
  }
}

function sourceTypeOf(task: ExportTask): string | undefined {
  if (task.SourceType) return task.SourceType.toUpperCase();
  const source = task.SourceArn ? parseSourceArn(task.SourceArn) : undefined;
  return source ? apiSourceType(source.type) : undefined;
}

export function listedRdsExport(task: ExportTask): ListedExport {
  const status = statusOf(task.Status);
  const sourceType = sourceTypeOf(task);
  return {
    exportId: task.ExportTaskIdentifier ?? '',
    source: task.SourceArn ?? '',
    ...(sourceType ? { sourceType } : {}),
    status,
    // moto reports no PercentProgress; a complete task is at 100 % whatever it says.
    percent: status === 'COMPLETE' ? 100 : task.PercentProgress !== undefined ? Math.max(0, Math.min(100, task.PercentProgress)) : null,
    ...(task.TaskStartTime ? { startedAt: task.TaskStartTime.toISOString() } : {}),
    ...(task.TaskEndTime ? { endedAt: task.TaskEndTime.toISOString() } : {}),
    ...(task.S3Bucket ? { s3: `s3://${task.S3Bucket}/${task.S3Prefix ?? ''}` } : {}),
    ...(task.FailureCause ? { failureCause: task.FailureCause } : {}),
  };
}

/** The workflow's statuses (moto's `complete` reads COMPLETE); a status nobody knows is shown as RDS gave it. */
function statusOf(raw: string | undefined): string {
  try {
    return normaliseRdsStatus(raw);
  } catch {
    return (raw ?? 'UNKNOWN').toUpperCase();
  }
}
