import { arn, coordinationTableShape, splitList, WHOLE_SECONDS } from '../runtime/config.ts';
import { atLeast, atMost, flag, parsed, wholeNumber, withDefault, type ConfigOf, type Reading } from '../runtime/variables.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { DEFAULT_SWEEP_LOOKBACK_SECONDS, type SweepSettings } from './sweep.ts';
import { SNAPSHOT_TYPES, type SnapshotType } from './snapshots.ts';
import type { ScheduledSource } from './schedules.ts';
import { parseScheduledSources } from './scheduled-sources.ts';
import type { TriggerSettings } from './snapshot-events.ts';

// Read with readConfig (shared/runtime/config.ts) from variables (shared/runtime/variables.ts); every
// check says what is wrong in words, because the message is all the operator sees. The scheduled
// sources' JSON is read by ./scheduled-sources.ts.

/** What a pattern may hold: what an RDS identifier may hold, and the two wildcards. */
const GLOB = /^[A-Za-z0-9*?-]+$/;

/** A comma list of globs; unset, none (frozen: every reading gets the same). */
/* @__NO_SIDE_EFFECTS__ */
function globList() {
  return withDefault(
    parsed((raw): Reading<readonly string[]> => {
      const globs = splitList(raw);
      const wrong = globs.filter((glob) => !GLOB.test(glob));
      if (wrong.length === 0) return { ok: true, value: globs };
      return { ok: false, problems: wrong.map((glob) => `"${glob}" can never match an RDS identifier (letters, digits and hyphens, with * and ?)`) };
    }),
    Object.freeze([]),
  );
}

const snapshotTypes = /* @__PURE__ */ withDefault(
  parsed((raw): Reading<readonly SnapshotType[]> => {
    const types = splitList(raw).map((type) => type.toLowerCase());
    const problems = types.filter((t) => !(SNAPSHOT_TYPES as readonly string[]).includes(t)).map((type) => `"${type}" is not a snapshot type (${SNAPSHOT_TYPES.join(', ')})`);
    if (types.length === 0) problems.unshift(`must name at least one of ${SNAPSHOT_TYPES.join(', ')}`);
    return problems.length === 0 ? { ok: true, value: [...new Set(types)] as SnapshotType[] } : { ok: false, problems };
  }),
  Object.freeze<SnapshotType[]>(['manual', 'automated']),
);

/** Which new snapshots are exported: the trigger and the reconciliation sweep read the same variables. */
const selectionShape = /* @__PURE__ */ (() => ({
  // Opt-in: empty (the default) selects no snapshot; `*` selects every DB.
  SELECTION_INCLUDE: globList(),
  SELECTION_EXCLUDE: globList(),
  SNAPSHOT_TYPES: snapshotTypes,
}))();

export const snapshotTriggerConfigShape = /* @__PURE__ */ (() => ({
  STATE_MACHINE_ARN: arn,
  ...selectionShape,
  BACKUP_EVENTS: withDefault(flag('must be true or false'), false),
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
      WHOLE_SECONDS,
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

export const planExportsConfigShape = /* @__PURE__ */ (() => ({
  STATE_MACHINE_ARN: arn,
  SCHEDULED_SOURCES: parsed((raw): Reading<ScheduledSource[]> => {
    const read = parseScheduledSources(raw);
    return read.ok ? { ok: true, value: read.sources } : read;
  }),
}))();
export type PlanExportsConfig = ConfigOf<typeof planExportsConfigShape>;
