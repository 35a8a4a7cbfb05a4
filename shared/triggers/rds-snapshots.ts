import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBSnapshotsCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  paginateDescribeExportTasks,
  RDSClient,
  type DBClusterSnapshot,
  type DBSnapshot,
  type RDSClientConfig,
} from '@aws-sdk/client-rds';
import { Pacer } from '../runtime/pacing.ts';
import { placeKey, placeOfArn, type Place } from '../accounts/place.ts';
import { parseSourceArn } from '../export-kinds/rds/source.ts';
import type { ExportedSources, ExportHistory, ExportTaskSummary, DatabaseRef, SnapshotCatalog, SnapshotInfo, SnapshotLister, SnapshotType } from './snapshots.ts';
import { awsErrorName, toWorkflowError } from '../runtime/aws-errors.ts';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';

/** The statuses that mean "exported or being exported"; the filter wants them in lowercase. */
const EXPORTING = ['starting', 'in_progress', 'complete'];
const PAGE_SIZE = 100;
const NOT_FOUND = new Set(['DBSnapshotNotFoundFault', 'DBClusterSnapshotNotFoundFault', 'DBInstanceNotFoundFault', 'DBClusterNotFoundFault']);

export class RdsSnapshots implements SnapshotCatalog, ExportHistory, SnapshotLister, ExportedSources {
  constructor(private readonly rds: RDSClient) {}

  async describe(arn: string): Promise<SnapshotInfo | undefined> {
    const source = parseSourceArn(arn);
    if (!source || source.type === 'CLUSTER') return undefined;
    // By identifier, not ARN: moto answers an ARN with DBSnapshotNotFound, and real RDS takes the
    // identifier for the account's own snapshots. The ARN check below keeps another region's
    // snapshot of the same name from being taken for this one.
    const SnapshotType = lookupType(source.name, source.type);
    try {
      if (source.type === 'SNAPSHOT') {
        const { DBSnapshots = [] } = await this.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: source.name, SnapshotType }));
        const found = DBSnapshots.find((snapshot) => snapshot.DBSnapshotArn === arn);
        return found && fromDbSnapshot(found);
      }
      const { DBClusterSnapshots = [] } = await this.rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: source.name, SnapshotType }),
      );
      const found = DBClusterSnapshots.find((snapshot) => snapshot.DBClusterSnapshotArn === arn);
      return found && fromClusterSnapshot(found);
    } catch (error) {
      if (NOT_FOUND.has(awsErrorName(error))) return undefined;
      throw toWorkflowError(source.type === 'SNAPSHOT' ? 'DescribeDBSnapshots' : 'DescribeDBClusterSnapshots', error);
    }
  }

  async snapshotsOf({ db, identifier }: DatabaseRef): Promise<SnapshotInfo[] | undefined> {
    const snapshots: SnapshotInfo[] = [];
    try {
      // No SnapshotType: RDS then returns the manual and automated snapshots together.
      if (db === 'instance') {
        for await (const page of paginateDescribeDBSnapshots({ client: this.rds, pageSize: PAGE_SIZE }, { DBInstanceIdentifier: identifier })) {
          snapshots.push(...(page.DBSnapshots ?? []).map(fromDbSnapshot));
        }
      } else {
        for await (const page of paginateDescribeDBClusterSnapshots({ client: this.rds, pageSize: PAGE_SIZE }, { DBClusterIdentifier: identifier })) {
          snapshots.push(...(page.DBClusterSnapshots ?? []).map(fromClusterSnapshot));
        }
      }
    } catch (error) {
      if (NOT_FOUND.has(awsErrorName(error))) return undefined;
      throw toWorkflowError(db === 'instance' ? 'DescribeDBSnapshots' : 'DescribeDBClusterSnapshots', error);
    }
    // The identifier parameter is a request, not a guarantee (an emulator may ignore it).
    return snapshots.filter((snapshot) => snapshot.sourceId.toLowerCase() === identifier.toLowerCase());
  }

  async clusterArn(identifier: string): Promise<string | undefined> {
    try {
      const { DBClusters = [] } = await this.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier }));
      return DBClusters.find((cluster) => cluster.DBClusterIdentifier?.toLowerCase() === identifier.toLowerCase())?.DBClusterArn;
    } catch (error) {
      if (NOT_FOUND.has(awsErrorName(error))) return undefined;
      throw toWorkflowError('DescribeDBClusters', error);
    }
  }

  async createdSince(since: Date, types: readonly SnapshotType[]): Promise<SnapshotInfo[]> {
    const snapshots: SnapshotInfo[] = [];
    // No SnapshotType lists manual and automated together; AWS Backup's only when asked by type.
    const dbTypes: (undefined | 'awsbackup')[] = types.includes('awsbackup') ? [undefined, 'awsbackup'] : [undefined];
    try {
      for (const SnapshotType of dbTypes) {
        for await (const page of paginateDescribeDBSnapshots({ client: this.rds, pageSize: PAGE_SIZE }, SnapshotType ? { SnapshotType } : {})) {
          snapshots.push(...(page.DBSnapshots ?? []).map(fromDbSnapshot));
        }
      }
    } catch (error) {
      throw toWorkflowError('DescribeDBSnapshots', error);
    }
    try {
      for await (const page of paginateDescribeDBClusterSnapshots({ client: this.rds, pageSize: PAGE_SIZE }, {})) {
        snapshots.push(...(page.DBClusterSnapshots ?? []).map(fromClusterSnapshot));
      }
    } catch (error) {
      throw toWorkflowError('DescribeDBClusterSnapshots', error);
    }
    // RDS has no filter on creation time: the window is applied here.
    return snapshots.filter((snapshot) => snapshot.createdAt !== undefined && snapshot.createdAt.getTime() >= since.getTime());
  }

  async exportedSources(): Promise<Set<string>> {
    const sources = new Set<string>();
    try {
      for await (const page of paginateDescribeExportTasks({ client: this.rds, pageSize: PAGE_SIZE }, {})) {
        for (const task of page.ExportTasks ?? []) if (task.SourceArn) sources.add(task.SourceArn);
      }
    } catch (error) {
      throw toWorkflowError('DescribeExportTasks', error);
    }
    return sources;
  }

  async exportsOf(sourceArn: string): Promise<ExportTaskSummary[]> {
    const tasks: ExportTaskSummary[] = [];
    try {
      const pages = paginateDescribeExportTasks(
        { client: this.rds, pageSize: PAGE_SIZE },
        { Filters: [{ Name: 'source-arn', Values: [sourceArn] }, { Name: 'status', Values: EXPORTING }] },
      );
      for await (const page of pages) {
        for (const task of page.ExportTasks ?? []) {
          // Filters are a request, not a guarantee (moto ignores them): check both here too.
          if (task.SourceArn === sourceArn && EXPORTING.includes((task.Status ?? '').toLowerCase())) {
            tasks.push({ exportId: task.ExportTaskIdentifier ?? '', status: task.Status ?? '' });
          }
        }
      }
    } catch (error) {
      throw toWorkflowError('DescribeExportTasks', error);
    }
    return tasks;
  }
}

/**
 * RDS finds an automated (or AWS Backup) snapshot by identifier only when told its type. Their
 * identifiers say it: `rds:` and `awsbackup:` prefixes, which a manual identifier cannot have.
 * DescribeDBClusterSnapshots documents no `awsbackup` type, so a cluster's is looked up untyped.
 */
export function lookupType(identifier: string, kind: 'SNAPSHOT' | 'CLUSTER_SNAPSHOT'): 'automated' | 'awsbackup' | undefined {
  if (identifier.startsWith('rds:')) return 'automated';
  if (identifier.startsWith('awsbackup:') && kind === 'SNAPSHOT') return 'awsbackup';
  return undefined;
}

export function snapshotType(raw: string | undefined): SnapshotType | 'other' {
  const type = (raw ?? '').toLowerCase();
  return type === 'manual' || type === 'automated' || type === 'awsbackup' ? type : 'other';
}

function fromDbSnapshot(snapshot: DBSnapshot): SnapshotInfo {
  return snapshotInfo(snapshot.DBSnapshotArn, snapshot.DBInstanceIdentifier, snapshot);
}

function fromClusterSnapshot(snapshot: DBClusterSnapshot): SnapshotInfo {
  return snapshotInfo(snapshot.DBClusterSnapshotArn, snapshot.DBClusterIdentifier, snapshot);
}

/** What a DB or a cluster snapshot says of itself, under the names the two APIs share. */
function snapshotInfo(arn: string | undefined, sourceId: string | undefined, snapshot: DBSnapshot | DBClusterSnapshot): SnapshotInfo {
  return {
    arn: arn ?? '',
    sourceId: sourceId ?? '',
    type: snapshotType(snapshot.SnapshotType),
    status: snapshot.Status ?? '',
    ...(snapshot.SnapshotCreateTime ? { createdAt: snapshot.SnapshotCreateTime } : {}),
  };
}

/**
 * The RDS client of the trigger, sweep and planner Lambdas, made once per cold start. With
 * `intervalMs`, every command waits for its turn so that the container's calls are at least that
 * far apart (shared/runtime/pacing.ts: the function's share of the account's RDS budget).
 */
export const rdsSnapshots = (clientConfig: RDSClientConfig = {}, intervalMs?: number | Pacer): RdsSnapshots => {
  const client = new RDSClient({ ...SDK_OPTIONS, ...clientConfig });
  if (intervalMs !== undefined) {
    const pacer = typeof intervalMs === 'number' ? new Pacer(intervalMs) : intervalMs;
    client.middlewareStack.add(
      (next) => async (args) => {
        await pacer.wait();
        return next(args);
      },
      // After the retry middleware, so the SDK's own quick retry waits for its turn too.
      { step: 'finalizeRequest', priority: 'low', name: 'rdsCallPacing' },
    );
  }
  return new RdsSnapshots(client);
};

/**
 * One RDS client per place (`configFor`: the member role's session there), made on its first use.
 * The pacing is per account, shared by its regions' clients: the budget is the account's.
 */
export function rdsSnapshotsOfPlaces(configFor: (place: Place) => RDSClientConfig, intervalMs: number): (place: Place) => RdsSnapshots {
  const catalogs = new Map<string, RdsSnapshots>();
  const pacers = new Map<string, Pacer>();
  return (place) => {
    const key = placeKey(place);
    let catalog = catalogs.get(key);
    if (!catalog) {
      let pacer = pacers.get(place.account);
      if (!pacer) pacers.set(place.account, (pacer = new Pacer(intervalMs)));
      catalogs.set(key, (catalog = rdsSnapshots(configFor(place), pacer)));
    }
    return catalog;
  };
}

/** The trigger's catalog over many places: a snapshot is described in its own account and region. */
export function rdsSnapshotsPerPlace(configFor: (place: Place) => RDSClientConfig, intervalMs: number): Pick<SnapshotCatalog, 'describe'> {
  const catalogOf = rdsSnapshotsOfPlaces(configFor, intervalMs);
  return {
    describe: async (arn) => {
      const place = placeOfArn(arn);
      // Not an ARN of a place: nothing to describe (the trigger answers as for a snapshot that is gone).
      return place ? catalogOf(place).describe(arn) : undefined;
    },
  };
}
