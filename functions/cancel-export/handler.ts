import { exportProviders, rdsExportProvider } from '../../shared/aws/clients.ts';
import { adsRegionOf, providerConfigShape, readConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ provider: rdsExportProvider(), providerFor: exportProviders({ adsRegion: adsRegionOf(readConfig(providerConfigShape)) }), clock: systemClock });
