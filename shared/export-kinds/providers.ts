import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import type { RDSClientConfig } from '@aws-sdk/client-rds';
import { ConfigurationError, InvalidExportRequest } from '../runtime/errors.ts';
import type { ExportProvider } from './contract.ts';
import { isRdsRequest, kindOf, type ExportKind, type ExportRequest } from './request.ts';
import type { AdsClientOptions } from './ads/client.ts';
import { rdsAdapterOnFirstUse as rdsAdapter } from './rds/adapter-on-first-use.ts';
import { onFirstUse } from '../runtime/on-first-use.ts';
import { placeKey, type Place } from '../accounts/place.ts';

/**
 * Each kind's provider, its adapter imported on the first request of that kind (see
 * rds/adapter-on-first-use.ts for why, and for the rule that keeps it so). Apart from the kinds' registry
 * (registry.ts), because only the functions that start, poll or cancel may bundle these chunks.
 * A new kind is a loader and an entry in PROVIDERS.
 */
const ec2ImageAdapter = /* @__PURE__ */ onFirstUse(() => import('./ec2-image/ec2-image-provider.ts'));
const adsAdapter = /* @__PURE__ */ onFirstUse(() => import('./ads/ads-provider.ts'));

/** Imports every kind's adapter now: the local run does, so that no module load races its virtual clock. */
export async function loadAllAdapters(): Promise<void> {
  await Promise.all([rdsAdapter(), ec2ImageAdapter(), adsAdapter()]);
}

/** Where the providers talk to; the local run points them at its simulators. */
export interface ProviderConfig {
  /** Application Discovery Service answers in the Migration Hub home region only. */
  adsRegion?: string;
  rds?: RDSClientConfig;
  /**
   * RDS's client config in a source's place (its account and region: shared/accounts/clients.ts
   * placeClientConfigs, the member role's session for a member account); `rds` in the place's region when absent.
   */
  rdsFor?: (place: Place) => RDSClientConfig;
  ec2?: EC2ClientConfig;
  ads?: Partial<AdsClientOptions>;
}

const PROVIDERS: Record<ExportKind, (config: ProviderConfig, place: Place | undefined) => Promise<ExportProvider>> = {
  rds: async (config, place) =>
    withRequest((await rdsAdapter()).rdsExportProvider(place ? rdsConfigOf(config, place) : config.rds), (request) => (isRdsRequest(request) ? request : undefined)),
  'ec2-image': async (config) => withRequest((await ec2ImageAdapter()).ec2ImageExportProvider(config.ec2), (request) => (request.kind === 'ec2-image' ? request.ec2Image : undefined)),
  ads: async (config) => {
    const region = config.ads?.region ?? config.adsRegion;
    if (!region) throw new ConfigurationError('Configuration: ADS_REGION (or AWS_REGION) is not set: kind "ads" needs the Migration Hub home region');
    return withRequest((await adsAdapter()).adsExportProvider({ ...config.ads, region }), (request) => (request.kind === 'ads' ? request.ads : undefined));
  },
};

function rdsConfigOf(config: ProviderConfig, place: Place): RDSClientConfig {
  return config.rdsFor ? config.rdsFor(place) : { ...config.rds, region: place.region };
}

/**
 * Where a request's export runs: an RDS source's own account and region (every call of its export
 * is made there); the other kinds in the deployment's own (undefined).
 */
function placeOf(request: ExportRequest): Place | undefined {
  return isRdsRequest(request) && request.source ? { account: request.source.account, region: request.source.region } : undefined;
}

/** The provider of a request's kind and place, made on the first request of that kind there and kept for the warm Lambda. */
export function exportProviders(config: ProviderConfig = {}): (request: ExportRequest) => ExportProvider {
  const made = new Map<string, ExportProvider>();
  return (request) => {
    const kind = kindOf(request);
    if (!Object.hasOwn(PROVIDERS, kind)) throw new InvalidExportRequest([`kind "${kind}" has no export provider`]);
    const place = placeOf(request);
    const key = place ? `${kind} ${placeKey(place)}` : kind;
    if (!made.has(key)) made.set(key, deferred(onFirstUse(() => PROVIDERS[kind](config, place))));
    return made.get(key)!;
  };
}

/** A provider made when it is first called: providerFor stays synchronous while its adapter loads. */
function deferred(provider: () => Promise<ExportProvider>): ExportProvider {
  return {
    start: async (request) => (await provider()).start(request),
    describe: async (exportId) => (await provider()).describe(exportId),
    cancel: async (exportId) => (await provider()).cancel(exportId),
  };
}

/** A kind's provider (of its own request, or of the service's parameters) behind the workflow's ExportRequest. */
function withRequest<R>(provider: ExportProvider<R>, requestOf: (request: ExportRequest) => R | undefined): ExportProvider {
  return {
    start: (request) => {
      const own = requestOf(request);
      if (own === undefined) throw new InvalidExportRequest([`a ${kindOf(request)} request carries no ${kindOf(request)} parameters`]);
      return provider.start(own);
    },
    describe: (taskId) => provider.describe(taskId),
    cancel: (taskId) => provider.cancel(taskId),
  };
}
