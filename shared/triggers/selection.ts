import { exportIdentifier, type ExportSource } from '../export-kinds/rds/source.ts';
import { SNAPSHOT_TYPES, type SnapshotInfo, type SnapshotType } from './snapshots.ts';

/**
 * What starts an export without a person: RDS "snapshot created" events (the trigger) and a
 * schedule (the planner). Both start executions of the export state machine named by
 * `executionName`, so a snapshot is exported once however many events, retries and planner runs
 * mention it: Step Functions refuses a second execution of the same name.
 */

/** Which snapshots the trigger exports. Patterns apply to the DB instance or cluster identifier. */
export interface Selection {
  include: readonly string[];
  exclude: readonly string[];
  types: readonly SnapshotType[];
}

/** `*` is any run of characters, `?` exactly one; RDS identifiers are case-insensitive, so is this. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

export function matchesGlob(identifier: string, glob: string): boolean {
  return globToRegExp(glob).test(identifier);
}

export type Verdict = { selected: true } | { selected: false; reason: string };

/** Exclude wins over include, so "everything but the test DBs" is `*` and `test-*`. */
export function matchesSelection(snapshot: Pick<SnapshotInfo, 'sourceId' | 'type'>, selection: Selection): Verdict {
  if (!(SNAPSHOT_TYPES as readonly string[]).includes(snapshot.type) || !selection.types.includes(snapshot.type as SnapshotType)) {
    return { selected: false, reason: `${snapshot.type} snapshots are not selected (SNAPSHOT_TYPES=${selection.types.join(',')})` };
  }
  const excludedBy = selection.exclude.find((glob) => matchesGlob(snapshot.sourceId, glob));
  if (excludedBy !== undefined) return { selected: false, reason: `${snapshot.sourceId} matches the exclude pattern "${excludedBy}"` };
  if (selection.include.length === 0) {
    return { selected: false, reason: `no snapshot is selected: SELECTION_INCLUDE is empty (name the DBs to export, or * for every one)` };
  }
  if (!selection.include.some((glob) => matchesGlob(snapshot.sourceId, glob))) {
    return { selected: false, reason: `${snapshot.sourceId} matches no include pattern (${selection.include.join(',')})` };
  }
  return { selected: true };
}

/**
 * The execution name for a source: the export identifier the start step will derive, so a
 * snapshot always gets the same name (a redelivered event cannot start a second execution) and a
 * live cluster gets one per minute.
 */
export function executionName(source: ExportSource, at: Date): string {
  return exportIdentifier(source, at);
}
