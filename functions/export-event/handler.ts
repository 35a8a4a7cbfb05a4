import { dispatchDeps } from '../../shared/slots/clients.ts';
import { SLOT_ADAPTERS_WITH_THE_HANDLER } from '../../shared/slots/adapters.ts';
import { membersConfigShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...slotConfigShape, ...membersConfigShape });
export const handler = makeHandler({ slots: dispatchDeps(config, SLOT_ADAPTERS_WITH_THE_HANDLER, { rdsOf: placeClients(membersOf(config)) }), clock: systemClock });
