import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';
import { logSweep, sweepFailure, sweepServedPlaces, type PlacesSweepReport, type ServedPlacesSweepDeps } from '../../shared/triggers/sweep.ts';

export type ReconcileDeps = ServedPlacesSweepDeps & { clock: Clock };

/**
 * The schedule's sweep (shared/triggers/sweep.ts): the snapshots no event started are started, each
 * logged; what could not be done fails the run after everything was tried, so Lambda retries it.
 */
export const makeHandler = ({ clock, ...sweep }: ReconcileDeps) =>
  workflowStep<unknown, PlacesSweepReport>(async (event) => {
    const report = await sweepServedPlaces(sweep, scheduledTime(event, clock()));
    logSweep(report);
    const failure = sweepFailure(report);
    if (failure) throw failure;
    return report;
  });
