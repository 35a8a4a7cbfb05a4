import { exportProviders } from '../../shared/aws/clients.ts';
import { adsRegionOf, providerConfigShape, readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ providerFor: exportProviders({ adsRegion: adsRegionOf(readConfig(providerConfigShape)) }), clock: systemClock });
