import { coordinationStore } from '../../shared/aws/coordination-store.ts';
import { taskCallbacks } from '../../shared/aws/step-functions.ts';
import { readConfig, slotConfigShape } from '../../shared/config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(slotConfigShape);
export const handler = makeHandler({ store: coordinationStore(config.COORDINATION_TABLE), callbacks: taskCallbacks() });
