import type { ExportListing, ListQuery } from '../shared/export-kinds/contract.ts';
import { UsageError } from './errors.ts';

/** A `--filter name=v1,v2` as typed. */
export interface FilterArg {
  name: string;
  values: string[];
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
export function buildQuery(listing: ExportListing, args: { filters: FilterArg[]; sourceType?: string; pageSize?: number }): ListQuery {
  const filters = new Map<string, string[]>();
  for (const { name, values } of args.filters) {
    const key = name.toLowerCase();
    const spec = listing.filters[key];
    if (!spec) throw new UsageError(`unknown filter "${name}" for ${listing.name} exports: use ${Object.keys(listing.filters).join(', ')}`);
    const normalised = values.map((value) => (spec.normalise ? spec.normalise(value) : value));
    const wrong = spec.allowed ? normalised.filter((value) => !spec.allowed!.includes(value)) : [];
    if (wrong.length > 0) throw new UsageError(`--filter ${key}: unknown value(s) ${wrong.map((v) => `"${v}"`).join(', ')}; ${key} is one of ${spec.allowed!.join(', ')}`);
    filters.set(key, [...new Set([...(filters.get(key) ?? []), ...normalised])]);
  }
  let sourceType: string | undefined;
  if (args.sourceType !== undefined) {
    if (!listing.sourceTypes) throw new UsageError(`--source-type: ${listing.name} exports have no source type`);
    sourceType = args.sourceType.toUpperCase();
    if (!listing.sourceTypes.includes(sourceType)) throw new UsageError(`--source-type "${args.sourceType}": use ${listing.sourceTypes.join(' or ')}`);
  }
  if (args.pageSize !== undefined && (args.pageSize < listing.pageSize.min || args.pageSize > listing.pageSize.max)) {
    throw new UsageError(`--page-size ${args.pageSize}: ${listing.name} pages hold ${listing.pageSize.min} to ${listing.pageSize.max} items`);
  }
  return { filters, ...(sourceType ? { sourceType } : {}), ...(args.pageSize !== undefined ? { pageSize: args.pageSize } : {}) };
}
