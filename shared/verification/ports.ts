/**
 * What verification talks to, in its own terms. The adapters (shared/verification/aws/) implement
 * these over S3 and Glue; the local run and the tests put the same adapters over simulators or mocks.
 */

export interface StoredObject {
  key: string;
  size: number;
}

export interface ObjectPage {
  objects: StoredObject[];
  /** With a delimiter: the "folders" directly below the prefix. */
  folders: string[];
  nextToken?: string;
}

export interface ExportObjects {
  /** One page (up to 1,000 keys) of ListObjectsV2. */
  listPage(bucket: string, prefix: string, options?: { token?: string; delimiter?: string }): Promise<ObjectPage>;
  /** The object's text, or undefined when it does not exist. */
  readText(bucket: string, key: string): Promise<string | undefined>;
  /** DeleteObjects in batches of 1,000; returns how many were deleted and the keys S3 refused, with why. */
  deleteKeys(bucket: string, keys: string[]): Promise<{ deleted: number; failures: string[] }>;
}

export interface CatalogColumn {
  name: string;
  type: string;
  comment?: string;
}

/** A Glue table over Parquet files, as this workflow writes it. */
export interface CatalogTable {
  name: string;
  description: string;
  location: string;
  columns: CatalogColumn[];
  parameters: Record<string, string>;
}

export interface DataCatalog {
  /** Creates the database unless it exists. */
  ensureDatabase(name: string, description: string): Promise<void>;
  getTable(database: string, name: string): Promise<CatalogTable | undefined>;
  /** Fails with CatalogTableExists when another writer created it first. */
  createTable(database: string, table: CatalogTable): Promise<void>;
  updateTable(database: string, table: CatalogTable): Promise<void>;
}

/** A finished export of a source, as the export history lists it (retention). */
export interface PastExport {
  exportId: string;
  sourceArn: string;
  s3Bucket: string;
  s3Prefix: string;
  /** When the export's data was taken (snapshot time, or the task's start for a live cluster), ISO-8601. */
  takenAt: string;
}

export interface ExportHistory {
  /** Every COMPLETE export written to the bucket, across all pages. */
  completedExports(bucket: string): Promise<PastExport[]>;
}
