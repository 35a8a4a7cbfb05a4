/** The request, the execution state and the fixed clock the handler and logic tests share. */
import { exportDefaultsShape, readConfig, type ExportDefaults } from '../../shared/runtime/config.ts';
import { buildRdsRequest, type RdsRequest } from '../../shared/export-kinds/rds/request.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';
import { ACCOUNT, REGION } from './aws.ts';

export const SNAPSHOT_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:rds:orders-db-2026-03-04-05-06`;
export const REQUESTED_AT = new Date('2026-03-04T05:06:07.000Z');
export const NOW = new Date('2026-03-04T05:36:07.000Z');
/** A clock stopped at NOW. */
export const clock = () => NOW;

/** The deploy-time defaults, as readConfig gives them from the variables serverless.yml sets. */
export const defaults: ExportDefaults = readConfig(exportDefaultsShape, {
  EXPORT_BUCKET: 'export-bucket',
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  EXPORT_KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
});

export const BOUNDS = { minSeconds: defaults.MIN_POLL_SECONDS, maxSeconds: defaults.MAX_POLL_SECONDS };

export function exportRequest(input: Record<string, unknown> = {}): RdsRequest {
  return buildRdsRequest({ sourceArn: SNAPSHOT_ARN, ...input }, defaults, REQUESTED_AT);
}

/** An RDS export a quarter done, polled three times. */
export function exportState(overrides: Partial<Omit<ExportState, 'request'>> & { request?: RdsRequest } = {}): ExportState & { request: RdsRequest } {
  return {
    request: exportRequest({ exportOnly: ['orders'] }),
    status: 'IN_PROGRESS',
    percent: 25,
    notifiedStatus: 'IN_PROGRESS',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 600,
    exportStartedAt: REQUESTED_AT.toISOString(),
    adopted: false,
    polls: 3,
    bounds: BOUNDS,
    wakeByEvent: false,
    cancelBackoff: false,
    ...overrides,
  };
}
