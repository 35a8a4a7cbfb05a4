import { TERMINAL_STATUSES } from '../shared/export-kinds/status.ts';
import { ExportTaskNotFound } from '../shared/runtime/errors.ts';
import { UsageError } from './errors.ts';

/** One export task as `list` and `watch` show it, whatever service runs it. */
export interface ListedExport {
  exportId: string;
  /** The exported resource (an RDS or AMI ARN); empty when the service names none (ADS). */
  source: string;
  /** RDS: SNAPSHOT or CLUSTER, as DescribeExportTasks reports it. */
  sourceType?: string;
  /** The workflow's statuses (shared/export-kinds/status.ts) when the service's status is known; else the service's own, uppercased. */
  status: string;
  /** 0-100; null when the service reports none. */
  percent: number | null;
  startedAt?: string;
  endedAt?: string;
  /** s3://bucket/prefix the export writes to. */
  s3?: string;
  failureCause?: string;
}

export const hasEnded = (item: ListedExport): boolean => (TERMINAL_STATUSES as readonly string[]).includes(item.status);

/** A `--filter name=v1,v2` as typed. */
export interface FilterArg {
  name: string;
  values: string[];
}

/** What a kind accepts for `--filter NAME=…`. */
export interface FilterSpec {
  /** For --help and error messages. */
  meaning: string;
  /** The values the API accepts (after `normalise`); others are refused. */
  allowed?: readonly string[];
  /** e.g. statuses: the RDS API wants them in lowercase. */
  normalise?: (value: string) => string;
}

/** The query of one `list`, already validated against the kind. */
export interface ListQuery {
  /** Filter name → values, names and values as the API wants them. */
  filters: Map<string, string[]>;
  sourceType?: string;
  pageSize?: number;
}

/** One page of the service's answer: every task on it, and whether it matches the query. */
export interface Page {
  entries: Array<{ item: ListedExport; matches: boolean }>;
  /** The token that asks for the next page; undefined on the last page. */
  next: string | undefined;
}

/**
 * One export service, as `list` sees it: a small adapter over the service's paginated describe
 * call. The paging, --max-items and --starting-token logic (cli/paging.ts) is the same for all.
 */
export interface ExportKind {
  name: string;
  /** The request's pagination token parameter (RDS Marker, EC2 NextToken): the key in --starting-token. */
  tokenKey: string;
  /** What the API allows for its page size parameter. */
  pageSize: { min: number; max: number };
  filters: Readonly<Record<string, FilterSpec>>;
  /** Values of --source-type, when the API has one. */
  sourceTypes?: readonly string[];
  /** Pages from `from` (a token of this kind, undefined: the first page) on. */
  pages(query: ListQuery, from: string | undefined): AsyncIterable<Page>;
  /** The filter that selects one export by its id (what `watch ID` and `cancel ID` look up). */
  idFilter: string;
}

/**
 * `watch` and `cancel` of any kind, through its listing: one export by its id filter, and every
 * export that has not ended. (RDS has direct calls of its own for both.)
 */
export function lookupsOf(kind: ExportKind): { describe(exportId: string): Promise<ListedExport>; running(): Promise<ListedExport[]> } {
  const all = async (filters: Map<string, string[]>): Promise<ListedExport[]> => {
    const found: ListedExport[] = [];
    for await (const page of kind.pages({ filters }, undefined)) for (const entry of page.entries) if (entry.matches) found.push(entry.item);
    return found;
  };
  return {
    async describe(exportId) {
      const [found] = await all(new Map([[kind.idFilter, [exportId]]]));
      if (!found) throw new ExportTaskNotFound(`${kind.name} export ${exportId} does not exist`);
      return found;
    },
    async running() {
      return (await all(new Map())).filter((item) => !hasEnded(item));
    },
  };
}

/**
 * `--filter status=in_progress,starting`, and the AWS CLI's shorthand
 * `--filter Name=status,Values=in_progress,starting`, are both read.
 */
export function parseFilterArg(raw: string): FilterArg {
  const shorthand = /^Name=([^,]*),Values=(.*)$/i.exec(raw);
  const match = shorthand ?? /^([^=]*)=(.*)$/.exec(raw);
  if (!match) throw new UsageError(`--filter "${raw}": expected NAME=VALUE[,VALUE...], e.g. --filter status=in_progress`);
  const name = match[1]!.trim();
  const values = match[2]!
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (name === '') throw new UsageError(`--filter "${raw}": the filter name is empty; expected NAME=VALUE[,VALUE...]`);
  if (values.length === 0) throw new UsageError(`--filter "${raw}": no value; expected NAME=VALUE[,VALUE...]`);
  return { name, values };
}

/**
 * Checks the filters against what the kind's API accepts and maps them to it. A name given twice
 * takes the values of both (any of them matches); unknown names and values are refused, naming
 * what is accepted.
 */
export function buildQuery(kind: ExportKind, args: { filters: FilterArg[]; sourceType?: string; pageSize?: number }): ListQuery {
  const filters = new Map<string, string[]>();
  for (const { name, values } of args.filters) {
    const key = name.toLowerCase();
    const spec = kind.filters[key];
    if (!spec) throw new UsageError(`unknown filter "${name}" for ${kind.name} exports: use ${Object.keys(kind.filters).join(', ')}`);
    const normalised = values.map((value) => (spec.normalise ? spec.normalise(value) : value));
    const wrong = spec.allowed ? normalised.filter((value) => !spec.allowed!.includes(value)) : [];
    if (wrong.length > 0) throw new UsageError(`--filter ${key}: unknown value(s) ${wrong.map((v) => `"${v}"`).join(', ')}; ${key} is one of ${spec.allowed!.join(', ')}`);
    filters.set(key, [...new Set([...(filters.get(key) ?? []), ...normalised])]);
  }
  let sourceType: string | undefined;
  if (args.sourceType !== undefined) {
    if (!kind.sourceTypes) throw new UsageError(`--source-type: ${kind.name} exports have no source type`);
    sourceType = args.sourceType.toUpperCase();
    if (!kind.sourceTypes.includes(sourceType)) throw new UsageError(`--source-type "${args.sourceType}": use ${kind.sourceTypes.join(' or ')}`);
  }
  if (args.pageSize !== undefined && (args.pageSize < kind.pageSize.min || args.pageSize > kind.pageSize.max)) {
    throw new UsageError(`--page-size ${args.pageSize}: ${kind.name} pages hold ${kind.pageSize.min} to ${kind.pageSize.max} items`);
  }
  return { filters, ...(sourceType ? { sourceType } : {}), ...(args.pageSize !== undefined ? { pageSize: args.pageSize } : {}) };
}
