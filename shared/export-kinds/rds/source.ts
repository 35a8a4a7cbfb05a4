import { createHash } from 'node:crypto';
import { MAX_EXPORT_ID_LENGTH } from '../input-limits.ts';

/** What is exported. The RDS API calls the first two SNAPSHOT and the last CLUSTER. */
export type SourceType = 'SNAPSHOT' | 'CLUSTER_SNAPSHOT' | 'CLUSTER';

export interface ExportSource {
  arn: string;
  type: SourceType;
  region: string;
  account: string;
  /** The snapshot or cluster identifier, as RDS names it (automated snapshots start with `rds:`). */
  name: string;
}

const RDS_ARN = /^arn:(aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?):rds:([a-z0-9-]+):(\d{12}):(snapshot|cluster-snapshot|cluster):(.+)$/;
const RESOURCE_TYPES: Record<string, SourceType> = {
  snapshot: 'SNAPSHOT',
  'cluster-snapshot': 'CLUSTER_SNAPSHOT',
  cluster: 'CLUSTER',
};

/** Returns undefined for anything that is not an exportable RDS resource ARN. */
export function parseSourceArn(arn: string): ExportSource | undefined {
  const match = RDS_ARN.exec(arn);
  if (!match) return undefined;
  const [, , region, account, resourceType, name] = match as unknown as [string, string, string, string, string, string];
  return { arn, type: RESOURCE_TYPES[resourceType]!, region, account, name };
}

/** The RDS API's own SourceType for DescribeExportTasks filters and responses. */
export function apiSourceType(type: SourceType): 'SNAPSHOT' | 'CLUSTER' {
  return type === 'CLUSTER' ? 'CLUSTER' : 'SNAPSHOT';
}

/** A readable, path-safe form of the source name (`rds:db-2026` → `rds-db-2026`). */
export function sourceId(source: ExportSource): string {
  return slug(source.name) || 'source';
}

const HASH_LENGTH = 10;

/**
 * The export task identifier for a source: the same snapshot always gets the same identifier, so
 * a duplicate request finds the existing task instead of starting a second export. A live cluster
 * is exported again and again, so its identifier also carries the time it was requested.
 * RDS keeps a task's identifier for good, even a FAILED or CANCELED one: exporting a snapshot again
 * takes a new one, its `attempt` (2 or more, `-r<attempt>` before the hash; the first attempt's
 * identifier is unchanged).
 * Always valid for RDS: at most 60 letters, digits and single hyphens, starting with a letter,
 * not ending with a hyphen.
 */
export function exportIdentifier(source: ExportSource, requestedAt: Date, attempt = 1): string {
  const point = source.type === 'CLUSTER' ? compactTimestamp(requestedAt) : '';
  const again = attempt > 1 ? `r${attempt}` : '';
  const hash = createHash('sha256').update(`${source.arn}|${point}${again ? `|${again}` : ''}`).digest('hex').slice(0, HASH_LENGTH);
  const suffix = [point, again, hash].filter(Boolean).join('-');
  const room = MAX_EXPORT_ID_LENGTH - suffix.length - 1;
  let readable = slug(source.name).slice(0, room).replace(/-+$/, '');
  if (!/^[a-z]/.test(readable)) readable = `x${readable}`.slice(0, room).replace(/-+$/, '');
  return `${readable}-${suffix}`;
}

export function isValidExportIdentifier(id: string): boolean {
  return id.length <= MAX_EXPORT_ID_LENGTH && /^[a-zA-Z](?:[a-zA-Z0-9]|-(?!-))*$/.test(id) && !id.endsWith('-');
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function compactTimestamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 't');
}
