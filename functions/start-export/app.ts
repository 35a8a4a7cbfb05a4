import type { NotificationPublisher } from '../../shared/aws/sns-publisher.ts';
import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import { EVENT_SHAPES } from '../../shared/event-shape.ts';
import { announce } from '../../shared/notify.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import type { ExportRequest } from '../../shared/request.ts';
import { startExport, type StartInput } from '../../shared/start.ts';
import type { ExportState } from '../../shared/workflow.ts';

export interface StartExportDeps {
  /** The provider of the request's kind (shared/aws/clients.ts exportProviders). */
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
