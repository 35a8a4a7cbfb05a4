import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import { logger } from '../../shared/runtime/logger.ts';
import { workflowStep } from '../../shared/workflow/step.ts';
import { EVENT_SHAPES } from '../../shared/runtime/event-shape.ts';
import type { Clock } from '../../shared/runtime/clock.ts';
import { announce } from '../../shared/workflow/notify.ts';
import { verifyExport, type VerifyDeps } from '../../shared/verification/verify.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

export interface VerifyExportDeps {
  verify: VerifyDeps;
  /** Publishes the export's end itself, with what verification found. */
  publisher: NotificationPublisher;
  clock: Clock;
}

/** After an RDS export's end: verify a COMPLETE one table by table (and catalog it), or account for what a failed one left; then notify the end. */
export const makeHandler = ({ verify, publisher, clock }: VerifyExportDeps) =>
  workflowStep<ExportState, ExportState>(async (state) => {
    const verified = await verifyExport(state, verify);
    const { tables, catalog, partialData, retention, warnings } = verified.verification;
    logger.info('verified export', {
      exportId: state.request.exportId,
      status: state.status,
      ...(tables ? { exported: tables.exported, failed: tables.failed, skipped: tables.skipped } : {}),
      ...(catalog ? { database: catalog.database, catalogTables: catalog.tables.length } : {}),
      ...(partialData ? { partialObjects: partialData.objects, partialBytes: partialData.bytes, deleted: partialData.deleted?.objects } : {}),
      ...(retention ? { removedExports: retention.removed.map((removed) => removed.exportId) } : {}),
      warnings,
    });
    return announce(verified, publisher, clock());
  }, EVENT_SHAPES.verifyExport);
