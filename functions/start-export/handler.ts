import { readConfig, startConfigShape } from '../../shared/config.ts';
import { rdsExportProvider } from '../../shared/aws/clients.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ provider: rdsExportProvider(), config: readConfig(startConfigShape), clock: systemClock });
