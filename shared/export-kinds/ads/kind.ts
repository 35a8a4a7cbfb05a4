import type { ExportKindDefinition } from '../contract.ts';
import { buildAdsRequest } from './request.ts';

/** Application Discovery Service data (StartExportTask / DescribeExportTasks; the service has no cancel). */
export const adsKind: ExportKindDefinition<'ads'> = {
  kind: 'ads',
  buildRequest: buildAdsRequest,
  takesExportSlot: false,
  sendsExportEvents: false,
  verifiedAfterEnd: false,
  // ADS writes to its own bucket and hands out a pre-signed URL instead.
  s3UriOf: () => undefined,
};
