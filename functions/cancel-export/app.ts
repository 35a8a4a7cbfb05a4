import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import { cancelExport, type ExportState } from '../../shared/workflow.ts';

export interface CancelExportDeps {
  provider: ExportProvider;
  clock: Clock;
}

export const makeHandler = ({ provider, clock }: CancelExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const next = await cancelExport(state, provider, clock());
    logger.warn('deadline passed: canceled export task', { exportId: next.request.exportId, deadline: next.request.deadline, status: next.status });
    return next;
  });
