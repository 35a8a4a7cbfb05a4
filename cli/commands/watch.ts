import { isTransient } from '../../shared/runtime/aws-errors.ts';
import { ASL_ERROR_NAMES } from '../../shared/runtime/errors.ts';
import type { WatchArgs } from '../args.ts';
import { EXIT_AWS, EXIT_OK } from '../errors.ts';
import type { Output } from '../io.ts';
import type { ListedExport } from '../../shared/export-kinds/contract.ts';
import { hasEnded } from '../../shared/export-kinds/listing.ts';
import { renderWatchFrame, renderWatchLine, renderWatchSummary } from '../render.ts';

/** What `watch` reads (the RDS kind in the CLI, a fake in tests). */
export interface WatchSource {
  /** Every export that has not ended. */
  running(): Promise<ListedExport[]>;
  /** One export; ExportTaskNotFound when there is none. */
  describe(exportId: string): Promise<ListedExport>;
}

export interface WatchDeps {
  source: WatchSource;
  stdout: Output;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** Refreshes that fail for throttling or a 5xx in a row before watch gives up. */
const TOLERATED_FAILURES = 3;

/**
 * `watch`: refreshes every --interval seconds until every watched export ended. With IDs it
 * describes those (an unknown one is an error at once); without, it follows every running export,
 * adding those that start meanwhile and describing each one that left the running list once, to
 * learn how it ended. Exit status 0 when all completed, 1 otherwise.
 */
export async function watchCommand(args: WatchArgs, deps: WatchDeps): Promise<number> {
  const { source, stdout } = deps;
  const watched = new Map<string, ListedExport>();
  const refresh = async (): Promise<void> => {
    if (args.ids.length > 0) {
      for (const id of args.ids) {
        const known = watched.get(id);
        if (!known || !hasEnded(known)) watched.set(id, await source.describe(id));
      }
      return;
    }
    const running = await source.running();
    const stillRunning = new Set(running.map((item) => item.exportId));
    for (const item of running) watched.set(item.exportId, item);
    for (const [id, item] of watched) {
      if (!hasEnded(item) && !stillRunning.has(id)) watched.set(id, await source.describe(id));
    }
  };

  await refresh();
  if (watched.size === 0) {
    stdout.write('No running export tasks.\n');
    return EXIT_OK;
  }
  const tty = stdout.isTTY === true;
  let drawn = 0;
  let failures = 0;
  let note: string | undefined;
  while (true) {
    const items = [...watched.values()];
    const now = deps.now();
    if (tty) {
      const width = stdout.columns && stdout.columns > 1 ? stdout.columns - 1 : undefined;
      const lines = renderWatchFrame(items, { now, intervalSeconds: args.intervalSeconds, ...(note ? { note } : {}) }).map((line) => (width ? cut(line, width) : line));
      // Back to the first line of the last frame, clear to the end of the screen, draw again.
      stdout.write(`${drawn > 0 ? `\x1b[${drawn}A\r\x1b[J` : ''}${lines.join('\n')}\n`);
      drawn = lines.length;
    } else {
      stdout.write(`${renderWatchLine(items, { now, ...(note ? { note } : {}) })}\n`);
    }
    if (items.every(hasEnded)) {
      stdout.write(`${renderWatchSummary(items)}\n`);
      return items.every((item) => item.status === 'COMPLETE') ? EXIT_OK : EXIT_AWS;
    }
    await deps.sleep(args.intervalSeconds * 1000);
    try {
      await refresh();
      failures = 0;
      note = undefined;
    } catch (error) {
      if (!isTransientChain(error) || ++failures >= TOLERATED_FAILURES) throw error;
      note = `(refresh failed: ${(error as Error).message}; trying again)`;
    }
  }
}

function isTransientChain(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (isTransient(e) || (e as Error).name === ASL_ERROR_NAMES.transient) return true;
  }
  return false;
}

/** Cuts a line to the terminal's width (in characters: the bars are one column each). */
function cut(line: string, width: number): string {
  const chars = [...line];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : line;
}
