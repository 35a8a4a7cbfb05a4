import { rdsSnapshotsPerPlace } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { RDS_CALL_BUDGET } from '../../shared/runtime/pacing.ts';
import { snapshotTriggerConfigShape, triggerSettings } from '../../shared/triggers/config.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...snapshotTriggerConfigShape, ...membersConfigShape });
const inPlace = placeClients(membersOf(config));
export const handler = makeHandler({
  // Each snapshot is described in its own account and region (a member's through its role), paced per account.
  catalog: rdsSnapshotsPerPlace((place) => inPlace(place), RDS_CALL_BUDGET.snapshotTrigger.intervalMs),
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: triggerSettings(config),
  clock: systemClock,
});
