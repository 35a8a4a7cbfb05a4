import { TransientAwsError } from '../runtime/errors.ts';
import { logger } from '../runtime/logger.ts';
import type { ExportObservation, ExportProvider } from '../export-kinds/contract.ts';
import { isTerminal } from '../export-kinds/status.ts';
import { definitionOf } from '../export-kinds/registry.ts';
import { dispatchBestEffort, type DispatchDeps } from '../slots/dispatch.ts';
import { exportPlaceOf } from '../slots/place-of.ts';
import { isObservationError, observationFailed, observe, resumed, taskIdOf, type ExportState } from './export-state.ts';
import { describeError, quickly } from './following.ts';

/**
 * Looks at the task. A failed look (after its quick retries) is not the end of following: the
 * state goes back to waiting, longer after each failure (at most the wait policy's maximum), and
 * keeps the deadline, so a task that cannot be observed is still canceled on time.
 */
export async function pollExport(state: ExportState, provider: ExportProvider, slots: DispatchDeps, now: Date): Promise<ExportState> {
  const { stepError: _cleared, ...current } = { ...state, cancelBackoff: false, polls: state.polls + 1 };
  let observation: ExportObservation;
  try {
    observation = await quickly(() => provider.describe(taskIdOf(state)));
  } catch (error) {
    if (!isObservationError(error)) throw error;
    return observationFailed(current, error, now);
  }
  const next = observe(resumed(current), observation, now);
  if (isTerminal(next.status) && definitionOf(state.request).takesExportSlot) {
    // Seen ended: RDS stopped listing it as running by its end time at the latest.
    const endedAt = next.taskEndTime && Date.parse(next.taskEndTime) <= now.getTime() ? new Date(next.taskEndTime) : now;
    await dispatchBestEffort(slots, exportPlaceOf(state.request), now, { exportEndedAt: endedAt });
  }
  else if (!next.cancelRequested && (await cancelRequested(state, slots))) next.cancelRequested = true;
  return next;
}

/** An operator names the export by our id, or by the service's own (an EC2 export-ami-… id). */
async function cancelRequested(state: ExportState, slots: DispatchDeps): Promise<boolean> {
  try {
    if (await slots.store.takeCancelRequest(state.request.exportId)) return true;
    const taskId = taskIdOf(state);
    return taskId !== state.request.exportId && (await slots.store.takeCancelRequest(taskId));
  } catch (error) {
    // The request stays recorded: the next poll sees it. Not a reason to stop following.
    if (!(error instanceof TransientAwsError)) throw error;
    logger.warn('could not read cancel requests; looking again at the next poll', { exportId: state.request.exportId, error: describeError(error) });
    return false;
  }
}
