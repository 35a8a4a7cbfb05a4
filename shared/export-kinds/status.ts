import { UnknownExportStatus } from '../runtime/errors.ts';

/** The statuses every export kind is normalised to. TIMED_OUT is ours: canceled because the deadline passed. */
export const EXPORT_STATUSES = ['STARTING', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'CANCELING', 'CANCELED', 'TIMED_OUT'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ExportStatus[] = ['COMPLETE', 'FAILED', 'CANCELED', 'TIMED_OUT'];

export function isTerminal(status: ExportStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

const RDS_STATUSES: readonly string[] = ['STARTING', 'IN_PROGRESS', 'COMPLETE', 'FAILED', 'CANCELING', 'CANCELED'];

/** RDS documents uppercase statuses; emulators (moto) answer in lowercase. Both read the same. */
export function normaliseRdsStatus(raw: string | undefined): ExportStatus {
  const status = (raw ?? '').trim().toUpperCase().replace(/[\s-]+/g, '_');
  if (!RDS_STATUSES.includes(status)) throw new UnknownExportStatus(`RDS reported export status "${raw}", which this workflow does not know`);
  return status as ExportStatus;
}
