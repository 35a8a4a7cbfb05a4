import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ExportProvider } from '../../shared/export-kinds/contract.ts';
import type { ExportRequest } from '../../shared/export-kinds/request.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import { pollExport, type ExportState } from '../../shared/workflow/export-state.ts';

export interface PollExportDeps {
  /** The provider of the request's kind (shared/slots/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  slots: DispatchDeps;
  /** Publishes a change of status (and the notices about following) itself. */
  publisher: NotificationPublisher;
  clock: Clock;
}

export const makeHandler = ({ providerFor, slots, publisher, clock }: PollExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const now = clock();
    const next = await announce(await pollExport(state, providerFor(state.request), slots, now), publisher, now);
    logger.info('polled export task', { exportId: next.request.exportId, status: next.status, percent: next.percent, waitSeconds: next.waitSeconds });
    return next;
  }, EVENT_SHAPES.pollExport);
