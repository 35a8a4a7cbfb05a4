import { expect } from 'vitest';

/** The error a call fails with; the test fails if the call succeeds. */
export async function failure<E extends Error = Error & { cause?: unknown }>(promise: Promise<unknown>): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the call to fail').toBeInstanceOf(Error);
  return error as E;
}
