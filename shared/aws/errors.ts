import { ExportServiceError, TransientAwsError } from '../errors.ts';

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
]);

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function awsErrorName(error: unknown): string {
  return (error as AwsErrorShape | undefined)?.name ?? 'Error';
}

/** Whether the call may succeed if made again later: throttling, 5xx and network trouble. */
export function isTransient(error: unknown): boolean {
  const e = error as AwsErrorShape | undefined;
  if (!e) return false;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    THROTTLING.has(e.name ?? '') ||
    e.$retryable?.throttling === true ||
    status === 429 ||
    status >= 500 ||
    ['TimeoutError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(e.name ?? '')
  );
}

/** Turns an SDK error the caller did not handle into one of our named errors, keeping the original as cause. */
export function toWorkflowError(operation: string, error: unknown): Error {
  const name = awsErrorName(error);
  const message = `${operation} failed: ${name}: ${(error as AwsErrorShape).message ?? String(error)}`;
  return isTransient(error) ? new TransientAwsError(message, { cause: error }) : new ExportServiceError(message, { cause: error });
}
