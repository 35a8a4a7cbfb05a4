/**
 * A value made on first use and kept for the warm Lambda. A make that failed (a module that did not
 * load, a missing setting) is tried again on the next use rather than kept as a rejection.
 */
export function onFirstUse<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}

/**
 * A value made on the first call and kept: a schema that only some invocations read (one kind's
 * input) is not built at every cold start.
 */
export function madeOnFirstUse<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
