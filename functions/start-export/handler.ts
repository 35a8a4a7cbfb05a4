import { rdsExportProvider } from '../../shared/aws/clients.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ provider: rdsExportProvider(), clock: systemClock });
