import type { RdsEvent } from '../../shared/triggers/snapshot-events.ts';

/**
 * A snapshot event as EventBridge delivers it (shape from the Amazon RDS user guide's event
 * examples), from the account and region of its snapshot's ARN.
 */
export function snapshotEvent(eventId: string, sourceArn: string, overrides: Partial<RdsEvent> = {}): RdsEvent {
  const [, , , region, account] = sourceArn.split(':');
  const cluster = sourceArn.includes(':cluster-snapshot:');
  return {
    version: '0',
    id: '844e2571-85d4-695f-b930-0153b71dcb42',
    'detail-type': cluster ? 'RDS DB Cluster Snapshot Event' : 'RDS DB Snapshot Event',
    source: 'aws.rds',
    account,
    time: '2026-11-23T03:14:07Z',
    region,
    resources: [sourceArn],
    detail: {
      EventCategories: ['creation'],
      SourceType: cluster ? 'CLUSTER_SNAPSHOT' : 'SNAPSHOT',
      SourceArn: sourceArn,
      Date: '2026-11-23T03:14:07.882Z',
      SourceIdentifier: sourceArn.split(/:(?:cluster-)?snapshot:/)[1],
      Message: 'Manual snapshot created',
      EventID: eventId,
    },
    ...overrides,
  } as RdsEvent;
}
