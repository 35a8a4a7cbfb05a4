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
