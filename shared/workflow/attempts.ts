import { MAX_EXPORT_ATTEMPT } from '../export-kinds/input-limits.ts';
import { exportIdentifier, type ExportSource } from '../export-kinds/rds/source.ts';
import type { ExecutionLookup, ExecutionSummary } from './step-functions.ts';

/**
 * Where a snapshot's attempts stand. RDS keeps a FAILED or CANCELED task's identifier for good, so
 * exporting a snapshot again takes its next attempt: an execution name and export identifier of
 * its own (exportIdentifier with `attempt`; attempt 1 is the name the trigger, the sweep and a
 * plain `start` use).
 */
export type AttemptFound =
  /** No execution has this attempt's name: it may be started. */
  | { free: true; attempt: number; name: string }
  /** This attempt's execution stands in the way (running, succeeded, or ended as the caller does not export again). */
  | { free: false; attempt: number; name: string; execution: ExecutionSummary };

/** The execution input of a snapshot's attempt (attempt 1 leaves `attempt` out, as the trigger's input does). */
export function attemptInput(sourceArn: string, attempt: number): { sourceArn: string; attempt?: number } {
  return { sourceArn, ...(attempt > 1 ? { attempt } : {}) };
}

/**
 * Walks a snapshot's attempts from the first: one whose execution `endedWithoutExport` (as the
 * caller reads it) is gone past; the first name without an execution is free; any other execution
 * stops the walk. Undefined when every attempt up to `maxAttempt` ended without the export.
 */
export async function findAttempt(
  source: ExportSource,
  requestedAt: Date,
  executions: ExecutionLookup,
  endedWithoutExport: (execution: ExecutionSummary) => boolean,
  maxAttempt = MAX_EXPORT_ATTEMPT,
): Promise<AttemptFound | undefined> {
  for (let attempt = 1; attempt <= maxAttempt; attempt++) {
    const name = exportIdentifier(source, requestedAt, attempt);
    const execution = await executions.describe(name);
    if (!execution) return { free: true, attempt, name };
    if (!endedWithoutExport(execution)) return { free: false, attempt, name, execution };
  }
  return undefined;
}
