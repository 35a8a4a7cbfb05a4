import { exportProviders } from '../../shared/export-kinds/providers.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { adsRegionOf, notifyConfigShape, providerConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...providerConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ providerFor: exportProviders({ adsRegion: adsRegionOf(config) }), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
