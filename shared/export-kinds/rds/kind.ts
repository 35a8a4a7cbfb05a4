import type { ExportKindDefinition } from '../contract.ts';
import { exportFolderOf } from './request.ts';

/** RDS DB snapshots, DB cluster snapshots and live DB clusters (StartExportTask, SourceType SNAPSHOT | CLUSTER). */
export const rdsKind: ExportKindDefinition<'rds'> = {
  kind: 'rds',
  title: 'RDS exports (snapshots and clusters)',
  takesExportSlot: true,
  sendsExportEvents: true,
  cancellable: true,
  verifiedAfterEnd: true,
  // RDS writes a folder named after the export id.
  s3UriOf: (request) => {
    const folder = exportFolderOf(request);
    return `s3://${folder.bucket}/${folder.prefix}`;
  },
};
