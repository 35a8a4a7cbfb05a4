import type { ExportTask, RDSClient } from '@aws-sdk/client-rds';
import type { ExportListing, ListedExport, ListQuery } from '../contract.ts';
import { normaliseRdsStatus } from '../status.ts';
import { describeExportTask, exportTaskPages, RUNNING_STATUSES } from './export-tasks.ts';
import { apiSourceType, parseSourceArn } from './source.ts';

/** The statuses DescribeExportTasks' `status` filter takes: the API wants them in lowercase. */
export const RDS_FILTER_STATUSES = ['starting', 'in_progress', 'complete', 'canceling', 'canceled', 'failed'] as const;

/** `IN_PROGRESS`, `in-progress`, ` In Progress ` → `in_progress`. */
export const lowercaseStatus = (value: string): string => value.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** RDS exports: DescribeExportTasks, paged by Marker (MaxRecords 20-100), with direct calls for one task and the running ones. */
export function rdsListing(rds: RDSClient): ExportListing {
  const listing: ExportListing = {
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

    async *pages(query, from) {
      const input = {
        ...(query.filters.size > 0 ? { Filters: [...query.filters].map(([Name, Values]) => ({ Name, Values })) } : {}),
        ...(query.sourceType ? { SourceType: query.sourceType as 'SNAPSHOT' | 'CLUSTER' } : {}),
      };
      for await (const page of exportTaskPages(rds, input, { ...(query.pageSize ? { pageSize: query.pageSize } : {}), ...(from ? { from } : {}) })) {
        yield {
          entries: (page.ExportTasks ?? []).map((task) => ({ item: listedRdsExport(task), matches: matchesQuery(task, query) })),
          next: page.Marker || undefined,
        };
      }
    },

    describe: async (exportId) => listedRdsExport(await describeExportTask(rds, exportId)),

    async running() {
      const query: ListQuery = { filters: new Map([['status', RUNNING_STATUSES]]), pageSize: 100 };
      const running: ListedExport[] = [];
      for await (const page of listing.pages(query, undefined)) running.push(...page.entries.filter((e) => e.matches).map((e) => e.item));
      return running;
    },
  };
  return listing;
}

/**
 * Filters are a request, not a guarantee (moto ignores Filters and SourceType): each task is
 * checked against the query too, with RDS's semantics (identifiers and statuses case-insensitive).
 */
export function matchesQuery(task: ExportTask, query: ListQuery): boolean {
  for (const [name, values] of query.filters) {
    const actual = FIELDS[name]?.(task);
    if (actual === undefined) return false;
    const caseless = name === 'status' || name === 'export-task-identifier';
    const wanted = caseless ? values.map((v) => lowercaseStatus(v)) : values;
    if (!wanted.includes(caseless ? lowercaseStatus(actual) : actual)) return false;
  }
  return !query.sourceType || sourceTypeOf(task) === query.sourceType;
}

/** The field of a task each filter of DescribeExportTasks selects by. */
const FIELDS: Readonly<Record<string, (task: ExportTask) => string | undefined>> = {
  'export-task-identifier': (task) => task.ExportTaskIdentifier,
  's3-bucket': (task) => task.S3Bucket,
  'source-arn': (task) => task.SourceArn,
  status: (task) => task.Status,
};

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
