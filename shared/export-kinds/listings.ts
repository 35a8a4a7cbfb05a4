import type { EC2Client } from '@aws-sdk/client-ec2';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { AdsClientOptions } from './ads/client.ts';
import type { ExportListing } from './contract.ts';
import type { ExportKind } from './request.ts';

/** What the listings talk to: the caller's clients (the CLI's, with its --region, --profile, --endpoint-url), made when first asked for. */
export interface ListingClients {
  rds(): RDSClient;
  ec2(): EC2Client;
  /** ADS has no SDK client on our registry: where it answers and who calls, for ads/client.ts's AdsClient. */
  ads(): Promise<Omit<AdsClientOptions, 'fetch' | 'maxAttempts' | 'timeoutMs'>>;
}

/**
 * Each kind's listing (<kind>/listing.ts), imported on its first use: listing one kind loads no
 * other kind's client. Apart from the registry (registry.ts) and the providers (providers.ts) for the
 * bundles' sake: only the CLI lists, and esbuild puts every `import()` of a bundled file into its zip.
 */
const LISTINGS: { readonly [K in ExportKind]: (clients: ListingClients) => Promise<ExportListing> } = {
  rds: async (clients) => (await import('./rds/listing.ts')).rdsListing(clients.rds()),
  'ec2-image': async (clients) => (await import('./ec2-image/listing.ts')).ec2ImageListing(clients.ec2()),
  ads: async (clients) => {
    const [{ adsListing }, { AdsClient }] = await Promise.all([import('./ads/listing.ts'), import('./ads/client.ts')]);
    return adsListing(new AdsClient(await clients.ads()));
  },
};

/** The listing of one kind, over the caller's clients. */
export function listingOf(kind: ExportKind, clients: ListingClients): Promise<ExportListing> {
  return LISTINGS[kind](clients);
}
