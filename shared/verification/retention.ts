import { exportIdentifier, parseSourceArn } from '../export-kinds/rds/source.ts';
import { sourceDatabaseOf } from './catalog.ts';
import { accountPartialData } from './partial-data.ts';
import type { ExportHistory, ExportObjects, PastExport } from './ports.ts';

/**
 * Keep the newest N exports of a source (RETAIN_EXPORTS), deleting the older ones' objects. Only
 * exports this workflow started are candidates: the task identifier must be the one it derives from
 * the source ARN (docs/verify-and-catalog.md lists the risks).
 */
export interface RetentionResult {
  kept: string[];
  removed: Array<{ exportId: string; objects: number; bytes: number; remaining: boolean }>;
}

export async function applyRetention(
  current: PastExport,
  keep: number,
  history: ExportHistory,
  objects: ExportObjects,
): Promise<RetentionResult> {
  const database = databaseOf(current.sourceArn);
  const all = (await history.completedExports(current.s3Bucket)).filter(
    (past) => past.s3Bucket === current.s3Bucket && databaseOf(past.sourceArn) === database && startedByThisWorkflow(past),
  );
  if (!all.some((past) => past.exportId === current.exportId)) all.push(current);
  // Newest first; the export being verified is always kept, whatever its time says.
  all.sort((a, b) => Number(b.exportId === current.exportId) - Number(a.exportId === current.exportId) || b.takenAt.localeCompare(a.takenAt));
  const kept = all.slice(0, Math.max(1, keep));
  const removed: RetentionResult['removed'] = [];
  for (const past of all.slice(kept.length)) {
    const prefix = `${past.s3Prefix ? `${past.s3Prefix.replace(/\/+$/, '')}/` : ''}${past.exportId}/`;
    const outcome = await accountPartialData({ bucket: past.s3Bucket, prefix }, objects, true);
    removed.push({ exportId: past.exportId, objects: outcome.deleted?.objects ?? 0, bytes: outcome.deleted?.bytes ?? 0, remaining: outcome.deleted?.remaining ?? false });
  }
  return { kept: kept.map((past) => past.exportId), removed };
}

function databaseOf(sourceArn: string): string | undefined {
  const source = parseSourceArn(sourceArn);
  return source && `${source.account}:${source.region}:${sourceDatabaseOf(source.name)}`;
}

/** Our identifiers carry a hash of the source ARN (and, for a live cluster, the minute it was requested; for an export again, its attempt). */
export function startedByThisWorkflow(past: Pick<PastExport, 'exportId' | 'sourceArn'>): boolean {
  const source = parseSourceArn(past.sourceArn);
  if (!source) return false;
  const id = past.exportId.toLowerCase();
  const minute = /-(\d{8}t\d{4})-(?:r\d+-)?[0-9a-f]{10}$/.exec(id)?.[1];
  const requestedAt = minute ? new Date(`${minute.slice(0, 4)}-${minute.slice(4, 6)}-${minute.slice(6, 8)}T${minute.slice(9, 11)}:${minute.slice(11, 13)}:00Z`) : new Date(0);
  // A name of its own may end in -r<digits> too ("db-r2"): the first attempt is tried as well.
  const attempt = Number(/-r(\d+)-[0-9a-f]{10}$/.exec(id)?.[1] ?? 1);
  return [attempt, 1].some((tried) => exportIdentifier(source, requestedAt, tried) === id);
}
