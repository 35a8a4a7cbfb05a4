import { dispatchDeps } from '../../shared/slots/clients.ts';
import { readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { systemClock } from '../../shared/runtime/clock.ts';
import { makeHandler } from './app.ts';

export const handler = makeHandler({ slots: dispatchDeps(readConfig(slotConfigShape)), clock: systemClock });
