import { GlueClient, type GlueClientConfig } from '@aws-sdk/client-glue';
import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';
import type { DataCatalog, ExportHistory } from '../ports.ts';
import type { VerifyDeps, VerifySettings } from '../verify.ts';
import { glueDataCatalog } from './glue-catalog.ts';
import { rdsExportHistory } from './rds-export-history.ts';
import { s3ExportObjects } from './s3-export-objects.ts';

export interface VerifyClientConfig {
  s3?: S3ClientConfig;
  glue?: GlueClientConfig;
  rds?: RDSClientConfig;
}

/** The verify step's clients: S3 at once, Glue and RDS only when an export needs them (catalog, retention). */
export function verifyDeps(settings: VerifySettings, clients: VerifyClientConfig = {}): VerifyDeps {
  return {
    objects: s3ExportObjects(new S3Client({ ...SDK_OPTIONS, ...clients.s3 })),
    catalog: once((): DataCatalog => glueDataCatalog(new GlueClient({ ...SDK_OPTIONS, ...clients.glue }))),
    history: once((): ExportHistory => rdsExportHistory(new RDSClient({ ...SDK_OPTIONS, ...clients.rds }))),
    settings,
  };
}

function once<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
