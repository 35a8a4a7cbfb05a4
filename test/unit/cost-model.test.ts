import { describe, expect, it } from 'vitest';
import { ASSUMPTIONS, configuredMemoryMb, costOf, PRICES, type MeasuredRun } from '../../bench/cost.ts';

// The bench's cost model: dollars from what a local run measured, at the listed prices.

const RUN: MeasuredRun = {
  stateTransitions: 10,
  apiCalls: { DescribeExportTasks: 3, StartExportTask: 1, Publish: 3, 'DynamoDB.Query': 10, 'States.SendTaskSuccess': 3 },
  lambdas: { startExport: { invocations: 1, ms: 20 }, pollExport: { invocations: 3, ms: 30 } },
  dynamodb: { rru: 10, wru: 4 },
  logs: { bytes: 10_000, lines: 20 },
};

describe('cost model', () => {
  it('bills each transition, request unit and publish at its price', () => {
    const cost = costOf(RUN, 256);

    expect(cost.stepFunctions).toBeCloseTo(10 * 0.000025, 12);
    expect(cost.dynamodb).toBeCloseTo(10 * PRICES.dynamoRru + 4 * PRICES.dynamoWru, 12);
    expect(cost.sns).toBeCloseTo(3 * (0.0000005 + ASSUMPTIONS.emailSubscribers * 0.00002), 12);
    expect(cost.total).toBeCloseTo(cost.stepFunctions + cost.lambda + cost.dynamodb + cost.sns + cost.logs, 12);
  });

  it('bills Lambda per request and per GB-second: handler time plus the network time of every AWS call, at the configured memory', () => {
    const cost = costOf(RUN, 256);
    // 50 ms of handlers, 20 AWS calls, 4 invocations rounded up half a millisecond on average.
    const seconds = (50 + 20 * ASSUMPTIONS.apiCallMs + 4 * 0.5) / 1000;

    expect(cost.usage.invocations).toBe(4);
    expect(cost.usage.gbSeconds).toBeCloseTo(seconds * 0.25, 9);
    expect(cost.lambda).toBeCloseTo(4 * 0.0000002 + seconds * 0.25 * PRICES.lambdaArmGbSecond, 12);
    expect(costOf(RUN, 512).usage.gbSeconds).toBeCloseTo(2 * cost.usage.gbSeconds, 9);
  });

  it('bills the logs ingested: the Lambdas\' lines, their metadata, and Lambda\'s own lines per invocation', () => {
    const bytes = 10_000 + 20 * 26 + 4 * (ASSUMPTIONS.platformLogBytes + 3 * 26);

    expect(costOf(RUN, 256).logs).toBeCloseTo((bytes / 1024 ** 3) * 0.5, 12);
  });

  it('reads the memory the functions are configured with from serverless.yml', () => {
    expect(configuredMemoryMb()).toBe(256);
    expect(() => configuredMemoryMb('provider:\n  name: aws\n')).toThrow(/memorySize/);
  });
});
