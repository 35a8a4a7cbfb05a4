import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ProviderStepDeps } from '../../shared/workflow/provider-step.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import { pollExport } from '../../shared/workflow/poll-export.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

export interface PollExportDeps extends ProviderStepDeps {
  slots: DispatchDeps;
}

export const makeHandler = ({ providerFor, slots, publisher, clock }: PollExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const now = clock();
    const next = await announce(await pollExport(state, providerFor(state.request), slots, now), publisher, now);
    logger.info('polled export task', { exportId: next.request.exportId, status: next.status, percent: next.percent, waitSeconds: next.waitSeconds });
    return next;
  }, EVENT_SHAPES.pollExport);
