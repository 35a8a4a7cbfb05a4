import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { onFirstUse } from '../runtime/on-first-use.ts';
import type { CoordinationStore } from './store.ts';

/** The coordination store's methods (the compiler checks the list against the interface). */
const STORE_METHODS = {
  enqueue: true, oldestRequestedAt: true, oldest: true, remove: true, waitingPlaces: true, forgetPlace: true, depth: true, putLease: true, leases: true, dropLease: true,
  activeReading: true, putActiveReading: true, swapWait: true, takeWait: true, restoreWait: true, requestCancel: true, takeCancelRequest: true, tryLock: true, unlock: true, markDirty: true, takeDirty: true,
} satisfies Record<keyof CoordinationStore, true>;

/**
 * The coordination table, its DynamoDB client loaded and made on first use: admitting an EC2 image
 * or ADS export takes no slot and never touches it, so that cold start does not load the client
 * (the rule of shared/export-kinds/rds/adapter-on-first-use.ts: only admit-export imports this module).
 */
export function coordinationStoreOnFirstUse(tableName: string, clientConfig?: DynamoDBClientConfig): CoordinationStore {
  const store = onFirstUse(async () => (await import('./dynamodb-store.ts')).coordinationStore(tableName, clientConfig));
  const forward = (method: keyof CoordinationStore) => async (...args: unknown[]) => ((await store())[method] as (...args: unknown[]) => unknown)(...args);
  return Object.fromEntries(Object.keys(STORE_METHODS).map((method) => [method, forward(method as keyof CoordinationStore)])) as unknown as CoordinationStore;
}
