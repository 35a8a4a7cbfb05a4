import { UnknownExportStatus } from '../../runtime/errors.ts';
import type { ExportObservation } from '../contract.ts';
import type { ExportStatus } from '../status.ts';

/** One entry of DescribeExportTasks' exportsInfo, as it comes over the wire (timestamps in epoch seconds). */
export interface AdsExportInfo {
  exportId: string;
  exportStatus: string;
  statusMessage?: string;
  configurationsDownloadUrl?: string;
  exportRequestTime?: number | string;
  isTruncated?: boolean;
  requestedStartTime?: number | string;
  requestedEndTime?: number | string;
}

/** What ADS tells beyond the common observation. */
export interface AdsExportObservation extends ExportObservation {
  /** Pre-signed S3 URL of the CSV, once SUCCEEDED: a credential for a while, keep it out of notifications. */
  downloadUrl?: string;
  requestedStartTime?: string;
  requestedEndTime?: string;
}

export const TRUNCATED_WARNING = 'The export was truncated: narrow the time range (startTime/endTime)';

/**
 * ADS exportStatus → workflow status. ADS reports no percentage: 0 until it succeeds, then 100.
 *
 * | exportStatus | workflow    | percent |
 * | IN_PROGRESS  | IN_PROGRESS | 0       |
 * | SUCCEEDED    | COMPLETE    | 100     |
 * | FAILED       | FAILED      | 0       |
 * | other        | UnknownExportStatus is thrown |
 */
export function normaliseAdsStatus(raw: string | undefined): { status: ExportStatus; percent: number } {
  switch ((raw ?? '').trim().toUpperCase()) {
    case 'IN_PROGRESS':
      return { status: 'IN_PROGRESS', percent: 0 };
    case 'SUCCEEDED':
      return { status: 'COMPLETE', percent: 100 };
    case 'FAILED':
      return { status: 'FAILED', percent: 0 };
    default:
      throw new UnknownExportStatus(`Application Discovery Service reported export status "${raw}", which this workflow does not know`);
  }
}

export function observeAdsExport(info: AdsExportInfo): AdsExportObservation {
  const { status, percent } = normaliseAdsStatus(info.exportStatus);
  const requestTime = isoOf(info.exportRequestTime);
  const requestedStartTime = isoOf(info.requestedStartTime);
  const requestedEndTime = isoOf(info.requestedEndTime);
  return {
    exportId: info.exportId,
    // ADS names no source resource: the workflow keeps the request's own description of it.
    sourceArn: '',
    status,
    percent,
    ...(requestTime ? { taskStartTime: requestTime } : {}),
    ...(status === 'FAILED' ? { failureCause: info.statusMessage?.trim() || 'Application Discovery Service gave no reason' } : {}),
    ...(info.isTruncated ? { warning: TRUNCATED_WARNING } : {}),
    ...(info.configurationsDownloadUrl ? { downloadUrl: info.configurationsDownloadUrl } : {}),
    ...(requestedStartTime ? { requestedStartTime } : {}),
    ...(requestedEndTime ? { requestedEndTime } : {}),
  };
}

/** The JSON protocol's timestamps are epoch seconds (fractions allowed); ISO strings are read too. */
function isoOf(value: number | string | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' || /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
