import type { Place } from '../../shared/accounts/place.ts';
import { ReconciliationFailed } from '../../shared/runtime/errors.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';
import { summariseSweep, sweepPlaces, sweepSnapshots, type PlaceListings, type PlacesSweepReport, type SweepDeps, type SweepReport } from '../../shared/triggers/sweep.ts';

export interface ReconcileDeps extends Omit<SweepDeps, 'snapshots' | 'exports'>, Partial<Pick<SweepDeps, 'snapshots' | 'exports'>> {
  /** The places served (shared/accounts/members.ts servedPlaces) and each one's RDS: swept place by place. Absent: `snapshots` and `exports`, one place. */
  places?: { served: readonly Place[]; listingsOf: PlaceListings };
  clock: Clock;
}

/**
 * The schedule's sweep (shared/triggers/sweep.ts). A snapshot the sweep had to start means an event was
 * lost or parked: logged at WARN, one line each. Failed starts, and places that could not be listed
 * (a member role that cannot be assumed), fail the invocation after all were tried, so Lambda retries
 * it (safely: starts dedup by name) and the errors alarm sees it.
 */
export const makeHandler = ({ clock, places, snapshots, exports, ...sweep }: ReconcileDeps) =>
  workflowStep<unknown, SweepReport | PlacesSweepReport>(async (event) => {
    const now = scheduledTime(event, clock());
    const report: SweepReport & { failedPlaces?: PlacesSweepReport['failedPlaces'] } = places
      ? await sweepPlaces(places.served, places.listingsOf, sweep, now)
      : await sweepSnapshots({ ...sweep, snapshots: snapshots!, exports: exports! }, now);
    for (const entry of report.entries) {
      if (entry.outcome === 'started') logger.warn('started a snapshot no event had started (event lost or parked)', { ...entry });
      else if (entry.outcome === 'failed') logger.warn('could not start a missing snapshot', { ...entry });
    }
    for (const failure of report.failedPlaces ?? []) logger.error('could not sweep a place; the other places were swept', { ...failure });
    logger.info('reconciliation sweep', { ...summariseSweep(report), ...(report.failedPlaces ? { failedPlaces: report.failedPlaces.length } : {}) });
    const failed = report.entries.filter((entry) => entry.outcome === 'failed');
    const failedPlaces = report.failedPlaces ?? [];
    if (failed.length > 0 || failedPlaces.length > 0) {
      const starts = failed.map((f) => `${f.sourceArn}: ${f.error?.name}`);
      const unlisted = failedPlaces.map((f) => `${f.place}: ${f.error.name}`);
      const counts = [failed.length > 0 ? `${failed.length} missing snapshot(s) could not be started` : '', failedPlaces.length > 0 ? `${failedPlaces.length} place(s) could not be swept` : ''];
      throw new ReconciliationFailed(`${counts.filter(Boolean).join(', ')}: ${[...starts, ...unlisted].join('; ').slice(0, 2000)}`);
    }
    return report;
  });
