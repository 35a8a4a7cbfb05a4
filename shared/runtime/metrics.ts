import { metricsConfigShape, readConfig } from './config.ts';

/**
 * Operational metrics, as CloudWatch embedded metric format (EMF) log lines: CloudWatch turns them
 * into metrics with no API call and no extra permission. The namespace comes from
 * POWERTOOLS_METRICS_NAMESPACE (serverless.yml: `<service>/<stage>`); every metric carries the
 * `service` dimension. The documents are the ones Powertools Metrics writes for a single metric
 * (test/unit/emf.test.ts), written here in a few lines: its package and its bundle were a tenth of
 * every function's code beyond the SDK, loaded at every cold start (`npm run bench`, cold starts). The dashboard (config/operations-dashboard.cjs) and docs/runbook.md read
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

/** The units our metrics use (CloudWatch's names). */
export const MetricUnit = { Count: 'Count', Seconds: 'Seconds', Gigabytes: 'Gigabytes' } as const;
export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricPoint {
  name: string;
  unit: MetricUnitName;
  value: number;
  /** Besides `service`: `kind` for an export's metrics, `error` for a workflow failure. */
  dimensions: Record<string, string>;
  /**
   * Written beside the metric, not as dimensions: an export's `account` and `region`. Logs Insights
   * finds and counts them per place; as dimensions, every place would be metrics of its own, billed
   * each month (a few hundred dollars for 150 places).
   */
  properties?: Record<string, string>;
}

/** Where metric points go: EMF lines on stdout in the Lambdas. */
export interface Metrics {
  emit(point: MetricPoint): void;
}

/** One CloudWatch embedded-metric-format document of one metric, in Powertools' key order. */
export function emfDocument(point: MetricPoint, namespace: string, timestamp: number): string {
  const dimensions = { service: SERVICE_NAME, ...point.dimensions };
  return JSON.stringify({
    _aws: { Timestamp: timestamp, CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: point.name, Unit: point.unit }] }] },
    ...dimensions,
    ...point.properties,
    [point.name]: point.value,
  });
}

/** EMF lines written straight to stdout (as Powertools does, past the Lambda runtime's console prefix), where CloudWatch Logs reads them. */
export function emfMetrics(config: { POWERTOOLS_METRICS_NAMESPACE: string; POWERTOOLS_METRICS_DISABLED?: string | undefined }, write: (line: string) => void = (line) => process.stdout.write(line)): Metrics {
  const disabled = ['true', '1'].includes(config.POWERTOOLS_METRICS_DISABLED?.trim().toLowerCase() ?? '');
  return { emit: (point) => (disabled ? undefined : write(`${emfDocument(point, config.POWERTOOLS_METRICS_NAMESPACE, Date.now())}\n`)) };
}

/** The metrics of every function, configured once per cold start. */
export const metrics = emfMetrics(readConfig(metricsConfigShape));

/** Publishes each point at once in its own EMF document (its own dimensions), so nothing waits for a flush. */
export function publish(points: MetricPoint[], sink: Metrics = metrics): void {
  for (const point of points) sink.emit(point);
}
