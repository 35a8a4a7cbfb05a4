import type { ExportHistory, SnapshotCatalog } from '../../shared/triggers/snapshots.ts';
import type { ExecutionStarter } from '../../shared/workflow/step-functions.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { planExports, ScheduledExportsFailed, type PlannerDeps, type ScheduledSource, type SourcePlan } from '../../shared/triggers/schedules.ts';
import { scheduledTime } from '../../shared/triggers/event-time.ts';

export interface PlanExportsDeps {
  catalog: Pick<SnapshotCatalog, 'snapshotsOf' | 'clusterArn'>;
  exports: ExportHistory;
  starter: ExecutionStarter;
  /** RDS in a scheduled source's account or Region (shared/triggers/schedules.ts PlannerDeps.inPlace). */
  inPlace?: PlannerDeps['inPlace'];
  sources: readonly ScheduledSource[];
  clock: Clock;
}

export interface PlanSummary {
  plans: SourcePlan[];
}

/**
 * The schedule's run: one plan per configured source. Failed sources are reported together, by
 * throwing after all were planned: an asynchronous invocation's return value is seen by no one,
 * while a failure is retried by Lambda (safely: starts dedup by name) and counted for alarms.
 */
export const makeHandler = ({ catalog, exports, starter, inPlace, sources, clock }: PlanExportsDeps) =>
  workflowStep<unknown, PlanSummary>(async (event) => {
    const plans = await planExports(sources, { catalog, exports, starter, ...(inPlace ? { inPlace } : {}) }, scheduledTime(event, clock()));
    for (const plan of plans) {
      if (plan.outcome === 'failed') logger.warn(`${plan.source}: failed`, { ...plan });
      else if (plan.outcome === 'not-found') logger.warn(`${plan.source}: not found`, { ...plan });
      else logger.info(`${plan.source}: ${plan.outcome}`, { ...plan });
    }
    const counts = Object.fromEntries([...new Set(plans.map((plan) => plan.outcome))].map((outcome) => [outcome, plans.filter((p) => p.outcome === outcome).length]));
    logger.info('planned scheduled exports', { sources: plans.length, ...counts });
    const failures = plans.filter((plan) => plan.outcome === 'failed');
    if (failures.length) throw new ScheduledExportsFailed(failures);
    return { plans };
  });
