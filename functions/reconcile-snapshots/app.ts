import type { InFlightExecutions } from '../../shared/slots/store.ts';
import type { ExportedSources, SnapshotLister } from '../../shared/triggers/snapshots.ts';
import type { ExecutionStarter } from '../../shared/workflow/step-functions.ts';
import { ReconciliationFailed } from '../../shared/runtime/errors.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';
import { summariseSweep, sweepSnapshots, type SweepReport, type SweepSettings } from '../../shared/triggers/sweep.ts';

export interface ReconcileDeps {
  snapshots: SnapshotLister;
  exports: ExportedSources;
  inFlight: InFlightExecutions;
  starter: ExecutionStarter;
  settings: SweepSettings;
  clock: Clock;
}

/**
 * The schedule's sweep (shared/triggers/sweep.ts). A snapshot the sweep had to start means an event was
 * lost or parked: logged at WARN, one line each. Failed starts fail the invocation after all were
 * tried, so Lambda retries it (safely: starts dedup by name) and the errors alarm sees it.
 */
export const makeHandler = ({ snapshots, exports, inFlight, starter, settings, clock }: ReconcileDeps) =>
  workflowStep<unknown, SweepReport>(async (event) => {
    const report = await sweepSnapshots({ snapshots, exports, inFlight, starter, settings }, scheduledTime(event, clock()));
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
