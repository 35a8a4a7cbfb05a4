import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { queueMetrics } from '../../shared/slots/queue-metrics.ts';
import { dispatch, type DispatchDeps, type DispatchResult } from '../../shared/slots/dispatch.ts';

/** The periodic tick: a slot freed without an event reaching us (lost event, export started elsewhere) is still handed out. */
export const makeHandler = ({ slots, clock }: { slots: DispatchDeps; clock: Clock }) =>
  workflowStep<unknown, DispatchResult>(async () => {
    const result = await dispatch(slots, clock());
    // How many still wait (one item read), for the stalled-queue alarm: waiting > 0 while active = 0.
    const waiting = await slots.store.depth();
    logger.info('dispatched export slots', { ...result, waiting });
    return { ...result, waiting };
  }).use(queueMetrics(slots, clock));
