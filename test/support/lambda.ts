import type { Context } from 'aws-lambda';
import { ACCOUNT, REGION } from './aws.ts';

export interface ContextOptions {
  region?: string;
  /** Milliseconds the invocation has left; counts down with the (real or fake) clock when given. */
  remainingMs?: number;
}

/** A Lambda context as the runtime hands it to a handler. */
export function lambdaContext(functionName = 'export-orchestrator-test', { region = REGION, remainingMs }: ContextOptions = {}): Context {
  const deadline = remainingMs === undefined ? undefined : Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/03/04/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => (deadline === undefined ? 60_000 : deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
