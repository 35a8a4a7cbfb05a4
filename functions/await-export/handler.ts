import { coordinationStore } from '../../shared/slots/dynamodb-store.ts';
import { taskCallbacks } from '../../shared/workflow/step-functions.ts';
import { coordinationTableShape, readConfig } from '../../shared/runtime/config.ts';
import { makeHandler } from './app.ts';

const config = readConfig(coordinationTableShape);
export const handler = makeHandler({ store: coordinationStore(config.COORDINATION_TABLE), callbacks: taskCallbacks() });
