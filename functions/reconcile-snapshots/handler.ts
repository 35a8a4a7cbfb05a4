import { coordinationStore } from '../../shared/slots/dynamodb-store.ts';
import { rdsSnapshotsOfPlaces } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { RDS_CALL_BUDGET } from '../../shared/runtime/pacing.ts';
import { reconcileConfigShape, sweepSettings } from '../../shared/triggers/config.ts';
import { membersOf, servedPlaces } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...reconcileConfigShape, ...membersConfigShape });
const members = membersOf(config);
const inPlace = placeClients(members);
export const handler = makeHandler({
  // Every served place is swept in its own account and region (a member's through its role), paced per account.
  places: { served: servedPlaces(members), listingsOf: rdsSnapshotsOfPlaces((place) => inPlace(place), RDS_CALL_BUDGET.reconcileSnapshots.intervalMs) },
  inFlight: coordinationStore(config.COORDINATION_TABLE),
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  settings: sweepSettings(config),
  clock: systemClock,
});
