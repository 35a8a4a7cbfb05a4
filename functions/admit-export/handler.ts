import { dispatchDeps } from '../../shared/slots/clients.ts';
import { exportDefaultsShape, membersConfigShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...exportDefaultsShape, ...slotConfigShape, ...membersConfigShape });
const members = membersOf(config);
const inPlace = placeClients(members);
export const handler = makeHandler({ defaults: { ...config, members }, slots: dispatchDeps(config, { rdsOf: inPlace }), clock: systemClock, reach: inPlace.reach });
