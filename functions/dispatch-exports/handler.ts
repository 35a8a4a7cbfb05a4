import { dispatchDeps } from '../../shared/aws/clients.ts';
import { readConfig, slotConfigShape } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ slots: dispatchDeps(readConfig(slotConfigShape)), clock: systemClock });
