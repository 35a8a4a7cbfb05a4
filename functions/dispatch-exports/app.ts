import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { queueMetrics } from '../../shared/slots/queue-metrics.ts';
import { dispatchWaiting, type DispatchDeps, type TickResult } from '../../shared/slots/dispatch.ts';

/**
 * The periodic tick, in every place where executions wait: a slot freed without an event reaching
 * us (lost event, export started elsewhere) is still handed out.
 */
export const makeHandler = ({ slots, clock }: { slots: DispatchDeps; clock: Clock }) =>
  workflowStep<unknown, TickResult>(async () => {
    const result = await dispatchWaiting(slots, clock());
    // For the stalled-queue alarm: the places where some wait while none runs.
    logger.info('dispatched export slots', { ...result, stalled: result.stalledPlaces.length });
    return result;
  }).use(queueMetrics(slots, clock));
