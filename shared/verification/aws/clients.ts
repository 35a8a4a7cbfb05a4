import { GlueClient, type GlueClientConfig } from '@aws-sdk/client-glue';
import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';
import { placeKey, type Place } from '../../accounts/place.ts';
import type { DataCatalog, ExportHistory } from '../ports.ts';
import type { VerifyDeps, VerifySettings } from '../verify.ts';
import { glueDataCatalog } from './glue-catalog.ts';
import { rdsExportHistory } from './rds-export-history.ts';
import { s3ExportObjects } from './s3-export-objects.ts';

export interface VerifyClientConfig {
  s3?: S3ClientConfig;
  glue?: GlueClientConfig;
  rds?: RDSClientConfig;
  /** RDS's config in a place (shared/accounts/clients.ts placeClients); `rds` in the place's region when absent. */
  rdsFor?: (place: Place) => RDSClientConfig;
}

/** The verify step's clients: S3 at once, Glue and RDS only when an export needs them (catalog, retention). */
export function verifyDeps(settings: VerifySettings, clients: VerifyClientConfig = {}): VerifyDeps {
  return {
    objects: s3ExportObjects(new S3Client({ ...SDK_OPTIONS, ...clients.s3 })),
    catalog: once((): DataCatalog => glueDataCatalog(new GlueClient({ ...SDK_OPTIONS, ...clients.glue }))),
    history: perPlace((place): ExportHistory => rdsExportHistory(new RDSClient({ ...SDK_OPTIONS, ...(clients.rdsFor ? clients.rdsFor(place) : { ...clients.rds, region: place.region }) }))),
    settings,
  };
}

function perPlace<T>(make: (place: Place) => T): (place: Place) => T {
  const made = new Map<string, T>();
  return (place) => {
    const key = placeKey(place);
    if (!made.has(key)) made.set(key, make(place));
    return made.get(key)!;
  };
}

function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
