/** Where a command writes: process.stdout in the CLI, a string sink in tests. */
export interface Output {
  write(text: string): unknown;
  /** Redraw in place (watch) only on a terminal. */
  isTTY?: boolean;
  /** The terminal's width: longer lines are cut so a redraw never wraps. */
  columns?: number;
}

/** What the commands take from the outside world, so tests give fakes. */
export interface Io {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  now(): Date;
  sleep(ms: number): Promise<void>;
}
