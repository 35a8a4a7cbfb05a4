import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';

/**
 * Operational metrics, as CloudWatch embedded metric format (EMF) log lines: CloudWatch turns them
 * into metrics with no API call and no extra permission. The namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE (serverless.yml: `<service>/<stage>`); every metric carries the
 * `service` dimension. The dashboard (config/operations-dashboard.cjs) and docs/runbook.md read
 * these names: this is their one source.
 */
export const METRIC_NAMES = {
  started: 'ExportsStarted',
  ended: { COMPLETE: 'ExportsCompleted', FAILED: 'ExportsFailed', CANCELED: 'ExportsCanceled', TIMED_OUT: 'ExportsTimedOut' },
  duration: 'ExportDurationSeconds',
  exportedGb: 'ExportedGB',
  /** Polls it took to follow an export to its end: what its state transitions grow with. */
  polls: 'ExportPolls',
  /** Executions that ended in a caught error (bad input, missing source, ...), by error name. */
  workflowFailures: 'WorkflowFailures',
  queueDepth: 'QueueDepth',
  oldestWaiting: 'OldestWaitingSeconds',
  running: 'ExportsRunning',
  /** A notification a step could not publish (SNS down, or KMS refusing the topic key): what the notify alarm watches, with the Notify Lambda's Errors. */
  notificationsFailed: 'NotificationsFailed',
} as const;

export const SERVICE_NAME = 'export-orchestrator';

export interface MetricPoint {
  name: string;
  unit: MetricUnitName;
  value: number;
  /** Besides `service`: `kind` for an export's metrics, `error` for a workflow failure. */
  dimensions: Record<string, string>;
}

/** The Powertools instance of every function; disabled by POWERTOOLS_METRICS_DISABLED=true (local runs, tests). */
export const metrics = new Metrics({ serviceName: SERVICE_NAME });

/** Publishes each point at once in its own EMF document (its own dimensions), so nothing waits for a flush. */
export function publish(points: MetricPoint[], sink: Metrics = metrics): void {
  for (const point of points) {
    const single = sink.singleMetric();
    for (const [name, value] of Object.entries(point.dimensions)) single.addDimension(name, value);
    single.addMetric(point.name, point.unit, point.value);
  }
}
