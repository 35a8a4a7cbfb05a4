/**
 * Lambda's asynchronous invocation, as EventBridge invokes the snapshot trigger: one container per
 * unit of reserved concurrency, each running one invocation at a time with its own clients (Lambda
 * holds the other events in its queue), a failed one is tried again twice, 1 and 2 minutes later, and an event
 * that failed every try goes to the on-failure destination (`deadLetters`).
 */
export class AsyncInvoker<E> {
  readonly deadLetters: Array<{ event: E; error: string }> = [];
  /** Invocations made, retries included. */
  invocations = 0;
  private readonly free: number[];
  private readonly waiting: Array<(container: number) => void> = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    /** One handler per container, each made with its own clients (as a cold start makes them). */
    private readonly containers: ReadonlyArray<(event: E) => Promise<unknown>>,
    private readonly retryDelaysSeconds: readonly number[] = [60, 120],
  ) {
    this.free = containers.map((_, index) => index);
  }

  /** Accepts the event (as Lambda's Invoke with InvocationType Event does) and runs it in the background. */
  invoke(event: E): void {
    const done = this.attempt(event, 0).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Resolves once every accepted event was handled or parked, retries included. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private async attempt(event: E, tries: number): Promise<void> {
    const container = await this.slot();
    let failure: unknown;
    try {
      this.invocations++;
      await this.containers[container]!(event);
      return;
    } catch (error) {
      failure = error;
    } finally {
      this.release(container);
    }
    const delay = this.retryDelaysSeconds[tries];
    if (delay === undefined) {
      const e = failure as Error;
      this.deadLetters.push({ event, error: `${e?.name ?? 'Error'}: ${e?.message ?? String(failure)}` });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    return this.attempt(event, tries + 1);
  }

  private async slot(): Promise<number> {
    const container = this.free.pop();
    if (container !== undefined) return container;
    return new Promise<number>((resolve) => this.waiting.push(resolve));
  }

  private release(container: number): void {
    const next = this.waiting.shift();
    if (next) next(container); // the container passes on to the next event without being freed
    else this.free.push(container);
  }
}
