import type { MiddlewareObj } from '@middy/core';
import { METRIC_NAMES, MetricUnit, metrics, publish, type MetricPoint, type Metrics } from '../runtime/metrics.ts';
import type { DispatchDeps, DispatchResult } from './dispatch.ts';

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

/**
 * The dispatcher's gauges, measured once its rounds are over (functions/dispatch-exports), over every
 * place: the tick's result carries the oldest entry left (read again only where the head moved).
 */
export function queueMetrics(slots: Pick<DispatchDeps, 'store'>, clock: () => Date, sink: Metrics = metrics): MiddlewareObj<unknown, DispatchResult> {
  return {
    after: async ({ response }) => {
      if (!response) return;
      const depth = response.waiting ?? (await slots.store.depth());
      publish(queueMetricsFor(response, { depth, oldestRequestedAt: response.oldestRequestedAt }, clock()), sink);
    },
  };
}
