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
    clock.uninstall();
  }
}
