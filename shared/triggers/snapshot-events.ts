import { parseSourceArn, type ExportSource } from '../export-kinds/rds/source.ts';
import type { ExecutionStarter } from '../workflow/step-functions.ts';
import { firstValidDate } from './event-time.ts';
import { executionName, matchesSelection, type Selection } from './selection.ts';
import { isAvailable, type SnapshotCatalog, type SnapshotType } from './snapshots.ts';
import { RDS_EVENT_DETAIL_TYPE } from '../export-kinds/rds/events.ts';
import { MemberAccessDenied } from '../runtime/errors.ts';

/** The snapshot trigger (functions/snapshot-trigger): an RDS "snapshot created" event starts the export of that snapshot. */

export interface TriggerSettings {
  selection: Selection;
  /** Whether RDS-EVENT-0197 (a snapshot copy finished: how AWS Backup snapshots appear) is ours. */
  backupEvents: boolean;
}

/** An RDS event as EventBridge delivers it (source `aws.rds`). Everything is optional: we trust nothing. */
export interface RdsEvent {
  version?: string;
  id?: string;
  source?: string;
  'detail-type'?: string;
  time?: string;
  account?: string;
  region?: string;
  resources?: string[];
  detail?: {
    EventID?: string;
    EventCategories?: string[];
    SourceArn?: string;
    SourceIdentifier?: string;
    SourceType?: string;
    Message?: string;
    Date?: string;
  };
}

export const DB_SNAPSHOT_EVENT = RDS_EVENT_DETAIL_TYPE.SNAPSHOT;
export const DB_CLUSTER_SNAPSHOT_EVENT = RDS_EVENT_DETAIL_TYPE.CLUSTER_SNAPSHOT;

interface CreatedEvent {
  detailType: string;
  kind: 'SNAPSHOT' | 'CLUSTER_SNAPSHOT';
  /**
   * The snapshot types this event can announce. DescribeDB(Cluster)Snapshots has the last word on
   * the type; this only lets an event whose every possible type is unselected go without an API call.
   */
  types: readonly SnapshotType[];
  backupCopy?: true;
}

/** The events that say "a snapshot is ready". Every other RDS event is someone else's. */
export const SNAPSHOT_CREATED_EVENTS: Readonly<Record<string, CreatedEvent>> = {
  'RDS-EVENT-0042': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['manual', 'awsbackup'] },
  'RDS-EVENT-0091': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['automated'] },
  'RDS-EVENT-0075': { detailType: DB_CLUSTER_SNAPSHOT_EVENT, kind: 'CLUSTER_SNAPSHOT', types: ['manual', 'awsbackup'] },
  'RDS-EVENT-0169': { detailType: DB_CLUSTER_SNAPSHOT_EVENT, kind: 'CLUSTER_SNAPSHOT', types: ['automated'] },
  // "Finished copy of snapshot": AWS Backup's snapshots appear this way, but so does any local copy.
  'RDS-EVENT-0197': { detailType: DB_SNAPSHOT_EVENT, kind: 'SNAPSHOT', types: ['awsbackup', 'manual'], backupCopy: true },
};

export type ParsedEvent =
  | { ours: true; source: ExportSource; eventId: string; possibleTypes: readonly SnapshotType[]; at: Date }
  | { ours: false; reason: string };

/** Whether an event announces a snapshot this trigger may export, and which one. */
export function parseSnapshotEvent(event: RdsEvent, settings: Pick<TriggerSettings, 'backupEvents'>, now: Date): ParsedEvent {
  if (event?.source !== 'aws.rds') return { ours: false, reason: `source is ${JSON.stringify(event?.source)}, not "aws.rds"` };
  const detailType = event['detail-type'];
  if (detailType !== DB_SNAPSHOT_EVENT && detailType !== DB_CLUSTER_SNAPSHOT_EVENT) {
    return { ours: false, reason: `detail-type ${JSON.stringify(detailType)} is not a snapshot event` };
  }
  const eventId = event.detail?.EventID ?? '';
  const created = SNAPSHOT_CREATED_EVENTS[eventId];
  if (!created || created.detailType !== detailType) {
    return { ours: false, reason: `${eventId || 'an event without EventID'} (${event.detail?.Message ?? 'no message'}) does not announce a new snapshot` };
  }
  if (created.backupCopy && !settings.backupEvents) {
    return { ours: false, reason: `${eventId} (snapshot copy, AWS Backup) is ignored while BACKUP_EVENTS=false` };
  }
  const source = parseSourceArn(event.detail?.SourceArn ?? '');
  if (!source || source.type !== created.kind) {
    return { ours: false, reason: `SourceArn ${JSON.stringify(event.detail?.SourceArn)} is not the ${created.kind === 'SNAPSHOT' ? 'DB' : 'DB cluster'} snapshot ARN ${eventId} should carry` };
  }
  return { ours: true, source, eventId, possibleTypes: created.types, at: firstValidDate(event.time, event.detail?.Date) ?? now };
}

export type TriggerResult =
  /** Not a snapshot we export: another event, an excluded DB, an unselected type. Logged at DEBUG. */
  | { outcome: 'ignored'; reason: string; sourceArn?: string }
  /** Ours, but not exportable now: gone, or not available. */
  | { outcome: 'skipped'; reason: string; sourceArn: string }
  /** `reason` when started without looking at the snapshot (the member role cannot be assumed: the execution says so). */
  | { outcome: 'started'; sourceArn: string; executionName: string; executionArn?: string; reason?: string }
  /** An execution of that name exists already: a redelivered event, nothing to do. */
  | { outcome: 'duplicate'; sourceArn: string; executionName: string };

export interface TriggerDeps {
  catalog: Pick<SnapshotCatalog, 'describe'>;
  starter: ExecutionStarter;
  settings: TriggerSettings;
}

export async function handleSnapshotEvent(event: RdsEvent, { catalog, starter, settings }: TriggerDeps, now: Date): Promise<TriggerResult> {
  const parsed = parseSnapshotEvent(event, settings, now);
  if (!parsed.ours) return { outcome: 'ignored', reason: parsed.reason };
  const sourceArn = parsed.source.arn;
  if (!parsed.possibleTypes.some((type) => settings.selection.types.includes(type))) {
    return { outcome: 'ignored', sourceArn, reason: `${parsed.eventId} announces ${parsed.possibleTypes.join(' or ')} snapshots, not selected (SNAPSHOT_TYPES=${settings.selection.types.join(',')})` };
  }
  // The event names the snapshot, not its DB, and says nothing of a manual snapshot's type.
  let snapshot: Awaited<ReturnType<typeof catalog.describe>>;
  try {
    snapshot = await catalog.describe(sourceArn);
  } catch (error) {
    if (!(error instanceof MemberAccessDenied)) throw error;
    // The member's role cannot be assumed, so its snapshot cannot be looked at: the execution is
    // started all the same, and its admission refuses it with the cause, notified once (the
    // execution's name is the snapshot's), instead of the event being retried and parked unseen.
    const name = executionName(parsed.source, parsed.at);
    const started = await starter.start(name, { sourceArn });
    return started.started
      ? { outcome: 'started', sourceArn, executionName: name, reason: `the member role cannot be assumed: started to be refused and notified (${error.message.slice(0, 200)})` }
      : { outcome: 'duplicate', sourceArn, executionName: name };
  }
  if (!snapshot) return { outcome: 'skipped', sourceArn, reason: 'RDS does not know this snapshot (deleted since the event, or another account or region)' };
  const verdict = matchesSelection(snapshot, settings.selection);
  if (!verdict.selected) return { outcome: 'ignored', sourceArn, reason: verdict.reason };
  if (!isAvailable(snapshot)) return { outcome: 'skipped', sourceArn, reason: `snapshot status is "${snapshot.status}", not "available"` };
  const name = executionName(parsed.source, parsed.at);
  const started = await starter.start(name, { sourceArn });
  return started.started
    ? { outcome: 'started', sourceArn, executionName: name, ...(started.executionArn ? { executionArn: started.executionArn } : {}) }
    : { outcome: 'duplicate', sourceArn, executionName: name };
}
