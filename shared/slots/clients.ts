import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { RDSClientConfig } from '@aws-sdk/client-rds';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import type { SlotConfig } from '../runtime/config.ts';
import type { ActiveExports, DispatchDeps } from './dispatch.ts';
import type { CoordinationStore } from './store.ts';
import { placeKey, type Place } from '../accounts/place.ts';
import { quotaOf } from './quota.ts';
import { taskCallbacks } from '../workflow/step-functions.ts';
import type { RdsExportProvider } from '../export-kinds/rds/rds-provider.ts';

/**
 * Clients for the deployed Lambdas, made once per cold start (and for the local run, with its own endpoint).
 *
 * The dispatcher's two adapters (the coordination store, the RDS adapter that says what holds a slot)
 * come from the function (SlotAdapters): imported with its handler where every invocation uses them,
 * on first use where some invocations do not (shared/export-kinds/rds/adapter-on-first-use.ts says
 * why and how). `npm run bench -- bundles` prints each function's import time per export kind beside
 * the floor of the clients it needs.
 */
export interface SlotAdapters {
  /** The coordination store over its table. */
  store: (tableName: string, clientConfig?: DynamoDBClientConfig) => CoordinationStore;
  /** The RDS adapter module. */
  rds: () => Promise<RdsAdapter>;
}

export type RdsAdapter = typeof import('../export-kinds/rds/rds-provider.ts');

/** Where the dispatcher asks RDS what runs in a place: the place's region (guard's sessions give the member's credentials). */
export type RdsConfigOfPlace = (place: Place) => RDSClientConfig;

/** What holds RDS's export slots in each place, asked through the RDS adapter (loaded when the dispatcher first needs it, if on first use); one client per place. */
function activeRdsExports(rdsAdapter: SlotAdapters['rds'], configOf: RdsConfigOfPlace): ActiveExports {
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

/**
 * Everything the slot dispatcher talks to: the queue table, RDS in each place (what runs), Step
 * Functions (whom to wake). `rdsOf` gives the RDS client of a place; by default the place's region
 * with the given RDS config (the function's own credentials).
 */
export const dispatchDeps = (
  config: SlotConfig,
  adapters: SlotAdapters,
  clientConfig: { rds?: RDSClientConfig; rdsOf?: RdsConfigOfPlace; dynamo?: DynamoDBClientConfig; sfn?: SFNClientConfig } = {},
): DispatchDeps => {
  const rdsOf = clientConfig.rdsOf ?? ((place: Place) => ({ ...clientConfig.rds, region: place.region }));
  return {
    store: adapters.store(config.COORDINATION_TABLE, clientConfig.dynamo),
    exports: activeRdsExports(adapters.rds, rdsOf),
    callbacks: taskCallbacks(clientConfig.sfn),
    quota: quotaOf(config.EXPORT_QUOTA, config.EXPORT_QUOTA_OVERRIDES),
    leaseSeconds: config.SLOT_LEASE_SECONDS,
    slotWaitLimitSeconds: config.SLOT_WAIT_LIMIT_SECONDS,
  };
};
