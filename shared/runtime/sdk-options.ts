/**
 * Options of every SDK client in the Lambdas. One SDK retry only: longer backoff belongs to the
 * state machine's Retry, which waits without billing Lambda time.
 */
export const SDK_OPTIONS = { maxAttempts: 2 } as const;
