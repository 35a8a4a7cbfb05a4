import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ExportProvider } from '../../shared/export-kinds/contract.ts';
import type { ExportRequest } from '../../shared/export-kinds/request.ts';
import { cancelExport, type ExportState } from '../../shared/workflow/export-state.ts';

export interface CancelExportDeps {
  /** The provider of the request's kind (shared/slots/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  /** Publishes CANCELING itself, and the loud notice when the cancel does not get through. */
  publisher: NotificationPublisher;
  clock: Clock;
}

export const makeHandler = ({ providerFor, publisher, clock }: CancelExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const now = clock();
    const next = await announce(await cancelExport(state, providerFor(state.request), now), publisher, now);
    const reason = state.overdue ? 'the deadline passed' : 'an operator asked';
    if (next.cancelBackoff) logger.warn(`could not cancel the export task yet (${reason}); trying again after a wait`, { exportId: next.request.exportId, failures: next.cancelFailure?.failures });
    else logger.warn(`canceled export task: ${reason}`, { exportId: next.request.exportId, deadline: next.request.deadline, status: next.status });
    return next;
  }, EVENT_SHAPES.cancelExport);
