import { placeOfArn } from '../shared/accounts/place.ts';
import { EXPORT_FINISHED_EVENTS, RDS_EVENT_DETAIL_TYPE } from '../shared/export-kinds/rds/events.ts';
import type { SourceType } from '../shared/export-kinds/rds/source.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './definition.ts';
import type { SimulatedTask } from './rds-simulator.ts';

/** An event as RDS sends it to EventBridge about one of its sources. */
function rdsEvent(sourceType: SourceType, sourceArn: string, detail: { category: string; message: string; eventId: string }): Record<string, unknown> {
  // A member's event reaches the central bus as the member sent it: its own account and region.
  const place = placeOfArn(sourceArn) ?? { account: LOCAL_ACCOUNT, region: LOCAL_REGION };
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': RDS_EVENT_DETAIL_TYPE[sourceType],
    source: 'aws.rds',
    account: place.account,
    time: new Date().toISOString(),
    region: place.region,
    resources: [sourceArn],
    detail: {
      EventCategories: [detail.category],
      SourceType: sourceType,
      SourceArn: sourceArn,
      Date: new Date().toISOString(),
      SourceIdentifier: sourceArn.split(':').slice(6).join(':'),
      Message: detail.message,
      EventID: detail.eventId,
    },
  };
}

/** The event RDS sends when an export task ends. */
export function exportFinished(task: SimulatedTask, status: 'COMPLETE' | 'FAILED' | 'CANCELED'): Record<string, unknown> {
  const sourceType = /:cluster-snapshot:/.test(task.sourceArn) ? 'CLUSTER_SNAPSHOT' : /:cluster:/.test(task.sourceArn) ? 'CLUSTER' : 'SNAPSHOT';
  return rdsEvent(sourceType, task.sourceArn, { category: 'notification', message: `Export task ${task.id} ${status.toLowerCase()}.`, eventId: EXPORT_FINISHED_EVENTS[sourceType][status] });
}

/** The event RDS sends when an automated DB snapshot is created (RDS-EVENT-0091). */
export function snapshotCreated(sourceArn: string): Record<string, unknown> {
  return rdsEvent('SNAPSHOT', sourceArn, { category: 'creation', message: 'Automated snapshot created', eventId: 'RDS-EVENT-0091' });
}
