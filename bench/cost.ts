import { readFileSync } from 'node:fs';

/**
 * What one run of the workflow costs on AWS, from what the local run measured. Every count comes
 * from the run (state transitions, Lambda invocations and the time their handlers ran, DynamoDB
 * request units, SNS publishes, AWS API calls, log bytes); the prices and the few assumptions are
 * named here and printed by `npm run bench`.
 */

/** us-east-1 list prices, from the AWS pricing pages (Step Functions, Lambda, DynamoDB, SNS, CloudWatch). */
export const PRICES = {
  asOf: '2026-12-02',
  region: 'us-east-1',
  /** Step Functions Standard, per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1000,
  /** Lambda, per request ($0.20 per million). */
  lambdaRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second (first tier). */
  lambdaArmGbSecond: 0.0000133334,
  /** DynamoDB on-demand, per read and write request unit ($0.125 and $0.625 per million). */
  dynamoRru: 0.125 / 1e6,
  dynamoWru: 0.625 / 1e6,
  /** SNS standard topic, per publish of up to 64 KB ($0.50 per million). */
  snsPublish: 0.5 / 1e6,
  /** SNS email delivery, per message per subscribed address ($2.00 per 100,000). */
  snsEmail: 2 / 100_000,
  /** CloudWatch Logs ingestion, standard class, per GB ($0.50). */
  logsIngestedGb: 0.5,
} as const;

/** What the local run cannot measure, stated so that anyone can change it. */
export const ASSUMPTIONS = {
  /** Time a Lambda waits on one AWS API call in its region (the simulators answer at once). */
  apiCallMs: 30,
  /** Lambda's own lines per invocation (START, END, REPORT), bytes. */
  platformLogBytes: 300,
  /** CloudWatch Logs bills 26 bytes of metadata per log event. */
  logEventOverheadBytes: 26,
  /** Addresses subscribed to the topic by email. */
  emailSubscribers: 1,
} as const;

/** What a run measured: the JSON of `npm start -- --json` with the log bytes its Lambdas wrote. */
export interface MeasuredRun {
  stateTransitions: number;
  apiCalls: Record<string, number>;
  lambdas: Record<string, { invocations: number; ms: number }>;
  dynamodb: { rru: number; wru: number };
  logs: { bytes: number; lines: number };
}

export interface CostBreakdown {
  stepFunctions: number;
  lambda: number;
  dynamodb: number;
  sns: number;
  logs: number;
  total: number;
  /** The quantities billed, for the table. */
  usage: { transitions: number; invocations: number; gbSeconds: number; rru: number; wru: number; publishes: number; logKb: number };
}

/** The memory every function is configured with (serverless.yml provider.memorySize). */
export function configuredMemoryMb(serverlessYml = readFileSync('serverless.yml', 'utf8')): number {
  const match = /^provider:[\s\S]*?^\s{2}memorySize:\s*(\d+)/m.exec(serverlessYml);
  if (!match) throw new Error('serverless.yml: provider.memorySize not found');
  return Number(match[1]);
}

export function costOf(run: MeasuredRun, memoryMb: number): CostBreakdown {
  const invocations = Object.values(run.lambdas).reduce((sum, usage) => sum + usage.invocations, 0);
  const handlerMs = Object.values(run.lambdas).reduce((sum, usage) => sum + usage.ms, 0);
  // Every AWS call of the run is made by one of our Lambdas (the engine makes none), and waits on the network there.
  const awsCalls = Object.values(run.apiCalls).reduce((sum, count) => sum + count, 0);
  // Lambda rounds each invocation up to the next millisecond.
  const billedMs = handlerMs + awsCalls * ASSUMPTIONS.apiCallMs + invocations * 0.5;
  const gbSeconds = (billedMs / 1000) * (memoryMb / 1024);
  const publishes = run.apiCalls.Publish ?? 0;
  const logBytes = run.logs.bytes + run.logs.lines * ASSUMPTIONS.logEventOverheadBytes + invocations * (ASSUMPTIONS.platformLogBytes + 3 * ASSUMPTIONS.logEventOverheadBytes);
  const parts = {
    stepFunctions: run.stateTransitions * PRICES.stateTransition,
    lambda: invocations * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaArmGbSecond,
    dynamodb: run.dynamodb.rru * PRICES.dynamoRru + run.dynamodb.wru * PRICES.dynamoWru,
    sns: publishes * (PRICES.snsPublish + ASSUMPTIONS.emailSubscribers * PRICES.snsEmail),
    logs: (logBytes / 1024 ** 3) * PRICES.logsIngestedGb,
  };
  return {
    ...parts,
    total: Object.values(parts).reduce((sum, dollars) => sum + dollars, 0),
    usage: { transitions: run.stateTransitions, invocations, gbSeconds, rru: run.dynamodb.rru, wru: run.dynamodb.wru, publishes, logKb: logBytes / 1024 },
  };
}
