import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { announce } from '../../shared/workflow/notify.ts';
import type { ProviderStepDeps } from '../../shared/workflow/provider-step.ts';
import { startExport } from '../../shared/workflow/start-export.ts';
import type { StartInput } from '../../shared/slots/store.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

export type StartExportDeps = ProviderStepDeps;

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
