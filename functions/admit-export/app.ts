import { admitExport, type AdmissionInput } from '../../shared/workflow/admit-export.ts';
import type { RequestDefaults } from '../../shared/accounts/members.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import type { Place } from '../../shared/accounts/place.ts';

export interface AdmitExportDeps {
  defaults: RequestDefaults;
  slots: DispatchDeps;
  clock: Clock;
  /** Has a member place's session (shared/accounts/clients.ts PlaceClients.reach); every place reachable when absent. */
  reach?: (place: Place) => Promise<void>;
}

export const makeHandler = ({ defaults, slots, clock, reach }: AdmitExportDeps) =>
  workflowStep<AdmissionInput, { exportId: string }>(async (event) => {
    const { exportId, dispatch } = await admitExport(event, defaults, slots, clock(), reach);
    logger.info('queued for an export slot', { exportId, ...dispatch });
    return { exportId };
  }, EVENT_SHAPES.admitExport);
