import { membersOf, type Members } from '../shared/accounts/members.ts';
import { exportDefaultsShape, membersConfigShape, readConfig, slotConfigShape, type ExportDefaults, type SlotConfig } from '../shared/runtime/config.ts';
import type { Selection } from '../shared/triggers/selection.ts';
import type { VerifySettings } from '../shared/verification/verify.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './definition.ts';

export const LOCAL_TOPIC_ARN = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:export-orchestrator-local`;
export const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:export-orchestrator-local`;

/** The deployed stack's configuration: what serverless.yml sets, every other variable at its default (shared/runtime/config.ts). */
export const LOCAL_CONFIG: ExportDefaults & SlotConfig = readConfig(
  { ...exportDefaultsShape, ...slotConfigShape },
  {
    EXPORT_BUCKET: 'example-exports',
    EXPORT_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/export-orchestrator-local-export`,
    EXPORT_KMS_KEY_ID: `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    COORDINATION_TABLE: 'export-orchestrator-local-coordination',
    AWS_REGION: LOCAL_REGION,
  },
);

export const LOCAL_VERIFY_SETTINGS: VerifySettings = { catalogDatabase: 'rds_{source}', deletePartialData: false, retainExports: 0 };

/** The trigger's and the sweep's selection in the local deployment: every manual and automated snapshot. */
export const LOCAL_SELECTION: Selection = { include: ['*'], exclude: [], types: ['manual', 'automated'] };

/** Containers export-event may run at once (no reserved concurrency deployed: more than any fleet's burst of ends). */
export const EXPORT_EVENT_CONTAINERS = 64;

/**
 * The members of the local deployment, read as a deployed function reads them (membersConfigShape):
 * its own account LOCAL_ACCOUNT, the given member accounts, the given regions (LOCAL_REGION when none).
 */
export function localMembers(accounts: readonly string[] = [], regions: readonly string[] = []): Members {
  return membersOf(
    readConfig(membersConfigShape, {
      MEMBER_ACCOUNTS: accounts.join(','),
      MEMBER_REGIONS: regions.join(','),
      ORCHESTRATOR_ACCOUNT: LOCAL_ACCOUNT,
      AWS_REGION: LOCAL_REGION,
      AWS_LAMBDA_FUNCTION_NAME: 'export-orchestrator-local',
    }),
  );
}
