import type { ExportObservation, ExportProvider } from '../export-kinds/contract.ts';
import { isObservationError, observationFailed, observe, resumed, taskIdOf, type ExportState } from './export-state.ts';
import { describeError, failedAgain, quickly } from './following.ts';

/**
 * Asks the service to cancel. A cancel that does not get through is tried again after a wait (and
 * a look at the task, which may have ended meanwhile) until the task is really canceled or ends.
 */
export async function cancelExport(state: ExportState, provider: ExportProvider, now: Date): Promise<ExportState> {
  let observation: ExportObservation;
  try {
    observation = await quickly(() => provider.cancel(taskIdOf(state)));
  } catch (error) {
    if (!isObservationError(error)) throw error;
    const failed = observationFailed(state, error, now);
    return { ...failed, cancelBackoff: true, cancelFailure: failedAgain(state.cancelFailure, describeError(error), now) };
  }
  const { cancelFailure: _done, ...rest } = state;
  // Canceled for the deadline it ends TIMED_OUT; canceled at an operator's request, CANCELED.
  return observe({ ...resumed(rest), cancelBackoff: false, canceledForDeadline: state.overdue }, observation, now);
}
