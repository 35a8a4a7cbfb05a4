import { dispatchDeps } from '../../shared/slots/clients.ts';
import { exportDefaultsShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { makeHandler } from './app.ts';

const config = readConfig({ ...exportDefaultsShape, ...slotConfigShape });
export const handler = makeHandler({ defaults: config, slots: dispatchDeps(config), clock: systemClock });
