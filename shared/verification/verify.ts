import { isRdsRequest } from '../export-kinds/request.ts';
import type { Place } from '../accounts/place.ts';
import { exportFolderOf as rdsExportFolder, type RdsRequest } from '../export-kinds/rds/request.ts';
import { ExportServiceError } from '../runtime/errors.ts';
import type { ExportState } from '../workflow/export-state.ts';
import { catalogDatabaseName, catalogExport, tableFolder } from './catalog.ts';
import { baseName, exportInfoName, parseExportMetadata, tablesInfoPrefix, type MetadataFile, type TableMetadata } from './metadata.ts';
import { accountPartialData, type ExportFolder } from './partial-data.ts';
import type { DataCatalog, ExportHistory, ExportObjects } from './ports.ts';
import { foldTables } from './report.ts';
import type { Verification } from './result.ts';
import { applyRetention } from './retention.ts';

export interface VerifySettings {
  /** Glue database name template (`{source}`, `{account}`, `{region}`); absent: no catalog. */
  catalogDatabase?: string;
  deletePartialData: boolean;
  /** Keep this many newest exports per source; 0 keeps them all. */
  retainExports: number;
}

export interface VerifyDeps {
  objects: ExportObjects;
  /** Made on first use: an export that is not catalogued never builds a Glue client. */
  catalog: () => DataCatalog;
  /** The export tasks of the source's place (its account and region: a member's through its role), made on first use. */
  history: (place: Place) => ExportHistory;
  settings: VerifySettings;
}

/** What an RDS export wrote: verification is for RDS exports only (the Route choice sends no other kind here). */
export function rdsRequestOf(state: Pick<ExportState, 'request'>): RdsRequest {
  if (!isRdsRequest(state.request)) throw new ExportServiceError(`${state.request.kind} exports are not verified: only RDS exports write metadata files to read`);
  return state.request;
}

export const exportFolderOf = (state: Pick<ExportState, 'request'>): ExportFolder => rdsExportFolder(rdsRequestOf(state));

/** After the export's end: COMPLETE is verified (and catalogued); any other end is accounted for. */
export async function verifyExport(state: ExportState, deps: VerifyDeps): Promise<ExportState & { verification: Verification }> {
  const folder = exportFolderOf(state);
  if (state.status !== 'COMPLETE') {
    const partialData = await accountPartialData(folder, deps.objects, deps.settings.deletePartialData);
    return { ...state, verification: { partialData, warnings: [] } };
  }
  const { files, databases } = await readMetadataFiles(folder, state.request.exportId, deps.objects);
  const metadata = parseExportMetadata(state.request.exportId, files, state.warning);
  const warnings = [...metadata.warnings];
  if (metadata.tables.length > 0) warnings.push(...compareWithFolders(metadata.tables, await tableFolders(folder, databases, deps.objects)));
  if (!files.some((file) => baseName(file.key) === exportInfoName(state.request.exportId))) {
    warnings.push(`${exportInfoName(state.request.exportId)} was not found under s3://${folder.bucket}/${folder.prefix}.`);
  }
  const verification: Verification = { tables: foldTables(metadata.tables), warnings };
  const exportTime = state.taskStartTime ?? state.request.requestedAt;
  if (deps.settings.catalogDatabase && metadata.tables.length > 0) {
    const database = catalogDatabaseName(deps.settings.catalogDatabase, state.request.source);
    verification.catalog = await catalogExport(metadata.tables, database, {
      exportId: state.request.exportId,
      sourceArn: state.request.source.arn,
      exportRoot: `s3://${folder.bucket}/${folder.prefix}`,
      exportTime,
    }, deps.catalog());
    warnings.push(...verification.catalog.warnings);
  }
  if (deps.settings.retainExports > 0) {
    verification.retention = await applyRetention(
      { exportId: state.request.exportId, sourceArn: state.request.source.arn, s3Bucket: folder.bucket, s3Prefix: rdsRequestOf(state).s3Prefix, takenAt: exportTime },
      deps.settings.retainExports,
      deps.history(state.request.source),
      deps.objects,
    );
  }
  return { ...state, verification };
}

/** The metadata files sit in the export's folder itself: one delimited listing (paginated) finds every part. */
async function readMetadataFiles(folder: ExportFolder, exportId: string, objects: ExportObjects): Promise<{ files: MetadataFile[]; databases: string[] }> {
  const keys: string[] = [];
  const databases: string[] = [];
  let token: string | undefined;
  do {
    const page = await objects.listPage(folder.bucket, folder.prefix, { delimiter: '/', ...(token ? { token } : {}) });
    databases.push(...page.folders);
    for (const object of page.objects) {
      const name = baseName(object.key);
      if (name === exportInfoName(exportId) || (name.startsWith(tablesInfoPrefix(exportId)) && name.endsWith('.json'))) keys.push(object.key);
    }
    token = page.nextToken;
  } while (token !== undefined);
  const files: MetadataFile[] = [];
  for (const key of keys) {
    const text = await objects.readText(folder.bucket, key);
    if (text !== undefined) files.push({ key, text });
  }
  return { files, databases };
}

/** The table folders RDS wrote (`<db>/<schema>.<table>/`), relative to the export's folder: one delimited listing per database. */
async function tableFolders(folder: ExportFolder, databases: string[], objects: ExportObjects): Promise<Set<string>> {
  const found = new Set<string>();
  for (const database of databases) {
    let token: string | undefined;
    do {
      const page = await objects.listPage(folder.bucket, database, { delimiter: '/', ...(token ? { token } : {}) });
      for (const table of page.folders) found.add(table.slice(folder.prefix.length));
      token = page.nextToken;
    } while (token !== undefined);
  }
  return found;
}

/**
 * The metadata beside what is in the bucket: a table reported exported with data (sizeGB > 0) but
 * no folder, or a folder no metadata names, is said; missing tables must never be silent.
 */
export function compareWithFolders(tables: TableMetadata[], folders: Set<string>): string[] {
  const named = new Set(tables.filter((table) => table.target.includes('.')).map((table) => tableFolder(table.target)));
  const missing = tables.filter((table) => table.status === 'EXPORTED' && (table.sizeGb ?? 0) > 0 && table.target.includes('.') && !folders.has(tableFolder(table.target)));
  const unnamed = [...folders].filter((path) => !named.has(path));
  return [
    ...missing.map((table) => `${table.target}: reported exported (${table.sizeGb} GB) but its folder ${tableFolder(table.target)} is not in the bucket.`),
    ...unnamed.map((path) => `${path} holds data that no metadata file names: check which table it is.`),
  ];
}
