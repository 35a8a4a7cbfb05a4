/**
 * The triggers' port: what they need to know of RDS snapshots and export tasks, in their own terms.
 * The RDS adapter is beside it (rds-snapshots.ts); the trigger, the planner and the sweep import only this file.
 */

export const SNAPSHOT_TYPES = ['manual', 'automated', 'awsbackup'] as const;
export type SnapshotType = (typeof SNAPSHOT_TYPES)[number];


/** A DB snapshot or DB cluster snapshot, in the same terms for both. */
export interface SnapshotInfo {
  arn: string;
  /** The DB instance (DBInstanceIdentifier) or DB cluster (DBClusterIdentifier) it was taken of. */
  sourceId: string;
  /** `other`: shared or public snapshots, never selected. */
  type: SnapshotType | 'other';
  /** As RDS reports it: `available`, `creating`, ... */
  status: string;
  createdAt?: Date;
}

export interface DatabaseRef {
  db: 'instance' | 'cluster';
  identifier: string;
}

/** What RDS knows of snapshots and clusters, for the trigger and the planner. */
export interface SnapshotCatalog {
  /** undefined when RDS does not know the snapshot (deleted, or of another account or region). */
  describe(arn: string): Promise<SnapshotInfo | undefined>;
  /** Every manual and automated snapshot of one DB instance or cluster, all pages; undefined when RDS says the DB does not exist. */
  snapshotsOf(db: DatabaseRef): Promise<SnapshotInfo[] | undefined>;
  /** undefined when the cluster does not exist. */
  clusterArn(identifier: string): Promise<string | undefined>;
}

export interface ExportTaskSummary {
  exportId: string;
  /** As RDS reports it (uppercase in the documentation, lowercase from emulators). */
  status: string;
}

/** The export tasks that exported, or are exporting, one source. */
export interface ExportHistory {
  exportsOf(sourceArn: string): Promise<ExportTaskSummary[]>;
}

/** Every snapshot of the account created since a time, for the reconciliation sweep (shared/triggers/sweep.ts). */
export interface SnapshotLister {
  /** DB and DB cluster snapshots of the given types (manual and automated always listed; awsbackup when asked), all pages. */
  createdSince(since: Date, types: readonly SnapshotType[]): Promise<SnapshotInfo[]>;
}

/** The sources that have an export task of any status (a failed or canceled export is an execution's business, not the sweep's). */
export interface ExportedSources {
  exportedSources(): Promise<Set<string>>;
}

export function isAvailable(snapshot: Pick<SnapshotInfo, 'status'>): boolean {
  return snapshot.status.toLowerCase() === 'available';
}
