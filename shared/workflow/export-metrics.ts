import type { MiddlewareObj } from '@middy/core';
import { isRdsRequest, kindOf } from '../export-kinds/request.ts';
import { isTerminal } from '../export-kinds/status.ts';
import { METRIC_NAMES, MetricUnit, metrics, publish, type MetricPoint, type Metrics } from '../runtime/metrics.ts';
import type { ExportState } from './export-state.ts';

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
  const dimensions = { kind: kindOf(output.request) };
  // Where the export runs (an RDS source's account and region), beside each point.
  const place = isRdsRequest(output.request) ? { properties: { account: output.request.source.account, region: output.request.source.region } } : {};
  const points: MetricPoint[] = [];
  if (before === undefined && !output.adopted) points.push({ name: METRIC_NAMES.started, unit: MetricUnit.Count, value: 1, dimensions, ...place });
  if (isTerminal(output.status) && before !== output.status) {
    const ended = METRIC_NAMES.ended[output.status as keyof typeof METRIC_NAMES.ended];
    points.push({ name: ended, unit: MetricUnit.Count, value: 1, dimensions, ...place });
    const startedAt = Date.parse(output.taskStartTime ?? output.exportStartedAt);
    const endedAt = output.taskEndTime ? Date.parse(output.taskEndTime) : now.getTime();
    if (Number.isFinite(startedAt) && endedAt >= startedAt) {
      points.push({ name: METRIC_NAMES.duration, unit: MetricUnit.Seconds, value: Math.round((endedAt - startedAt) / 1000), dimensions, ...place });
    }
    points.push({ name: METRIC_NAMES.polls, unit: MetricUnit.Count, value: output.polls, dimensions, ...place });
    if (output.status === 'COMPLETE' && output.extractedDataGb !== undefined) {
      points.push({ name: METRIC_NAMES.exportedGb, unit: MetricUnit.Gigabytes, value: output.extractedDataGb, dimensions, ...place });
    }
  }
  return points;
}

/** Every workflow step (shared/workflow/step.ts workflowStep): the export's metrics from the step's input and output. */
export function exportMetrics(clock: () => Date = () => new Date(), sink: Metrics = metrics): MiddlewareObj {
  return {
    // Only once the step succeeded: a failed one is retried (or caught), and would count twice.
    after: async ({ event, response }) => publish(exportMetricsFor(event, response, clock()), sink),
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
