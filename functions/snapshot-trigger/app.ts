import type { SnapshotCatalog } from '../../shared/triggers/snapshots.ts';
import type { ExecutionStarter } from '../../shared/workflow/step-functions.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import { handleSnapshotEvent, type RdsEvent, type TriggerResult, type TriggerSettings } from '../../shared/triggers/snapshot-events.ts';

export interface SnapshotTriggerDeps {
  catalog: Pick<SnapshotCatalog, 'describe'>;
  starter: ExecutionStarter;
  settings: TriggerSettings;
  clock: Clock;
}

/** EventBridge → one export execution per new snapshot that the selection takes. */
export const makeHandler = ({ catalog, starter, settings, clock }: SnapshotTriggerDeps) =>
  workflowStep<RdsEvent, TriggerResult>(async (event) => {
    const result = await handleSnapshotEvent(event, { catalog, starter, settings }, clock());
    const context = { eventId: event?.detail?.EventID, eventBridgeId: event?.id, ...result };
    switch (result.outcome) {
      case 'ignored':
        // The rule may deliver more than we export; those are not worth an INFO line each.
        logger.debug(`ignored event: ${result.reason}`, context);
        break;
      case 'skipped':
        logger.info(`skipped snapshot: ${result.reason}`, context);
        break;
      case 'started':
        logger.info('started export execution', context);
        break;
      case 'duplicate':
        logger.info('export execution already exists (redelivered event): nothing to do', context);
        break;
    }
    return result;
  }, EVENT_SHAPES.snapshotTrigger);
