import { rdsSnapshots, rdsSnapshotsOfPlaces } from '../../shared/triggers/rds-snapshots.ts';
import { stepFunctions } from '../../shared/workflow/step-functions.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { planExportsConfigShape } from '../../shared/triggers/config.ts';
import { membersOf, placeOfSource } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...planExportsConfigShape, ...membersConfigShape });
const members = membersOf(config);
const inPlace = placeClients(members);
const rds = rdsSnapshots();
// A scheduled source of a member account or another Region is looked up there (a member's through its role).
const there = rdsSnapshotsOfPlaces((place) => inPlace(place), 0);
export const handler = makeHandler({
  catalog: rds,
  exports: rds,
  inPlace: (named) => {
    const place = there(placeOfSource(members, named));
    return { catalog: place, exports: place };
  },
  starter: stepFunctions(config.STATE_MACHINE_ARN),
  sources: config.SCHEDULED_SOURCES,
  clock: systemClock,
});
