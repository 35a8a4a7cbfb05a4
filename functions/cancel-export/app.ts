import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import type { ExportRequest } from '../../shared/request.ts';
import { cancelExport, type ExportState } from '../../shared/workflow.ts';

export interface CancelExportDeps {
  provider: ExportProvider;
  /** The provider of the request's kind; without it every export is `provider`'s. */
  providerFor?: (request: ExportRequest) => ExportProvider;
  clock: Clock;
}

export const makeHandler = ({ provider, providerFor, clock }: CancelExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const next = await cancelExport(state, providerFor?.(state.request) ?? provider, clock());
    logger.warn('deadline passed: canceled export task', { exportId: next.request.exportId, deadline: next.request.deadline, status: next.status });
    return next;
  });
