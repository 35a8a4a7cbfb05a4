/**
 * Vitest globalSetup: one moto server (a real AWS API emulator) for the whole run, at
 * `inject('motoEndpoint')`. The wire tests (test/wire) send real SDK requests to it.
 *
 * - moto_server not installed: on CI this is an error (CI must not silently skip the wire suite);
 *   locally one warning is printed, `motoEndpoint` is undefined and the wire tests skip.
 * - MOTO_ENDPOINT=http://host:port uses a server someone else started instead of spawning one.
 * - A server that crashes while starting fails the run at once, with its output (after
 *   SPAWN_ATTEMPTS tries on fresh ports, for port races); one that never answers is killed after
 *   STARTUP_TIMEOUT_MS and fails the run. The server is killed at teardown, and also when
 *   this process exits without running teardown (Ctrl-C, an uncaught error).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT` of the moto server, or undefined when moto_server is not installed (local runs only). */
    motoEndpoint: string | undefined;
  }
}

const COMMAND = 'moto_server';
const HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 100;
const STOP_GRACE_MS = 2_000;
/** Port races (another process takes the free port before moto binds it) are retried this often. */
const SPAWN_ATTEMPTS = 3;
/** A pyenv or asdf shim exits 127 when the active Python has no moto_server. */
const COMMAND_NOT_FOUND_EXIT = 127;

class MotoNotInstalled extends Error {}
/** The server started but never answered: retrying would only wait STARTUP_TIMEOUT_MS again. */
class MotoNotAnswering extends Error {}

export default async function setup({ provide }: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.MOTO_ENDPOINT?.trim();
  if (external) {
    await waitUntilAnswering(external, undefined);
    provide('motoEndpoint', external.replace(/\/+$/, ''));
    return undefined;
  }

  let lastError: unknown;
  for (let attempt = 1; attempt <= SPAWN_ATTEMPTS; attempt++) {
    try {
      const server = await startMoto();
      provide('motoEndpoint', server.endpoint);
      return server.stop;
    } catch (error) {
      if (error instanceof MotoNotInstalled) {
        if (isCi()) {
          throw new Error(
            `${error.message}. CI must run the wire tests (test/wire): install moto with \`pip install "moto[server]"\`, ` +
              'or set MOTO_ENDPOINT to a running moto server.',
          );
        }
        console.warn(`[moto-server] ${error.message}: the wire tests (test/wire) are skipped. Install with \`pip install "moto[server]"\`.`);
        provide('motoEndpoint', undefined);
        return undefined;
      }
      if (error instanceof MotoNotAnswering) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

export interface RunningMoto {
  endpoint: string;
  stop: () => Promise<void>;
}

/** Starts moto_server on a free loopback port; `env` adds to its environment (the rehearsal sets MOTO_PORT). */
export async function startMoto(env: NodeJS.ProcessEnv = {}): Promise<RunningMoto> {
  const port = await freeLoopbackPort();
  const endpoint = `http://${HOST}:${port}`;
  const child = spawn(COMMAND, ['-H', HOST, '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' },
  });

  // moto logs every request; only the tail is kept, for the error message if it dies.
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ENOENT' ? new MotoNotInstalled(`${COMMAND} is not on PATH`) : error);
    });
    child.once('exit', (code, signal) => {
      resolve(
        code === COMMAND_NOT_FOUND_EXIT
          ? new MotoNotInstalled(`${COMMAND} is on PATH but could not run (exit ${code}): ${output.trim()}`)
          : new Error(`${COMMAND} exited (${signal ?? `code ${code}`}) before answering on ${endpoint}:\n${output.trim()}`),
      );
    });
  });

  const killOnExit = (): void => {
    if (isRunning(child)) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  try {
    await waitUntilAnswering(endpoint, exited);
  } catch (error) {
    process.off('exit', killOnExit);
    await stop(child);
    throw error;
  }

  // The server must never keep this process alive; teardown or the exit hook ends it.
  child.unref();
  for (const stream of [child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) stream?.unref?.();

  return {
    endpoint,
    stop: async () => {
      process.off('exit', killOnExit);
      await stop(child);
    },
  };
}

/** Polls until the server answers any HTTP request; rejects at once if `exited` settles first. */
async function waitUntilAnswering(endpoint: string, exited: Promise<Error> | undefined): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let died: Error | undefined;
  void exited?.then((error) => {
    died = error;
  });
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (died) throw died;
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return;
    } catch (error) {
      lastProblem = error instanceof Error ? `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}` : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  if (died) throw died;
  throw new MotoNotAnswering(`moto server at ${endpoint} did not answer within ${STARTUP_TIMEOUT_MS / 1000} s (${lastProblem})`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (isRunning(child)) child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

function isRunning(child: ChildProcess): boolean {
  // A child that never spawned (ENOENT) has no pid and never emits 'exit'.
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('could not find a free loopback port'))));
    });
  });
}

function isCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}
