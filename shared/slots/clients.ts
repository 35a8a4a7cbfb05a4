import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { RDSClientConfig } from '@aws-sdk/client-rds';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import type { SlotConfig } from '../runtime/config.ts';
import type { ActiveExports, DispatchDeps } from './dispatch.ts';
import type { CoordinationStore } from './store.ts';
import { onFirstUse } from '../runtime/on-first-use.ts';
import { placeKey, type Place } from '../accounts/place.ts';
import { quotaOf } from './quota.ts';
import type { RdsExportProvider } from '../export-kinds/rds/rds-provider.ts';
import { taskCallbacks } from '../workflow/step-functions.ts';

/**
 * Clients for the deployed Lambdas, made once per cold start (and for the local run, with its own endpoint).
 *
 * An adapter that only some invocations need is imported on its first use, through a loader like
 * `rdsAdapter` (once per process). esbuild's code splitting (serverless.yml custom.esbuild.splitting)
 * puts it in a chunk of its own with the SDK client only it uses, so a cold start loads the clients
 * of the export it serves and no other: an RDS export never loads the EC2 client. Reach such a module
 * only through its loader (a static import anywhere in a handler's graph puts it back into every
 * cold start), and keep a loader in a module that only the handlers needing it import: esbuild emits
 * the chunk of every `import()` in a bundled file, used or not. `npm run bench` prints each
 * function's import time per export kind beside the floor of the clients it needs.
 */
export const rdsAdapter = /* @__PURE__ */ onFirstUse(() => import('../export-kinds/rds/rds-provider.ts'));

/** Where the dispatcher asks RDS what runs in a place: the place's region (guard's sessions give the member's credentials). */
export type RdsConfigOfPlace = (place: Place) => RDSClientConfig;

/** What holds RDS's export slots in each place, asked through the RDS adapter, which loads when the dispatcher first needs it; one client per place. */
function activeRdsExports(configOf: RdsConfigOfPlace): ActiveExports {
  const providers = new Map<string, Promise<RdsExportProvider>>();
  const providerOf = (place: Place) => {
    const key = placeKey(place);
    let provider = providers.get(key);
    if (!provider) {
      provider = rdsAdapter().then((adapter) => adapter.rdsExportProvider(configOf(place)));
      // A failed load is not kept: the next dispatch tries again.
      provider.catch(() => providers.delete(key));
      providers.set(key, provider);
    }
    return provider;
  };
  return { active: async (place) => (await providerOf(place)).active() };
}

/** The coordination store's methods (the compiler checks the list against the interface). */
const STORE_METHODS = {
  enqueue: true, oldestRequestedAt: true, oldest: true, remove: true, waitingPlaces: true, forgetPlace: true, depth: true, putLease: true, leases: true, dropLease: true,
  activeReading: true, putActiveReading: true, swapWait: true, takeWait: true, restoreWait: true, requestCancel: true, takeCancelRequest: true, tryLock: true, unlock: true, markDirty: true, takeDirty: true,
} satisfies Record<keyof CoordinationStore, true>;

/**
 * The coordination table, its DynamoDB client loaded and made on first use: admitting an EC2 image
 * or ADS export takes no slot and never touches it, so that cold start does not load the client.
 */
function coordinationStoreOnFirstUse(tableName: string, clientConfig?: DynamoDBClientConfig): CoordinationStore {
  const store = onFirstUse(async () => (await import('./dynamodb-store.ts')).coordinationStore(tableName, clientConfig));
  const forward = (method: keyof CoordinationStore) => async (...args: unknown[]) => ((await store())[method] as (...args: unknown[]) => unknown)(...args);
  return Object.fromEntries(Object.keys(STORE_METHODS).map((method) => [method, forward(method as keyof CoordinationStore)])) as unknown as CoordinationStore;
}

/**
 * Everything the slot dispatcher talks to: the queue table, RDS in each place (what runs), Step
 * Functions (whom to wake). `rdsOf` gives the RDS client of a place; by default the place's region
 * with the given RDS config (the function's own credentials).
 */
export const dispatchDeps = (
  config: SlotConfig,
  clientConfig: { rds?: RDSClientConfig; rdsOf?: RdsConfigOfPlace; dynamo?: DynamoDBClientConfig; sfn?: SFNClientConfig } = {},
): DispatchDeps => {
  const rdsOf = clientConfig.rdsOf ?? ((place: Place) => ({ ...clientConfig.rds, region: place.region }));
  return {
    store: coordinationStoreOnFirstUse(config.COORDINATION_TABLE, clientConfig.dynamo),
    exports: activeRdsExports(rdsOf),
    callbacks: taskCallbacks(clientConfig.sfn),
    quota: quotaOf(config.EXPORT_QUOTA, config.EXPORT_QUOTA_OVERRIDES),
    leaseSeconds: config.SLOT_LEASE_SECONDS,
    slotWaitLimitSeconds: config.SLOT_WAIT_LIMIT_SECONDS,
  };
};
