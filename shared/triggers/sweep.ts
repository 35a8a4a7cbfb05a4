import { placeKey, placeOfArn, type Place } from '../accounts/place.ts';
import type { InFlightExecutions } from '../slots/store.ts';
import type { ExportedSources, SnapshotInfo, SnapshotLister } from './snapshots.ts';
import type { ExecutionLookup, ExecutionStarter, ExecutionSummary } from '../workflow/step-functions.ts';
import { attemptInput, findAttempt } from '../workflow/attempts.ts';
import { parseSourceArn, type ExportSource } from '../export-kinds/rds/source.ts';
import { executionName, matchesSelection, type Selection } from './selection.ts';
import { isAvailable } from './snapshots.ts';
import { ASL_ERROR_NAMES, ReconciliationFailed } from '../runtime/errors.ts';
import { logger } from '../runtime/logger.ts';

/**
 * The reconciliation sweep. RDS events are best-effort, and a trigger that was throttled past its
 * retries parks its event in a dead-letter queue: the events are the fast path, this is the
 * guarantee. On a schedule it lists the snapshots created in a look-back window, and starts an
 * execution for every selected, available one that has neither an export task nor a live
 * execution, under the very name the trigger would have used, so a snapshot whose execution
 * exists (queued, running or ended) is never started twice.
 *
 * What a run costs beyond RDS's listing (which has no created-since filter) is bounded by the
 * snapshots of the window, not by the account's history or the backlog: the executions queued for
 * a slot, or holding one, are known to the coordination table (one key-only read of the queue
 * from the window's start, and the few leases), so they are skipped without a call; export tasks
 * are listed only for what is left; StartExecution is called only for a snapshot neither knows.
 * A snapshot whose execution is gone (its start failed, its event was lost, its queue entry is
 * no more) is in neither, and is started again.
 *
 * A snapshot whose execution FAILED with TransientAwsError and left no export task (an outage of
 * DynamoDB or Lambda outlasted AdmitExport's hours of retries: nothing was started) is started
 * again as its next attempt (shared/workflow/attempts.ts), at most SWEEP_MAX_ATTEMPT in all: the
 * outage is over when the sweep, which reads the table, runs again. Any other ended execution is
 * left as it ended (a bad input or a missing snapshot fails the same way every time; an operator
 * exports it again with `start --again`).
 */

export interface SweepSettings {
  selection: Selection;
  /** How far back a snapshot's creation may lie; older ones are never exported by the sweep. */
  lookbackSeconds: number;
}

export const DEFAULT_SWEEP_LOOKBACK_SECONDS = 24 * 3600;
/**
 * An execution starts after its snapshot is created; the queue is read from a little before the
 * window's start, so a clock that differs between RDS and Step Functions cannot hide an entry.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How many attempts of one snapshot the sweep starts at most. It starts one only when it could read
 * the table itself (DynamoDB and Lambda answered a moment before), and each attempt retries for
 * hours, so a few cover an outage that comes and goes; a snapshot that fails so for another reason
 * is not started again and again.
 */
export const SWEEP_MAX_ATTEMPT = 5;

/** An attempt the sweep goes past: it failed through an outage, before any export task was started (the snapshot has none). */
export const failedThroughAnOutage = (execution: ExecutionSummary): boolean => execution.status === 'FAILED' && execution.error === ASL_ERROR_NAMES.transient;

export type SweepOutcome =
  /** Neither an export task nor an execution existed: started now. */
  | 'started'
  /** No export task yet, but the execution exists (queued for a slot, or an earlier start). */
  | 'execution-exists'
  /** Its earlier attempts failed through an outage, nothing exported: its next attempt started now. */
  | 'started-again'
  | 'failed';

export interface SweepEntry {
  sourceArn: string;
  outcome: SweepOutcome;
  executionName?: string;
  error?: { name: string; message: string };
}

export interface SweepReport {
  /** Snapshots created in the window, of any type and status. */
  listed: number;
  /** Of those, the ones the selection takes and that are available. */
  selected: number;
  /** Of those, the ones whose execution is queued for a slot or holds one (nothing to do, nothing called). */
  inFlight: number;
  /** Of the others, the ones that already have an export task (nothing to do). */
  exported: number;
  entries: SweepEntry[];
}

export interface SweepDeps {
  snapshots: SnapshotLister;
  exports: ExportedSources;
  /** The coordination table: executions queued or holding a slot. */
  inFlight: InFlightExecutions;
  /** Starts the missing snapshots' executions, and looks up the attempts of those whose execution exists. */
  starter: ExecutionStarter & ExecutionLookup;
  settings: SweepSettings;
}

/** The snapshots the sweep must make sure of: created in the window, selected, available, not exported. */
export function sweepCandidates(
  snapshots: readonly SnapshotInfo[],
  exported: ReadonlySet<string>,
  { selection, lookbackSeconds }: SweepSettings,
  now: Date,
): { selected: SnapshotInfo[]; missing: SnapshotInfo[] } {
  const since = now.getTime() - lookbackSeconds * 1000;
  const selected = snapshots.filter(
    (snapshot) =>
      snapshot.createdAt !== undefined &&
      snapshot.createdAt.getTime() >= since &&
      isAvailable(snapshot) &&
      parseSourceArn(snapshot.arn) !== undefined &&
      matchesSelection(snapshot, selection).selected,
  );
  // Sorted oldest first: the longest-waiting snapshot is started first if the run is cut short.
  selected.sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime() || a.arn.localeCompare(b.arn));
  return { selected, missing: selected.filter((snapshot) => !exported.has(snapshot.arn)) };
}

/** One sweep: every missing snapshot is started (or found started); one failing start does not stop the others. */
export async function sweepSnapshots({ snapshots, exports, inFlight, starter, settings }: SweepDeps, now: Date): Promise<SweepReport> {
  // Nothing selected (the default until SELECTION_INCLUDE names DBs): nothing to list.
  if (settings.selection.include.length === 0) return { listed: 0, selected: 0, inFlight: 0, exported: 0, entries: [] };
  const since = new Date(now.getTime() - settings.lookbackSeconds * 1000);
  const listed = await snapshots.createdSince(since, settings.selection.types);
  // The table and the export tasks are read only when some snapshot is a candidate: a quiet hour
  // costs the listing alone.
  const { selected } = sweepCandidates(listed, new Set(), settings, now);
  if (selected.length === 0) return { listed: listed.length, selected: 0, inFlight: 0, exported: 0, entries: [] };
  // The queue and the leases are kept per place: read those of the places the candidates are in.
  const places = new Map(selected.flatMap((snapshot) => {
    const place = placeOfArn(snapshot.arn);
    return place ? [[placeKey(place), place] as const] : [];
  }));
  const flight = await inFlight.inFlight(new Date(since.getTime() - CLOCK_SKEW_MS), [...places.values()]);
  const isInFlight = (snapshot: SnapshotInfo) => flight.sources.has(snapshot.arn) || flight.executions.has(executionName(parseSourceArn(snapshot.arn)!, now));
  const inFlightArns = new Set(selected.filter(isInFlight).map((snapshot) => snapshot.arn));
  const exported = inFlightArns.size < selected.length ? await exports.exportedSources() : new Set<string>();
  const { missing } = sweepCandidates(listed, new Set([...inFlightArns, ...exported]), settings, now);
  const entries: SweepEntry[] = [];
  for (const snapshot of missing) {
    const source = parseSourceArn(snapshot.arn)!;
    const name = executionName(source, now);
    try {
      // The trigger's own input: a running execution of this name and input answers as itself.
      const started = await starter.start(name, { sourceArn: snapshot.arn });
      if (started.started) entries.push({ sourceArn: snapshot.arn, outcome: 'started', executionName: name });
      else entries.push(await startAgainAfterAnOutage(source, starter, now) ?? { sourceArn: snapshot.arn, outcome: 'execution-exists', executionName: name });
    } catch (error) {
      const e = error as Error;
      entries.push({ sourceArn: snapshot.arn, outcome: 'failed', executionName: name, error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) } });
    }
  }
  return { listed: listed.length, selected: selected.length, inFlight: inFlightArns.size, exported: selected.length - inFlightArns.size - missing.length, entries };
}

/** The next attempt of a snapshot whose attempts so far failed through an outage (it has no export task), if that is where it stands. */
async function startAgainAfterAnOutage(source: ExportSource, starter: ExecutionStarter & ExecutionLookup, now: Date): Promise<SweepEntry | undefined> {
  const found = await findAttempt(source, now, starter, failedThroughAnOutage, SWEEP_MAX_ATTEMPT);
  if (!found?.free || found.attempt === 1) return undefined;
  const started = await starter.start(found.name, attemptInput(source.arn, found.attempt));
  return { sourceArn: source.arn, outcome: started.started ? 'started-again' : 'execution-exists', executionName: found.name };
}

/** Counts of a report, for its one summary log line. */
export function summariseSweep(report: SweepReport): Record<string, number> {
  const counts: Record<string, number> = { listed: report.listed, selected: report.selected, inFlight: report.inFlight, exported: report.exported };
  for (const entry of report.entries) counts[entry.outcome] = (counts[entry.outcome] ?? 0) + 1;
  return counts;
}

/** A place the sweep could not list (its member role cannot be assumed, RDS throttled there past retries…). */
export interface SweepFailure {
  place: string;
  error: { name: string; message: string };
}

/** Every served place's sweep together: the counts summed, the entries of all, and the places that failed. */
export interface PlacesSweepReport extends SweepReport {
  places: number;
  failedPlaces: SweepFailure[];
}

/** Each place's RDS: its snapshots and its export tasks, in its own account and region. */
export type PlaceListings = (place: Place) => SnapshotLister & ExportedSources;

/**
 * The sweep of every place the deployment serves, one after the other (each paced on its own
 * account's budget): a place that fails is reported and the others are swept all the same.
 */
export async function sweepPlaces(places: readonly Place[], listingsOf: PlaceListings, deps: Omit<SweepDeps, 'snapshots' | 'exports'>, now: Date): Promise<PlacesSweepReport> {
  const total: PlacesSweepReport = { listed: 0, selected: 0, inFlight: 0, exported: 0, entries: [], places: places.length, failedPlaces: [] };
  for (const place of places) {
    const listings = listingsOf(place);
    try {
      const report = await sweepSnapshots({ ...deps, snapshots: listings, exports: listings }, now);
      total.listed += report.listed;
      total.selected += report.selected;
      total.inFlight += report.inFlight;
      total.exported += report.exported;
      total.entries.push(...report.entries);
    } catch (error) {
      const e = error as Error;
      total.failedPlaces.push({ place: placeKey(place), error: { name: e?.name ?? 'Error', message: e?.message ?? String(error) } });
    }
  }
  return total;
}

/** A run of the sweep: every place the deployment serves (shared/accounts/members.ts servedPlaces), each through its own listings. */
export type ServedPlacesSweepDeps = Omit<SweepDeps, 'snapshots' | 'exports'> & { places: { served: readonly Place[]; listingsOf: PlaceListings } };

/** One run of the sweep over every served place. */
export function sweepServedPlaces({ places, ...deps }: ServedPlacesSweepDeps, now: Date): Promise<PlacesSweepReport> {
  return sweepPlaces(places.served, places.listingsOf, deps, now);
}

/** What a run's log lines and failure are made of: the summed counts, the entries, the places that failed. */
export type SweepRunReport = SweepReport & Pick<PlacesSweepReport, 'failedPlaces'>;

/**
 * A snapshot the sweep had to start means an event was lost or parked: one WARN line each, as is a
 * start that failed; a place that could not be listed is an ERROR; then the run's counts.
 */
export function logSweep(report: SweepRunReport): void {
  for (const entry of report.entries) {
    if (entry.outcome === 'started') logger.warn('started a snapshot no event had started (event lost or parked)', { ...entry });
    else if (entry.outcome === 'started-again') logger.warn('started a snapshot again: its execution failed through an outage, nothing exported', { ...entry });
    else if (entry.outcome === 'failed') logger.warn('could not start a missing snapshot', { ...entry });
  }
  for (const failure of report.failedPlaces) logger.error('could not sweep a place; the other places were swept', { ...failure });
  logger.info('reconciliation sweep', { ...summariseSweep(report), failedPlaces: report.failedPlaces.length });
}

/** How much of a failure's text the error keeps: the log lines have every entry in full. */
const FAILURE_TEXT_LIMIT = 2000;

/**
 * The run's failure, when a missing snapshot could not be started or a place could not be listed
 * (after all were tried): thrown, so Lambda retries the run (safely: starts dedup by name) and the
 * errors alarm sees it. Undefined when all went well.
 */
export function sweepFailure(report: SweepRunReport): ReconciliationFailed | undefined {
  const failed = report.entries.filter((entry) => entry.outcome === 'failed');
  const { failedPlaces } = report;
  if (failed.length === 0 && failedPlaces.length === 0) return undefined;
  const counts = [
    failed.length > 0 ? `${failed.length} missing snapshot(s) could not be started` : '',
    failedPlaces.length > 0 ? `${failedPlaces.length} place(s) could not be swept` : '',
  ].filter(Boolean);
  const causes = [...failed.map((f) => `${f.sourceArn}: ${f.error?.name}`), ...failedPlaces.map((f) => `${f.place}: ${f.error.name}`)];
  return new ReconciliationFailed(`${counts.join(', ')}: ${causes.join('; ').slice(0, FAILURE_TEXT_LIMIT)}`);
}
