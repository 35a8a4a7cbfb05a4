import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import type { MiddlewareObj } from '@middy/core';
import type { DispatchDeps, DispatchResult } from '../slots/dispatch.ts';
import { isTerminal } from '../export-kinds/status.ts';
import type { ExportState } from '../workflow/export-state.ts';

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

/**
 * What one step's run says about the export, from its input and its output: it started (the start
 * step's output, unless it adopted a task already started), it ended (its status became final), or
 * the execution failed (the notify step received the error the state machine caught).
 */
export function exportMetricsFor(input: unknown, output: unknown, now: Date): MetricPoint[] {
  const failedStep = failedStepError(input);
  if (failedStep) return [{ name: METRIC_NAMES.workflowFailures, unit: MetricUnit.Count, value: 1, dimensions: { error: failedStep } }];
  if (!isExportState(output)) return [];
  const before = isExportState(input) ? input.status : undefined;
  const dimensions = { kind: output.request.kind ?? 'rds' };
  const points: MetricPoint[] = [];
  if (before === undefined && !output.adopted) points.push({ name: METRIC_NAMES.started, unit: MetricUnit.Count, value: 1, dimensions });
  if (isTerminal(output.status) && before !== output.status) {
    const ended = METRIC_NAMES.ended[output.status as keyof typeof METRIC_NAMES.ended];
    points.push({ name: ended, unit: MetricUnit.Count, value: 1, dimensions });
    const startedAt = Date.parse(output.taskStartTime ?? output.exportStartedAt);
    const endedAt = output.taskEndTime ? Date.parse(output.taskEndTime) : now.getTime();
    if (Number.isFinite(startedAt) && endedAt >= startedAt) {
      points.push({ name: METRIC_NAMES.duration, unit: MetricUnit.Seconds, value: Math.round((endedAt - startedAt) / 1000), dimensions });
    }
    points.push({ name: METRIC_NAMES.polls, unit: MetricUnit.Count, value: output.polls, dimensions });
    if (output.status === 'COMPLETE' && output.extractedDataGb !== undefined) {
      points.push({ name: METRIC_NAMES.exportedGb, unit: MetricUnit.Gigabytes, value: output.extractedDataGb, dimensions });
    }
  }
  return points;
}

/** The slot queue as the dispatcher leaves it: how many wait, for how long the oldest has, how many exports run. */
export function queueMetricsFor(result: DispatchResult, waiting: { depth: number; oldestRequestedAt: string | undefined }, now: Date): MetricPoint[] {
  const points: MetricPoint[] = [
    { name: METRIC_NAMES.queueDepth, unit: MetricUnit.Count, value: waiting.depth, dimensions: {} },
    {
      name: METRIC_NAMES.oldestWaiting,
      unit: MetricUnit.Seconds,
      value: waiting.oldestRequestedAt ? Math.max(0, Math.round((now.getTime() - Date.parse(waiting.oldestRequestedAt)) / 1000)) : 0,
      dimensions: {},
    },
  ];
  // -1: no round ran (nobody waited), so RDS was not asked what runs.
  if (result.active >= 0) points.push({ name: METRIC_NAMES.running, unit: MetricUnit.Count, value: result.active, dimensions: {} });
  return points;
}

/** Every workflow step (shared/runtime/lambda.ts workflowStep): the export's metrics from the step's input and output. */
export function exportMetrics(clock: () => Date = () => new Date(), sink: Metrics = metrics): MiddlewareObj {
  return {
    // Only once the step succeeded: a failed one is retried (or caught), and would count twice.
    after: async ({ event, response }) => publish(exportMetricsFor(event, response, clock()), sink),
  };
}

/** The dispatcher's gauges, measured once its round is over (functions/dispatch-exports): two item reads, however long the queue. */
export function queueMetrics(slots: Pick<DispatchDeps, 'store'>, clock: () => Date, sink: Metrics = metrics): MiddlewareObj<unknown, DispatchResult> {
  return {
    after: async ({ response }) => {
      if (!response) return;
      const [depth, oldestRequestedAt] = await Promise.all([response.waiting ?? slots.store.depth(), slots.store.oldestRequestedAt()]);
      publish(queueMetricsFor(response, { depth, oldestRequestedAt }, clock()), sink);
    },
  };
}

function isExportState(value: unknown): value is ExportState {
  const candidate = value as Partial<ExportState> | undefined;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.status === 'string' && typeof candidate.request?.exportId === 'string';
}

function failedStepError(input: unknown): string | undefined {
  const error = (input as { error?: { Error?: unknown } } | undefined)?.error?.Error;
  return typeof error === 'string' ? error : undefined;
}
