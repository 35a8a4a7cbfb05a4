import { quote, quoteList } from '../runtime/format.ts';
import type { ScheduledSource } from './schedules.ts';

/**
 * SCHEDULED_SOURCES, the planner's configuration: a JSON array of the DBs, images and agents to export
 * on schedule. Read at the planner's cold start, with plain checks like every other variable
 * (shared/runtime/variables.ts): each entry's fields are few and flat.
 */

export type ParsedSources = { ok: true; sources: ScheduledSource[] } | { ok: false; problems: string[] };

/** SCHEDULED_SOURCES: every problem, each naming its entry by index and content. */
export function parseScheduledSources(text: string): ParsedSources {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not valid JSON (${(error as Error).message})`] };
  }
  if (!Array.isArray(value)) {
    return { ok: false, problems: ['must be a JSON array, e.g. [{"dbInstanceIdentifier":"prod-db"},{"dbClusterIdentifier":"prod-aurora","mode":"live"}]'] };
  }
  const problems: string[] = [];
  const sources: ScheduledSource[] = [];
  const seen = new Map<string, number>();
  value.forEach((entry: unknown, index) => {
    const label = `[${index}] ${quote(entry)}`;
    const parsed = parseEntry(entry);
    if (typeof parsed === 'string') {
      problems.push(`${label}: ${parsed}`);
      return;
    }
    // An ADS entry names an agent set: one export per agent (StartExportTask takes one agent).
    for (const source of Array.isArray(parsed) ? parsed : [parsed]) {
      const where = 'account' in source || 'region' in source ? `|${(source as { account?: string }).account ?? ''}/${(source as { region?: string }).region ?? ''}` : '';
      const key = `${source.resource}|${source.identifier.toLowerCase()}|${source.mode}${where}`;
      const first = seen.get(key);
      if (first !== undefined) problems.push(`${label}: repeats [${first}]`);
      else seen.set(key, index);
      sources.push(source);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, sources };
}

type Entry = Record<string, unknown>;

function parseEntry(entry: unknown): ScheduledSource | ScheduledSource[] | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'must be an object';
  const fields = entry as Entry;
  if ('imageId' in fields) {
    const problems = fieldProblems(fields, IMAGE_FIELDS);
    if (problems) return problems;
    return { resource: 'image', identifier: fields.imageId as string, mode: (fields.diskImageFormat ?? 'VMDK') as 'VMDK' | 'RAW' | 'VHD' };
  }
  if ('adsAgentIds' in fields) {
    const problems = fieldProblems(fields, ADS_FIELDS);
    if (problems) return problems;
    const lookbackHours = (fields.lookbackHours ?? 24) as number;
    return (fields.adsAgentIds as string[]).map((agent) => ({ resource: 'ads-agent', identifier: agent, mode: 'lookback', lookbackHours }) as const);
  }
  const hasInstance = 'dbInstanceIdentifier' in fields;
  const hasCluster = 'dbClusterIdentifier' in fields;
  if (hasInstance && hasCluster) return 'give dbInstanceIdentifier or dbClusterIdentifier, not both';
  if (hasInstance) {
    const problems = fieldProblems(fields, INSTANCE_FIELDS);
    return problems ?? { resource: 'instance', identifier: fields.dbInstanceIdentifier as string, mode: 'snapshot', ...placeOf(fields) };
  }
  if (hasCluster) {
    const problems = fieldProblems(fields, CLUSTER_FIELDS);
    return problems ?? { resource: 'cluster', identifier: fields.dbClusterIdentifier as string, mode: (fields.mode ?? 'snapshot') as 'snapshot' | 'live', ...placeOf(fields) };
  }
  return 'needs dbInstanceIdentifier, dbClusterIdentifier, imageId or adsAgentIds';
}

function placeOf(entry: Entry): { account?: string; region?: string } {
  return { ...(entry.account ? { account: entry.account as string } : {}), ...(entry.region ? { region: entry.region as string } : {}) };
}

/** What is wrong with a field's value, or with some of its elements (a list's); none when it is fine. */
type FieldProblem = { element?: number; problem: string };
type FieldCheck = (value: unknown) => FieldProblem[];

/**
 * Each field an entry may have, with its check; every field is optional but the identifier, which
 * the entry's kind is told by (parseEntry). Every problem of the entry, in the fields' order, then
 * its unknown fields.
 */
function fieldProblems(entry: Entry, checks: Readonly<Record<string, FieldCheck>>): string | undefined {
  const problems = Object.entries(checks).flatMap(([field, check]) =>
    Object.hasOwn(entry, field) ? check(entry[field]).map(({ element, problem }) => `${field}${element === undefined ? '' : `[${element}]`} ${problem}`) : [],
  );
  const unknown = Object.keys(entry).filter((field) => !Object.hasOwn(checks, field));
  if (unknown.length > 0) problems.push(`unknown field(s) ${quoteList(unknown)}: allowed are ${Object.keys(checks).join(', ')}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

const problemIf = (wrong: boolean, problem: string): FieldProblem[] => (wrong ? [{ problem }] : []);

const fieldMatching = (pattern: RegExp, problem: string): FieldCheck => (value) =>
  typeof value !== 'string' ? [{ problem: 'must be a string' }] : problemIf(!pattern.test(value), problem);

const fieldOneOf = (words: readonly string[], problem: string): FieldCheck => (value) => problemIf(typeof value !== 'string' || !words.includes(value), problem);

const RDS_IDENTIFIER = /* @__PURE__ */ fieldMatching(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'must be an RDS identifier: 1 to 63 letters, digits or hyphens, starting with a letter');

/** Where a DB lives when not in the stack's own account and Region: a member account (memberAccounts), a Region (memberRegions). */
const PLACE_FIELDS = {
  account: /* @__PURE__ */ fieldMatching(/^\d{12}$/, 'must be a 12-digit AWS account id (one of memberAccounts)'),
  region: /* @__PURE__ */ fieldMatching(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'must be a region such as eu-west-1 (one of memberRegions)'),
};

// The identifiers and values parseEntry reads are the ones these tables have checked.
const INSTANCE_FIELDS = /* @__PURE__ */ (() => ({
  dbInstanceIdentifier: RDS_IDENTIFIER,
  mode: fieldOneOf(['snapshot'], 'must be "snapshot": a DB instance is exported from its snapshots (mode "live" is for dbClusterIdentifier)'),
  ...PLACE_FIELDS,
}))();

const CLUSTER_FIELDS = /* @__PURE__ */ (() => ({
  dbClusterIdentifier: RDS_IDENTIFIER,
  mode: fieldOneOf(['snapshot', 'live'], 'must be "snapshot" or "live"'),
  ...PLACE_FIELDS,
}))();

const IMAGE_FIELDS = {
  imageId: /* @__PURE__ */ fieldMatching(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be an AMI id: ami- and 8 or 17 lowercase hex digits'),
  diskImageFormat: /* @__PURE__ */ fieldOneOf(['VMDK', 'RAW', 'VHD'], 'must be "VMDK", "RAW" or "VHD"'),
};

const ADS_FIELDS = {
  adsAgentIds: (value: unknown): FieldProblem[] => {
    if (!Array.isArray(value)) return [{ problem: 'must be a list of agent ids' }];
    if (value.length === 0) return [{ problem: 'must name at least one agent' }];
    return value.flatMap((agent, element) => (typeof agent !== 'string' ? [{ element, problem: 'must be a string' }] : agent === '' ? [{ element, problem: 'must not be empty' }] : []));
  },
  lookbackHours: (value: unknown): FieldProblem[] => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return [{ problem: 'must be a number of hours' }];
    return problemIf(value <= 0, 'must be positive').concat(problemIf(value > 24 * 365, 'must be at most a year'));
  },
};
