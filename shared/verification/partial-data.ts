import type { ExportObjects } from './ports.ts';

/** What a FAILED, CANCELED or TIMED_OUT export left under its folder: CancelExportTask removes nothing. */
export interface PartialData {
  s3Uri: string;
  objects: number;
  bytes: number;
  /** The listing stopped at MAX_LISTED_OBJECTS: there may be more. */
  truncated: boolean;
  /** With DELETE_PARTIAL_DATA: what was removed, and what S3 refused. */
  deleted?: { objects: number; bytes: number; failures: string[]; remaining: boolean };
}

/** Ten ListObjectsV2 pages: enough to say how much is there without listing a 20 TB export for minutes. */
export const MAX_LISTED_OBJECTS = 10_000;
/** One invocation deletes at most this many objects (100 DeleteObjects calls); more is reported as remaining. */
export const MAX_DELETED_OBJECTS = 100_000;

export interface ExportFolder {
  bucket: string;
  /** The export's own folder, `<prefix>/<export-id>/`: nothing above it is ever listed or deleted. */
  prefix: string;
}

export const s3UriOf = (folder: ExportFolder): string => `s3://${folder.bucket}/${folder.prefix}`;

export async function accountPartialData(folder: ExportFolder, objects: ExportObjects, remove: boolean): Promise<PartialData> {
  const listed = await sumObjects(folder, objects, MAX_LISTED_OBJECTS, remove);
  const result: PartialData = { s3Uri: s3UriOf(folder), objects: listed.objects, bytes: listed.bytes, truncated: listed.more };
  if (remove) {
    const deleted = listed.more ? await sumObjects(folder, objects, MAX_DELETED_OBJECTS - listed.objects, true) : undefined;
    result.deleted = {
      objects: listed.deleted + (deleted?.deleted ?? 0),
      bytes: listed.deletedBytes + (deleted?.deletedBytes ?? 0),
      failures: [...listed.failures, ...(deleted?.failures ?? [])].slice(0, 10),
      remaining: deleted?.more ?? false,
    };
  }
  return result;
}

/** Lists page by page (deleting each page when asked): S3 pages are 1,000 keys, DeleteObjects takes 1,000. */
async function sumObjects(folder: ExportFolder, objects: ExportObjects, limit: number, remove: boolean) {
  const total = { objects: 0, bytes: 0, deleted: 0, deletedBytes: 0, failures: [] as string[], more: false };
  let token: string | undefined;
  do {
    const page = await objects.listPage(folder.bucket, folder.prefix, token ? { token } : {});
    const mine = page.objects.filter((object) => object.key.startsWith(folder.prefix));
    const bytes = mine.reduce((sum, object) => sum + object.size, 0);
    total.objects += mine.length;
    total.bytes += bytes;
    if (remove && mine.length > 0) {
      const outcome = await objects.deleteKeys(folder.bucket, mine.map((object) => object.key));
      total.deleted += outcome.deleted;
      if (outcome.failures.length === 0) total.deletedBytes += bytes;
      total.failures.push(...outcome.failures);
    }
    // A continuation token names the last key listed: it stays valid once that page is deleted.
    token = page.nextToken;
  } while (token !== undefined && total.objects < limit);
  total.more = token !== undefined;
  return total;
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The sentence the notification carries, and the command that removes it all. */
export function describePartialData(partial: PartialData): { summary: string; removal?: string } {
  const amount = `${partial.objects}${partial.truncated ? '+' : ''} object(s), ${formatBytes(partial.bytes)}${partial.truncated ? ' or more' : ''}`;
  if (partial.deleted) {
    const left = partial.deleted.remaining || partial.deleted.failures.length > 0;
    return {
      summary: `${amount} were written under ${partial.s3Uri}; ${partial.deleted.objects} deleted (deletePartialData)${left ? `, some remain${partial.deleted.failures.length ? `: ${partial.deleted.failures.join('; ')}` : ''}` : ''}.`,
      ...(left ? { removal: `aws s3 rm ${partial.s3Uri} --recursive` } : {}),
    };
  }
  if (partial.objects === 0) return { summary: `Nothing was written under ${partial.s3Uri}.` };
  return { summary: `${amount} remain under ${partial.s3Uri} (partial data: not usable as an export).`, removal: `aws s3 rm ${partial.s3Uri} --recursive` };
}
