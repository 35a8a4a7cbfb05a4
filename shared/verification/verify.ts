import type { ExportState } from '../workflow.ts';
import { catalogDatabaseName, catalogExport } from './catalog.ts';
import { baseName, exportInfoName, parseExportMetadata, tablesInfoPrefix, type MetadataFile } from './metadata.ts';
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
  history: () => ExportHistory;
  settings: VerifySettings;
}

export const exportFolderOf = (state: Pick<ExportState, 'request'>): ExportFolder => ({
  bucket: state.request.s3Bucket,
  prefix: `${state.request.s3Prefix ? `${state.request.s3Prefix}/` : ''}${state.request.exportId}/`,
});

/** After the export's end: COMPLETE is verified (and catalogued); any other end is accounted for. */
export async function verifyExport(state: ExportState, deps: VerifyDeps): Promise<ExportState & { verification: Verification }> {
  const folder = exportFolderOf(state);
  if (state.status !== 'COMPLETE') {
    const partialData = await accountPartialData(folder, deps.objects, deps.settings.deletePartialData);
    return { ...state, verification: { partialData, warnings: [] } };
  }
  const files = await readMetadataFiles(folder, state.request.exportId, deps.objects);
  const metadata = parseExportMetadata(state.request.exportId, files, state.warning);
  const warnings = [...metadata.warnings];
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
      { exportId: state.request.exportId, sourceArn: state.request.source.arn, s3Bucket: folder.bucket, s3Prefix: state.request.s3Prefix, takenAt: exportTime },
      deps.settings.retainExports,
      deps.history(),
      deps.objects,
    );
  }
  return { ...state, verification };
}

/** The metadata files sit in the export's folder itself: one delimited listing (paginated) finds every part. */
async function readMetadataFiles(folder: ExportFolder, exportId: string, objects: ExportObjects): Promise<MetadataFile[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await objects.listPage(folder.bucket, folder.prefix, { delimiter: '/', ...(token ? { token } : {}) });
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
  return files;
}
