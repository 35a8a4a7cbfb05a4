import { ExportServiceError, TransientAwsError, WorkflowError } from './errors.ts';

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

/** The SDK's own timeouts (smithy's request/connection timeouts) and the services' "you took too long" answers. */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/**
 * Network trouble. Node puts it in `error.code` (the name is plain `Error`); `fetch` wraps it in a
 * TypeError whose `cause` has the code, so the cause chain is read too.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export function awsErrorName(error: unknown): string {
  return (error as AwsErrorShape | undefined)?.name ?? 'Error';
}

/** Whether the call may succeed if made again later: throttling, 5xx, timeouts and network trouble. */
export function isTransient(error: unknown): boolean {
  const e = error as AwsErrorShape | undefined;
  if (!e || typeof e !== 'object') return false;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return (
    THROTTLING.has(e.name ?? '') ||
    TIMEOUTS.has(e.name ?? '') ||
    TIMEOUTS.has(e.code ?? '') ||
    e.$retryable?.throttling === true ||
    status === 429 ||
    status >= 500 ||
    isNetworkError(e)
  );
}

/** A connection refused, reset or timed out, a name that did not resolve: read from `code` along the cause chain. */
export function isNetworkError(error: unknown): boolean {
  for (let e = error as AwsErrorShape | undefined, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause as AwsErrorShape | undefined, depth++) {
    if (NETWORK_ERROR_CODES.has(e.code ?? '') || NETWORK_ERROR_CODES.has(e.name ?? '')) return true;
  }
  return false;
}

/** The name to report: an SDK error's name, or a network error's code (its name is plain `Error`). */
function reportedName(error: unknown): string {
  const e = error as AwsErrorShape | undefined;
  const name = awsErrorName(error);
  return (name === 'Error' || name === 'TypeError') && typeof e?.code === 'string' ? e.code : name;
}

/** Turns an error of a service the caller did not handle (an SDK error, an AdsServiceException) into a WorkflowError, keeping the original as cause. */
export function toWorkflowError(operation: string, error: unknown): WorkflowError {
  // Already the workflow's (a member session that could not be had, raised while the call was being
  // signed): kept as it is, so the state machine still matches its name.
  if (error instanceof WorkflowError) return error;
  const message = `${operation} failed: ${reportedName(error)}: ${(error as AwsErrorShape).message ?? String(error)}`;
  return isTransient(error) ? new TransientAwsError(message, { cause: error }) : new ExportServiceError(message, { cause: error });
}
