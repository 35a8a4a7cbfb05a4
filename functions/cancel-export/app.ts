import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ProviderStepDeps } from '../../shared/workflow/provider-step.ts';
import { cancelExport } from '../../shared/workflow/cancel-export.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

export type CancelExportDeps = ProviderStepDeps;

export const makeHandler = ({ providerFor, publisher, clock }: CancelExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const now = clock();
    const next = await announce(await cancelExport(state, providerFor(state.request), now), publisher, now);
    const reason = state.overdue ? 'the deadline passed' : 'an operator asked';
    if (next.cancelBackoff) logger.warn(`could not cancel the export task yet (${reason}); trying again after a wait`, { exportId: next.request.exportId, failures: next.cancelFailure?.failures });
    else logger.warn(`canceled export task: ${reason}`, { exportId: next.request.exportId, deadline: next.request.deadline, status: next.status });
    return next;
  }, EVENT_SHAPES.cancelExport);
