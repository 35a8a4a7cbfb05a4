/**
 * The metrics each workflow step emits (CloudWatch EMF lines on stdout, as Lambda would ship them):
 * their names, units and dimensions, read back from the real handlers' output.
 */
import { vi } from 'vitest';

// Before the handlers (and shared/runtime/metrics.ts) load: metrics are off everywhere else in the suite.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'export-orchestrator/test';
});

import { DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as makeDispatchHandler } from '../../functions/dispatch-exports/app.ts';
import { makeHandler as makeNotifyHandler } from '../../functions/notify/app.ts';
import { makeHandler as makePollHandler } from '../../functions/poll-export/app.ts';
import { makeHandler as makeStartHandler } from '../../functions/start-export/app.ts';
import type { QueueEntry } from '../../shared/slots/store.ts';
import { rdsExportProvider } from '../../shared/export-kinds/rds/rds-provider.ts';
import { METRIC_NAMES } from '../../shared/runtime/metrics.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import { ACCOUNT, CLIENT_CONFIG } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { BOUNDS, clock, exportRequest, exportState, NOW, SNAPSHOT_ARN } from '../support/requests.ts';
import { mockCoordinationStore, recordingPublisher } from '../support/stores.ts';

const NAMESPACE = 'export-orchestrator/test';
const rdsMock = mockClient(RDSClient);
const provider = rdsExportProvider(CLIENT_CONFIG);
const publisher = recordingPublisher();
const noSlots: DispatchDeps = {
  store: mockCoordinationStore([]),
  exports: provider,
  callbacks: { succeed: async () => true, fail: async () => true },
  quota: () => 5,
  leaseSeconds: 600,
  slotWaitLimitSeconds: 30 * 86400,
};

interface Emitted {
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
  /** Where the export runs, written beside the metric (not a dimension: no metric per place). */
  place?: string;
}

/** The EMF documents written to stdout while `act` runs, one entry per metric. */
async function metricsOf(act: () => Promise<unknown>): Promise<Emitted[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) lines.push(...text.split('\n').filter((line) => line.includes('"_aws"')));
    else return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stdout.write);
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((line) => {
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
    };
    return document._aws.CloudWatchMetrics.flatMap(({ Namespace, Dimensions, Metrics }) => {
      expect(Namespace).toBe(NAMESPACE);
      return Metrics.map(({ Name, Unit }) => ({
        name: Name,
        unit: Unit,
        value: document[Name] as number,
        dimensions: Object.fromEntries(Dimensions.flat().map((dimension) => [dimension, String(document[dimension])])),
        ...(document.account ? { place: `${String(document.account)}/${String(document.region)}` } : {}),
      }));
    });
  });
}

beforeEach(() => rdsMock.reset());
afterEach(() => vi.restoreAllMocks());
afterAll(() => rdsMock.restore());

describe('metrics of the workflow steps', () => {
  const rds = { service: 'export-orchestrator', kind: 'rds' };

  it('start-export counts an export it started, by kind', async () => {
    // Prepare
    const handler = makeStartHandler({ providerFor: () => provider, publisher, clock });
    const request = exportRequest();
    rdsMock.on(StartExportTaskCommand).resolves({ ExportTaskIdentifier: request.exportId, SourceArn: SNAPSHOT_ARN, Status: 'STARTING', PercentProgress: 0 });

    // Act
    const emitted = await metricsOf(() => handler({ request, bounds: BOUNDS }, lambdaContext('start-export')));

    // Assess
    expect(emitted).toEqual([{ name: METRIC_NAMES.started, unit: 'Count', value: 1, dimensions: rds, place: `${request.source.account}/${request.source.region}` }]);
  });

  it('poll-export counts an export that completed, with its duration, polls and data size', async () => {
    // Prepare
    const handler = makePollHandler({ providerFor: () => provider, slots: noSlots, publisher, clock });
    const state = exportState();
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [
        {
          ExportTaskIdentifier: state.request.exportId,
          SourceArn: SNAPSHOT_ARN,
          Status: 'COMPLETE',
          PercentProgress: 100,
          TaskStartTime: new Date('2026-03-04T05:08:00Z'),
          TaskEndTime: new Date('2026-03-04T05:30:00Z'),
          TotalExtractedDataInGB: 17,
        },
      ],
    });

    // Act
    const emitted = await metricsOf(() => handler(state, lambdaContext('poll-export')));

    // Assess
    const place = `${state.request.source.account}/${state.request.source.region}`;
    expect(emitted).toEqual([
      { name: METRIC_NAMES.ended.COMPLETE, unit: 'Count', value: 1, dimensions: rds, place },
      { name: METRIC_NAMES.duration, unit: 'Seconds', value: 22 * 60, dimensions: rds, place },
      { name: METRIC_NAMES.polls, unit: 'Count', value: state.polls + 1, dimensions: rds, place },
      { name: METRIC_NAMES.exportedGb, unit: 'Gigabytes', value: 17, dimensions: rds, place },
    ]);
  });

  it('poll-export counts a failed export and one canceled for its deadline (timed out), and nothing while it runs', async () => {
    // Prepare
    const handler = makePollHandler({ providerFor: () => provider, slots: noSlots, publisher, clock });
    const describe = (Status: string) =>
      rdsMock.on(DescribeExportTasksCommand).resolves({
        ExportTasks: [
          {
            ExportTaskIdentifier: exportState().request.exportId,
            SourceArn: SNAPSHOT_ARN,
            Status,
            PercentProgress: 40,
            TaskStartTime: new Date('2026-03-04T05:10:00Z'),
            ...(Status === 'IN_PROGRESS' ? {} : { TaskEndTime: new Date('2026-03-04T05:20:00Z') }),
          },
        ],
      });

    // Act
    describe('IN_PROGRESS');
    const running = await metricsOf(() => handler(exportState(), lambdaContext('poll-export')));
    describe('FAILED');
    const failed = await metricsOf(() => handler(exportState(), lambdaContext('poll-export')));
    describe('CANCELED');
    const timedOut = await metricsOf(() => handler(exportState({ status: 'CANCELING', notifiedStatus: 'CANCELING', canceledForDeadline: true }), lambdaContext('poll-export')));

    // Assess
    expect(running).toEqual([]);
    expect(failed.map((metric) => metric.name)).toEqual([METRIC_NAMES.ended.FAILED, METRIC_NAMES.duration, METRIC_NAMES.polls]);
    expect(timedOut.map((metric) => metric.name)).toEqual([METRIC_NAMES.ended.TIMED_OUT, METRIC_NAMES.duration, METRIC_NAMES.polls]);
    expect(failed[1]).toMatchObject({ unit: 'Seconds', value: 600, dimensions: rds });
  });

  it('notify counts an execution that failed in a caught error, by error name', async () => {
    // Prepare
    const handler = makeNotifyHandler({ publisher, clock });
    const failure = { error: { Error: 'InvalidExportRequest', Cause: 'Invalid export request: s3Bucket "Bad_Name" is not a valid bucket name' }, input: { sourceArn: SNAPSHOT_ARN } };

    // Act
    const emitted = await metricsOf(() => handler(failure, lambdaContext('notify')));

    // Assess
    expect(emitted).toEqual([{ name: METRIC_NAMES.workflowFailures, unit: 'Count', value: 1, dimensions: { service: 'export-orchestrator', error: 'InvalidExportRequest' } }]);
  });

  it('dispatch-exports reports the queue depth, the oldest wait and the exports running', async () => {
    // Prepare: two executions waiting (the older for 30 minutes), five exports running: no free slot.
    const entry = (n: number, requestedAt: string): QueueEntry => ({
      exportId: `db-${n}-0123456789`,
      sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:db-${n}`,
      token: `token-${n}`,
      release: { request: exportRequest({ sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:db-${n}` }), bounds: BOUNDS },
      requestedAt,
      execution: `execution-${n}`,
    });
    const queue = [entry(1, new Date(NOW.getTime() - 1800_000).toISOString()), entry(2, new Date(NOW.getTime() - 60_000).toISOString())];
    const running = Array.from({ length: 5 }, (_, n) => ({ exportId: `busy-${n}`, sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:busy-${n}` }));
    const slots: DispatchDeps = { ...noSlots, store: mockCoordinationStore(queue), exports: { active: async () => running } as unknown as DispatchDeps['exports'] };
    const handler = makeDispatchHandler({ slots, clock });

    // Act
    const emitted = await metricsOf(() => handler({}, lambdaContext('dispatch-exports')));

    // Assess
    const service = { service: 'export-orchestrator' };
    expect(emitted).toEqual([
      { name: METRIC_NAMES.queueDepth, unit: 'Count', value: 2, dimensions: service },
      { name: METRIC_NAMES.oldestWaiting, unit: 'Seconds', value: 1800, dimensions: service },
      { name: METRIC_NAMES.running, unit: 'Count', value: 5, dimensions: service },
    ]);
    // What the stalled-queue alarm's log filter reads (places where some wait while none runs): none here.
    expect(await handler({}, lambdaContext('dispatch-exports'))).toMatchObject({ waiting: 2, active: 5, places: 1, stalledPlaces: [] });
  });
});
