import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ExportProvider } from '../../shared/export-kinds/contract.ts';
import type { ExportRequest } from '../../shared/export-kinds/request.ts';
import { startExport } from '../../shared/workflow/start-export.ts';
import type { StartInput } from '../../shared/slots/store.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

export interface StartExportDeps {
  /** The provider of the request's kind (shared/slots/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  /** Publishes STARTING itself: no Notify state after the start. */
  publisher: NotificationPublisher;
  clock: Clock;
}

export const makeHandler = ({ providerFor, publisher, clock }: StartExportDeps) =>
  workflowStep<StartInput, ExportState>(async (event) => {
    const now = clock();
    const state = await announce(await startExport(event, providerFor(event.request), now), publisher, now);
    logger.info(state.adopted ? 'adopted existing export task' : 'started export task', {
      exportId: state.request.exportId,
      sourceArn: state.request.source.arn,
      status: state.status,
    });
    return state;
  }, EVENT_SHAPES.startExport);
