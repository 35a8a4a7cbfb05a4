import { logger, workflowStep, type Clock } from '../../shared/lambda.ts';
import type { ExportProvider } from '../../shared/provider.ts';
import type { ExportRequest } from '../../shared/request.ts';
import { cancelExport, type ExportState } from '../../shared/workflow.ts';

export interface CancelExportDeps {
  /** The provider of the request's kind (shared/aws/clients.ts exportProviders). */
  providerFor: (request: ExportRequest) => ExportProvider;
  clock: Clock;
}

export const makeHandler = ({ providerFor, clock }: CancelExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const next = await cancelExport(state, providerFor(state.request), clock());
    const reason = state.overdue ? 'the deadline passed' : 'an operator asked';
    logger.warn(`canceled export task: ${reason}`, { exportId: next.request.exportId, deadline: next.request.deadline, status: next.status });
    return next;
  });
