import FakeTimers from '@sinonjs/fake-timers';

/**
 * Runs `work` with setTimeout, setImmediate and Date on one virtual clock, jumping from timer to
 * timer: every Wait state, Retry interval, Task timeout and SDK backoff of any number of concurrent
 * executions takes no real time. It only jumps when no real I/O is in flight, so a file read
 * is never overtaken by a Task timeout. Returns what `work` returns and how many virtual seconds passed.
 */
/** Real work in flight (the SDK reading its config files, a socket): the clock must not jump past it. */
const REAL_WORK = /^(FSReq|FileHandle|GetAddrInfo|TCPConnect|TCPWRAP|TLSWRAP|PipeConnect|Write)/;

export async function onVirtualClock<T>(startMs: number, work: () => Promise<T>): Promise<{ result: T; virtualSeconds: number }> {
  const realSetImmediate = globalThis.setImmediate;
  const clock = FakeTimers.install({
    now: startMs,
    toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'],
  });
  const restoreLongTimers = allowLongTimers();
  try {
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    running.catch(() => {}); // awaited below; this only keeps an early rejection from being reported as unhandled
    while (!settled) {
      // Let callbacks of finished real I/O run, and wait for any still in flight, before jumping.
      do await new Promise((resume) => realSetImmediate(resume));
      while (process.getActiveResourcesInfo().some((resource) => REAL_WORK.test(resource)));
      await clock.nextAsync();
    }
    const result = await running;
    return { result, virtualSeconds: (clock.now - startMs) / 1000 };
  } finally {
    restoreLongTimers();
    clock.uninstall();
  }
}

/** The longest delay a Node (or fake) timer takes; past it the timer fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Step Functions waits up to a year (AdmitExport's TimeoutSeconds is 301 days); a Node timer only
 * 24.8 days. A longer timeout is armed in steps of at most that, so it fires when it should.
 */
function allowLongTimers(): () => void {
  const [shortTimeout, clearShort] = [globalThis.setTimeout, globalThis.clearTimeout];
  const long = new WeakMap<object, { current: unknown }>();
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (!((delay ?? 0) > MAX_TIMER_MS)) return shortTimeout(callback, delay, ...args);
    const due = Date.now() + delay!;
    const timer = { current: undefined as unknown };
    const handle = {};
    const arm = () => {
      const left = due - Date.now();
      timer.current = left > MAX_TIMER_MS ? shortTimeout(arm, MAX_TIMER_MS) : shortTimeout(callback, left, ...args);
    };
    arm();
    long.set(handle, timer);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: unknown) => {
    const timer = typeof handle === 'object' && handle !== null ? long.get(handle) : undefined;
    clearShort((timer ? timer.current : handle) as never);
  }) as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = shortTimeout;
    globalThis.clearTimeout = clearShort;
  };
}
