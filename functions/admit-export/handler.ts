import { dispatchDeps } from '../../shared/slots/clients.ts';
import { coordinationStoreOnFirstUse } from '../../shared/slots/store-on-first-use.ts';
import { rdsAdapterOnFirstUse } from '../../shared/export-kinds/rds/adapter-on-first-use.ts';
import { exportDefaultsShape, membersConfigShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...exportDefaultsShape, ...slotConfigShape, ...membersConfigShape });
const members = membersOf(config);
const inPlace = placeClients(members);
// Admitting an EC2 image or ADS export takes no slot: the store and RDS load only for an RDS one.
const adapters = { store: coordinationStoreOnFirstUse, rds: rdsAdapterOnFirstUse };
export const handler = makeHandler({ defaults: { ...config, members }, slots: dispatchDeps(config, adapters, { rdsOf: inPlace }), clock: systemClock, reach: inPlace.reach });
