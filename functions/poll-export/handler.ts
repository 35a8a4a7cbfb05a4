import { dispatchDeps } from '../../shared/slots/clients.ts';
import { coordinationStore } from '../../shared/slots/dynamodb-store.ts';
import { rdsAdapterOnFirstUse } from '../../shared/export-kinds/rds/adapter-on-first-use.ts';
import { exportProviders } from '../../shared/export-kinds/providers.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { adsRegionOf, membersConfigShape, notifyConfigShape, providerConfigShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...providerConfigShape, ...membersConfigShape, ...slotConfigShape, ...notifyConfigShape });
const inPlace = placeClients(membersOf(config));
// Every poll reads the store (cancel requests); RDS loads for an RDS export only.
const adapters = { store: coordinationStore, rds: rdsAdapterOnFirstUse };
export const handler = makeHandler({
  providerFor: exportProviders({ adsRegion: adsRegionOf(config), rdsFor: inPlace }),
  slots: dispatchDeps(config, adapters, { rdsOf: inPlace }),
  publisher: snsPublisher(config.TOPIC_ARN),
  clock: systemClock,
});
