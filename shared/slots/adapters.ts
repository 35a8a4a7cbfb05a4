import * as rdsAdapter from '../export-kinds/rds/rds-provider.ts';
import { coordinationStore } from './dynamodb-store.ts';
import type { SlotAdapters } from './clients.ts';

/**
 * The dispatcher's adapters imported with the handler, for the functions that use both on every
 * invocation (export-event, dispatch-exports): no chunk of their own to load, no loader to await.
 */
export const SLOT_ADAPTERS_WITH_THE_HANDLER: SlotAdapters = { store: coordinationStore, rds: async () => rdsAdapter };
