import * as z from 'zod/mini';
import { describeIssue } from '../export-kinds/input-rules.ts';
import { coordinationTableShape } from '../runtime/config.ts';
import { atLeast, atMost, flag, parsed, startsWith, text, wholeNumber, withDefault, type ConfigOf, type Reading } from '../runtime/variables.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { quote } from '../runtime/format.ts';
import { madeOnFirstUse } from '../runtime/on-first-use.ts';
import { DEFAULT_SWEEP_LOOKBACK_SECONDS, type SweepSettings } from './sweep.ts';
import { SNAPSHOT_TYPES, type SnapshotType } from './snapshots.ts';
import type { ScheduledSource } from './schedules.ts';
import type { TriggerSettings } from './snapshot-events.ts';

// Read with readConfig (shared/runtime/config.ts) from variables (shared/runtime/variables.ts); every
// check says what is wrong in words, because the message is all the operator sees. The scheduled
// sources are parsed with zod (their entries are export sources, checked as input), built on first use.

const arn = /* @__PURE__ */ text(startsWith('arn:', 'must be an ARN (arn:...)'));

/** What a pattern may hold: what an RDS identifier may hold, and the two wildcards. */
const GLOB = /^[A-Za-z0-9*?-]+$/;

/* @__NO_SIDE_EFFECTS__ */
function globList(fallback: string) {
  return withDefault(
    parsed((raw): Reading<string[]> => {
      const globs = splitList(raw);
      const wrong = globs.filter((glob) => !GLOB.test(glob));
      if (wrong.length === 0) return { ok: true, value: globs };
      return { ok: false, problems: wrong.map((glob) => `"${glob}" can never match an RDS identifier (letters, digits and hyphens, with * and ?)`) };
    }),
    splitList(fallback),
  );
}

const snapshotTypes = /* @__PURE__ */ withDefault(
  parsed((raw): Reading<SnapshotType[]> => {
    const types = splitList(raw).map((type) => type.toLowerCase());
    const problems = types.filter((t) => !(SNAPSHOT_TYPES as readonly string[]).includes(t)).map((type) => `"${type}" is not a snapshot type (${SNAPSHOT_TYPES.join(', ')})`);
    if (types.length === 0) problems.unshift(`must name at least one of ${SNAPSHOT_TYPES.join(', ')}`);
    return problems.length === 0 ? { ok: true, value: [...new Set(types)] as SnapshotType[] } : { ok: false, problems };
  }),
  ['manual', 'automated'] as SnapshotType[],
);

/** Which new snapshots are exported: the trigger and the reconciliation sweep read the same variables. */
const selectionShape = /* @__PURE__ */ (() => ({
  // Opt-in: empty (the default) selects no snapshot; `*` selects every DB.
  SELECTION_INCLUDE: globList(''),
  SELECTION_EXCLUDE: globList(''),
  SNAPSHOT_TYPES: snapshotTypes,
}))();

export const snapshotTriggerConfigShape = /* @__PURE__ */ (() => ({
  STATE_MACHINE_ARN: arn,
  ...selectionShape,
  BACKUP_EVENTS: withDefault(flag(), false),
}))();
export type SnapshotTriggerConfig = ConfigOf<typeof snapshotTriggerConfigShape>;

/** The trigger's settings; refuses a combination that would silently export nothing it asks for. */
export function triggerSettings(config: SnapshotTriggerConfig): TriggerSettings {
  if (config.BACKUP_EVENTS && !config.SNAPSHOT_TYPES.includes('awsbackup')) {
    throw new ConfigurationError(
      'Configuration: BACKUP_EVENTS=true but SNAPSHOT_TYPES has no "awsbackup": AWS Backup snapshots would be ignored. ' +
        'Add awsbackup to SNAPSHOT_TYPES, or set BACKUP_EVENTS=false.',
    );
  }
  return {
    selection: { include: config.SELECTION_INCLUDE, exclude: config.SELECTION_EXCLUDE, types: config.SNAPSHOT_TYPES },
    backupEvents: config.BACKUP_EVENTS,
  };
}

/** The reconciliation sweep takes the trigger's selection, so both export the same snapshots. */
export const reconcileConfigShape = /* @__PURE__ */ (() => ({
  STATE_MACHINE_ARN: arn,
  /** Where the executions queued for a slot, or holding one, are known: the sweep skips them. */
  ...coordinationTableShape,
  ...selectionShape,
  SWEEP_LOOKBACK_SECONDS: withDefault(
    wholeNumber(
      'must be a whole number of seconds',
      atLeast(3600, 'must be at least 3600 (an hour: longer than the sweep schedule)'),
      atMost(35 * 24 * 3600, 'must be at most 35 days (RDS keeps automated snapshots at most that long)'),
    ),
    DEFAULT_SWEEP_LOOKBACK_SECONDS,
  ),
}))();
export type ReconcileConfig = ConfigOf<typeof reconcileConfigShape>;

export function sweepSettings(config: ReconcileConfig): SweepSettings {
  return {
    selection: { include: config.SELECTION_INCLUDE, exclude: config.SELECTION_EXCLUDE, types: config.SNAPSHOT_TYPES },
    lookbackSeconds: config.SWEEP_LOOKBACK_SECONDS,
  };
}

const identifier = /* @__PURE__ */ (() =>
  z.string({ error: 'must be a string' }).check(
    z.regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'must be an RDS identifier: 1 to 63 letters, digits or hyphens, starting with a letter'),
  ))();

/** Where a DB lives when not in the stack's own account and Region: a member account (memberAccounts), a Region (memberRegions). */
const placeFields = () => ({
  account: z.optional(z.string({ error: 'must be a string' }).check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id (one of memberAccounts)'))),
  region: z.optional(z.string({ error: 'must be a string' }).check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'must be a region such as eu-west-1 (one of memberRegions)'))),
});

const instanceEntry = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
  {
    dbInstanceIdentifier: identifier,
    mode: z.optional(z.literal('snapshot', { error: 'must be "snapshot": a DB instance is exported from its snapshots (mode "live" is for dbClusterIdentifier)' })),
    ...placeFields(),
  },
  ));

const clusterEntry = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
  {
    dbClusterIdentifier: identifier,
    mode: z._default(z.enum(['snapshot', 'live'], { error: 'must be "snapshot" or "live"' }), 'snapshot'),
    ...placeFields(),
  },
  ));

const imageEntry = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
  {
    imageId: z.string({ error: 'must be a string' }).check(z.regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be an AMI id: ami- and 8 or 17 lowercase hex digits')),
    diskImageFormat: z._default(z.enum(['VMDK', 'RAW', 'VHD'], { error: 'must be "VMDK", "RAW" or "VHD"' }), 'VMDK'),
  },
  ));

const adsEntry = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
  {
    adsAgentIds: z.array(z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty')), { error: 'must be a list of agent ids' }).check(
      z.minLength(1, 'must name at least one agent'),
    ),
    lookbackHours: z._default(z.number({ error: 'must be a number of hours' }).check(z.positive('must be positive'), z.lte(24 * 365, 'must be at most a year')), 24),
  },
  ));

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

function parseEntry(entry: unknown): ScheduledSource | ScheduledSource[] | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'must be an object';
  if ('imageId' in entry) {
    const result = imageEntry().safeParse(entry);
    return result.success ? { resource: 'image', identifier: result.data.imageId, mode: result.data.diskImageFormat } : describeIssues(result.error.issues, imageEntry());
  }
  if ('adsAgentIds' in entry) {
    const result = adsEntry().safeParse(entry);
    if (!result.success) return describeIssues(result.error.issues, adsEntry());
    const { adsAgentIds, lookbackHours } = result.data;
    return adsAgentIds.map((agent) => ({ resource: 'ads-agent', identifier: agent, mode: 'lookback', lookbackHours }) as const);
  }
  const hasInstance = 'dbInstanceIdentifier' in entry;
  const hasCluster = 'dbClusterIdentifier' in entry;
  if (hasInstance && hasCluster) return 'give dbInstanceIdentifier or dbClusterIdentifier, not both';
  if (hasInstance) {
    const result = instanceEntry().safeParse(entry);
    return result.success ? { resource: 'instance', identifier: result.data.dbInstanceIdentifier, mode: 'snapshot', ...placeOf(result.data) } : describeIssues(result.error.issues, instanceEntry());
  }
  if (hasCluster) {
    const result = clusterEntry().safeParse(entry);
    return result.success ? { resource: 'cluster', identifier: result.data.dbClusterIdentifier, mode: result.data.mode, ...placeOf(result.data) } : describeIssues(result.error.issues, clusterEntry());
  }
  return 'needs dbInstanceIdentifier, dbClusterIdentifier, imageId or adsAgentIds';
}

function placeOf(entry: { account?: string | undefined; region?: string | undefined }): { account?: string; region?: string } {
  return { ...(entry.account ? { account: entry.account } : {}), ...(entry.region ? { region: entry.region } : {}) };
}

function describeIssues(issues: readonly z.core.$ZodIssue[], entry: { shape: object }): string {
  return issues.map((issue) => describeIssue(issue, Object.keys(entry.shape), { input: '' })).join('; ');
}

export const planExportsConfigShape = /* @__PURE__ */ (() => ({
  STATE_MACHINE_ARN: arn,
  SCHEDULED_SOURCES: parsed((raw): Reading<ScheduledSource[]> => {
    const read = parseScheduledSources(raw);
    return read.ok ? { ok: true, value: read.sources } : read;
  }),
}))();
export type PlanExportsConfig = ConfigOf<typeof planExportsConfigShape>;

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
