import { exportProviders } from '../../shared/aws/providers.ts';
import { snsPublisher } from '../../shared/aws/sns-publisher.ts';
import { adsRegionOf, notifyConfigShape, providerConfigShape, readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...providerConfigShape, ...notifyConfigShape });
export const handler = makeHandler({ providerFor: exportProviders({ adsRegion: adsRegionOf(config) }), publisher: snsPublisher(config.TOPIC_ARN), clock: systemClock });
