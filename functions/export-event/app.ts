import { exportFinished, parseExportFinished, type RdsEventBridgeEvent } from '../../shared/slots/export-events.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { dispatch, type DispatchDeps } from '../../shared/slots/dispatch.ts';
import { placeOfArn } from '../../shared/accounts/place.ts';

export const makeHandler = ({ slots, clock }: { slots: DispatchDeps; clock: Clock }) =>
  workflowStep<RdsEventBridgeEvent, { handled: boolean }>(async (event) => {
    const finished = parseExportFinished(event);
    if (!finished) {
      logger.debug('not an export-finished event', { eventId: event.detail?.EventID, detailType: event['detail-type'] });
      return { handled: false };
    }
    const wait = await exportFinished(finished, slots);
    // The export's slot is free: hand it to the next execution in its place's queue.
    const place = placeOfArn(finished.sourceArn);
    const slotsAfter = place ? await dispatch(slots, place, clock(), { exportEndedAt: new Date(finished.at) }) : undefined;
    logger.info('export finished', { ...finished, wait, ...slotsAfter });
    return { handled: true };
  }, EVENT_SHAPES.exportEvent);
