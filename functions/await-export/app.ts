import { awaitExportEnd, type AwaitInput, type WaitDeps } from '../../shared/slots/export-events.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';

export const makeHandler = (deps: WaitDeps) =>
  workflowStep<AwaitInput, { wait: string }>(async (input) => {
    const wait = await awaitExportEnd(input, deps);
    logger.info('waiting for the export to end', { sourceArn: input.sourceArn, wait });
    return { wait };
  }, EVENT_SHAPES.awaitExport);
