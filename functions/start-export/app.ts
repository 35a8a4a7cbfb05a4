import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import type { ExportRequest } from '../../shared/request.ts';
import { startExport, type StartInput } from '../../shared/start.ts';
import type { ExportState } from '../../shared/workflow.ts';

export interface StartExportDeps {
  /** The provider of the request's kind (shared/aws/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  clock: Clock;
}

export const makeHandler = ({ providerFor, clock }: StartExportDeps) =>
  workflowStep<StartInput, ExportState>(async (event) => {
    const state = await startExport(event, providerFor(event.request), clock());
    logger.info(state.adopted ? 'adopted existing export task' : 'started export task', {
      exportId: state.request.exportId,
      sourceArn: state.request.source.arn,
      status: state.status,
    });
    return state;
  });
