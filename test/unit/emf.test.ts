import { describe, expect, it } from 'vitest';
import { emfDocument, emfMetrics, METRIC_NAMES, type MetricPoint } from '../../shared/runtime/metrics.ts';

const started: MetricPoint = { name: METRIC_NAMES.started, unit: 'Count', value: 1, dimensions: { kind: 'rds' } };

describe('metrics as CloudWatch embedded metric format', () => {
  it('writes the document Powertools Metrics wrote for a single metric, key for key', () => {
    // Assess: Powertools Metrics 2.36 singleMetric() with the dimension kind=rds, printed at the same timestamp.
    expect(emfDocument(started, 'export-orchestrator/test', 1796206475000)).toBe(
      '{"_aws":{"Timestamp":1796206475000,"CloudWatchMetrics":[{"Namespace":"export-orchestrator/test","Dimensions":[["service","kind"]],"Metrics":[{"Name":"ExportsStarted","Unit":"Count"}]}]},"service":"export-orchestrator","kind":"rds","ExportsStarted":1}',
    );
    expect(emfDocument({ name: METRIC_NAMES.queueDepth, unit: 'Count', value: 2, dimensions: {} }, 'export-orchestrator/test', 1796206475006)).toBe(
      '{"_aws":{"Timestamp":1796206475006,"CloudWatchMetrics":[{"Namespace":"export-orchestrator/test","Dimensions":[["service"]],"Metrics":[{"Name":"QueueDepth","Unit":"Count"}]}]},"service":"export-orchestrator","QueueDepth":2}',
    );
  });

  it('writes one line per point, or nothing when POWERTOOLS_METRICS_DISABLED is true', () => {
    // Prepare
    const lines: string[] = [];
    const write = (line: string) => void lines.push(line);

    // Act
    emfMetrics({ POWERTOOLS_METRICS_NAMESPACE: 'ns' }, write).emit(started);
    emfMetrics({ POWERTOOLS_METRICS_NAMESPACE: 'ns', POWERTOOLS_METRICS_DISABLED: 'false' }, write).emit(started);
    for (const off of ['true', 'TRUE', '1']) emfMetrics({ POWERTOOLS_METRICS_NAMESPACE: 'ns', POWERTOOLS_METRICS_DISABLED: off }, write).emit(started);

    // Assess
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith('}\n')).toBe(true);
      expect(JSON.parse(line)).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'ns' }] }, ExportsStarted: 1 });
    }
  });
});
