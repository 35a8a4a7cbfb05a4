import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import { startExport, type StartInput } from '../../shared/start.ts';
import type { ExportState } from '../../shared/workflow.ts';

export interface StartExportDeps {
  provider: ExportProvider;
  clock: Clock;
}

export const makeHandler = ({ provider, clock }: StartExportDeps) =>
  workflowStep<StartInput, ExportState>(async (event) => {
    const state = await startExport(event, provider, clock());
    logger.info(state.adopted ? 'adopted existing export task' : 'started export task', {
      exportId: state.request.exportId,
      sourceArn: state.request.source.arn,
      status: state.status,
    });
    return state;
  });
