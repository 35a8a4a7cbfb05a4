import { dispatchDeps } from '../../shared/aws/clients.ts';
import { exportDefaultsShape, readConfig, slotConfigShape } from '../../shared/config.ts';
import { systemClock } from '../../shared/lambda.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...exportDefaultsShape, ...slotConfigShape });
export const handler = makeHandler({ defaults: config, slots: dispatchDeps(config), clock: systemClock });
