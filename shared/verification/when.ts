import { isTerminal, type ExportStatus } from '../export-kinds/status.ts';
import { definitionOf } from '../export-kinds/registry.ts';
import type { ExportRequest } from '../export-kinds/request.ts';
import type { Verification } from './result.ts';

/**
 * An export of a verified kind (RDS) that ended and is not verified yet: the observing step leaves its notification to
 * the verify step, so the end is published once, with the tables (or the partial data) in it. The
 * state machine's Route makes the same choice (statemachines/export.asl.json, VerifyExport).
 */
export function awaitsVerification(state: { status: ExportStatus; request: Pick<ExportRequest, 'kind'>; verification?: Verification; verifyError?: unknown }): boolean {
  return isTerminal(state.status) && definitionOf(state.request).verifiedAfterEnd && state.verification === undefined && state.verifyError === undefined;
}
