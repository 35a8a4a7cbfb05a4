import type { SourceType } from './source.ts';

// RDS's EventBridge vocabulary, one source for the code, the local deployment and the rules in
// serverless.yml (whose event patterns test/packaging.test.ts checks against these tables).

/** The detail-type of RDS's events about a source of each type. */
export const RDS_EVENT_DETAIL_TYPE = {
  SNAPSHOT: 'RDS DB Snapshot Event',
  CLUSTER_SNAPSHOT: 'RDS DB Cluster Snapshot Event',
  CLUSTER: 'RDS DB Cluster Event',
} as const satisfies Record<SourceType, string>;

export type ExportOutcome = 'FAILED' | 'CANCELED' | 'COMPLETE';

/** The events RDS sends when an export task ends, by the type of the exported source. */
export const EXPORT_FINISHED_EVENTS = {
  SNAPSHOT: { FAILED: 'RDS-EVENT-0159', CANCELED: 'RDS-EVENT-0160', COMPLETE: 'RDS-EVENT-0161' },
  CLUSTER_SNAPSHOT: { FAILED: 'RDS-EVENT-0162', CANCELED: 'RDS-EVENT-0163', COMPLETE: 'RDS-EVENT-0164' },
  CLUSTER: { FAILED: 'RDS-EVENT-0234', CANCELED: 'RDS-EVENT-0235', COMPLETE: 'RDS-EVENT-0236' },
} as const satisfies Record<SourceType, Record<ExportOutcome, string>>;

/** The outcome each export-finished event announces. */
export const EXPORT_OUTCOME_OF_EVENT: Readonly<Record<string, ExportOutcome>> = Object.fromEntries(
  Object.values(EXPORT_FINISHED_EVENTS).flatMap((ids) => Object.entries(ids).map(([outcome, id]) => [id, outcome as ExportOutcome])),
);
