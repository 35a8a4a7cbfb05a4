import { exportProviders } from '../../shared/export-kinds/providers.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { adsRegionOf, membersConfigShape, notifyConfigShape, providerConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...providerConfigShape, ...membersConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ providerFor: exportProviders({ adsRegion: adsRegionOf(config), rdsFor: placeClients(membersOf(config)) }), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
