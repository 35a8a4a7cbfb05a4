import type { ExportKindDefinition } from '../contract.ts';

/** Application Discovery Service data (StartExportTask / DescribeExportTasks; the service has no cancel). */
export const adsKind: ExportKindDefinition<'ads'> = {
  kind: 'ads',
  title: 'Application Discovery Service exports',
  takesExportSlot: false,
  sendsExportEvents: false,
  cancellable: false,
  verifiedAfterEnd: false,
  // ADS writes to its own bucket and hands out a pre-signed URL instead.
  s3UriOf: () => undefined,
};
