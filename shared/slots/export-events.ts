import type { CoordinationStore, WaitRecord } from './store.ts';
import { EXPORT_OUTCOME_OF_EVENT, type ExportOutcome } from '../export-kinds/rds/events.ts';
import type { TaskCallbacks } from '../workflow/step-functions.ts';

export interface RdsEventBridgeEvent {
  source?: string;
  'detail-type'?: string;
  time?: string;
  detail?: { EventID?: string; SourceArn?: string; SourceIdentifier?: string; Message?: string };
}

export interface ExportFinished {
  sourceArn: string;
  eventId: string;
  outcome: ExportOutcome;
  at: string;
}

/**
 * RDS says when an export ends (shared/export-kinds/rds/events.ts): these events let a waiting
 * execution look at once instead of at its next poll. Events are best-effort, so polling stays as
 * the safety net.
 */
export function parseExportFinished(event: RdsEventBridgeEvent): ExportFinished | undefined {
  const eventId = event.detail?.EventID ?? '';
  const outcome = EXPORT_OUTCOME_OF_EVENT[eventId];
  const sourceArn = event.detail?.SourceArn;
  if (event.source !== 'aws.rds' || !outcome || !sourceArn) return undefined;
  return { sourceArn, eventId, outcome, at: event.time ?? new Date().toISOString() };
}

export interface WaitDeps {
  store: CoordinationStore;
  callbacks: TaskCallbacks;
}

/**
 * Ends the wait of the execution following this source's export, or notes the end for the next wait.
 * A callback Step Functions refuses for a while (throttled, 5xx) puts the wait back before failing, so
 * the event's retry (Lambda tries an event three times) still finds and wakes it; a gone task
 * (TaskDoesNotExist, TaskTimedOut, InvalidToken: the wait ended and the execution polled) is not put back.
 */
export async function exportFinished(finished: ExportFinished, deps: WaitDeps): Promise<'woke' | 'noted'> {
  const waiting = await deps.store.takeWait(finished.sourceArn);
  if (waiting && 'token' in waiting && (await succeedOrRestore(waiting.token, { event: finished }, finished.sourceArn, waiting, deps))) return 'woke';
  await deps.store.swapWait(finished.sourceArn, { endedAt: finished.at, eventId: finished.eventId });
  return 'noted';
}

/**
 * SendTaskSuccess. If Step Functions refuses it for now (the error is thrown), `record`, taken off the
 * source before, goes back first (unless a newer record took its place), so a retry finds it.
 */
async function succeedOrRestore(token: string, output: unknown, sourceArn: string, record: WaitRecord, { store, callbacks }: WaitDeps): Promise<boolean> {
  try {
    return await callbacks.succeed(token, output);
  } catch (error) {
    await store.restoreWait(sourceArn, record);
    throw error;
  }
}

export interface AwaitInput {
  token: string;
  sourceArn: string;
  /** An end noted before this export started belongs to an earlier export of the source. */
  exportStartedAt: string;
  /** How long the state waits for the token before polling anyway (for the logs). */
  waitSeconds?: number;
}

/**
 * Parks the execution's token until the export-finished event (or the wait's timeout, which is the
 * next poll). If the event already came between two waits, the wait ends at once.
 */
export async function awaitExportEnd(input: AwaitInput, { store, callbacks }: WaitDeps): Promise<'waiting' | 'already ended'> {
  const before = await store.swapWait(input.sourceArn, { token: input.token });
  if (before && 'endedAt' in before && before.endedAt >= input.exportStartedAt) {
    await store.takeWait(input.sourceArn);
    // Refused for now: the noted end goes back, so the retried wait ends at once too.
    await succeedOrRestore(input.token, { event: { ...before, sourceArn: input.sourceArn } }, input.sourceArn, before, { store, callbacks });
    return 'already ended';
  }
  return 'waiting';
}
