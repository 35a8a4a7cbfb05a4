import { ReconciliationFailed } from '../../shared/runtime/errors.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';
import { summariseSweep, sweepSnapshots, type SweepDeps, type SweepReport } from '../../shared/triggers/sweep.ts';

export interface ReconcileDeps extends SweepDeps {
  clock: Clock;
}

/**
 * The schedule's sweep (shared/triggers/sweep.ts). A snapshot the sweep had to start means an event was
 * lost or parked: logged at WARN, one line each. Failed starts fail the invocation after all were
 * tried, so Lambda retries it (safely: starts dedup by name) and the errors alarm sees it.
 */
export const makeHandler = ({ clock, ...sweep }: ReconcileDeps) =>
  workflowStep<unknown, SweepReport>(async (event) => {
    const report = await sweepSnapshots(sweep, scheduledTime(event, clock()));
    for (const entry of report.entries) {
      if (entry.outcome === 'started') logger.warn('started a snapshot no event had started (event lost or parked)', { ...entry });
      else if (entry.outcome === 'failed') logger.warn('could not start a missing snapshot', { ...entry });
    }
    logger.info('reconciliation sweep', summariseSweep(report));
    const failed = report.entries.filter((entry) => entry.outcome === 'failed');
    if (failed.length > 0) {
      throw new ReconciliationFailed(`${failed.length} missing snapshot(s) could not be started: ${failed.map((f) => `${f.sourceArn}: ${f.error?.name}`).join('; ').slice(0, 2000)}`);
    }
    return report;
  });
