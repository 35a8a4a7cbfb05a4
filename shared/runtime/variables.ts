/**
 * How one environment variable is read: the vocabulary of the configuration shapes (config.ts and
 * shared/triggers/config.ts). Plain functions rather than zod: every Lambda reads its configuration
 * at its cold start, and building zod schemas there cost more than the rest of the reading
 * (npm run bench -- bundles). Execution input is still zod's (each kind's request.ts).
 *
 * A variable's text is never repeated in a problem: it may be a secret pasted in the wrong place.
 * The builders are marked free of side effects and the shapes are built in calls annotated pure,
 * so that a bundle drops the shapes its function does not read (esbuild drops an unused pure call).
 */

/** A value read, or everything wrong with the text. */
export type Reading<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** What is wrong with a text or a number: a message saying what it must be, or undefined when it is fine. */
export type Check<T> = (value: T) => string | undefined;

export interface Variable<T> {
  read(text: string): Reading<T>;
  /** When the variable is not set: its default, left out of the configuration, or (absent) a problem. */
  readonly unset?: { value: T } | 'omitted';
}

export type Shape = Readonly<Record<string, Variable<unknown>>>;

type ValueOf<V> = V extends Variable<infer T> ? T : never;
type OmittedKeys<S extends Shape> = { [K in keyof S]: S[K]['unset'] extends 'omitted' ? K : never }[keyof S];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The configuration a shape reads: a key per variable, optional where an unset variable is left out. */
export type ConfigOf<S extends Shape> = Simplify<
  { [K in Exclude<keyof S, OmittedKeys<S>>]: ValueOf<S[K]> } & { [K in OmittedKeys<S>]?: ValueOf<S[K]> }
>;

const success = <T>(found: T): Reading<T> => ({ ok: true, value: found });

function checked<T>(found: T, checks: ReadonlyArray<Check<T>>): Reading<T> {
  const problems = checks.map((check) => check(found)).filter((problem): problem is string => problem !== undefined);
  return problems.length === 0 ? success(found) : { ok: false, problems };
}

/** Any text that passes every check (all are run: each failure is named). Required unless given a default. */
/* @__NO_SIDE_EFFECTS__ */
export function text(...checks: Array<Check<string>>): Variable<string> {
  return { read: (raw) => checked(raw, checks) };
}

/** A whole number (a safe integer) written in decimal digits, with an optional minus sign, that passes every check. */
/* @__NO_SIDE_EFFECTS__ */
export function wholeNumber(notWhole: string, ...checks: Array<Check<number>>): Variable<number> {
  return {
    read: (raw) => {
      const digits = raw.trim();
      // + 0 reads "-0" as 0.
      const number = /^-?\d+$/.test(digits) ? Number(digits) + 0 : Number.NaN;
      return Number.isSafeInteger(number) ? checked(number, checks) : { ok: false, problems: [notWhole] };
    },
  };
}

/** One of these words, exactly (a deploy-time check, config/verify-resources.cjs, reads the same words). */
/* @__NO_SIDE_EFFECTS__ */
export function oneOf<const Word extends string>(words: readonly Word[], problem: string): Variable<Word> {
  return { read: (raw) => ((words as readonly string[]).includes(raw) ? success(raw as Word) : { ok: false, problems: [problem] }) };
}

/** `true` or `false` in any case (not padded), as a boolean. */
/* @__NO_SIDE_EFFECTS__ */
export function flag(problem: string): Variable<boolean> {
  return {
    read: (raw) => {
      const word = raw.toLowerCase();
      return word === 'true' || word === 'false' ? success(word === 'true') : { ok: false, problems: [problem] };
    },
  };
}

/** A text read into a value of its own (a list, a table of overrides) by a function that names each problem. */
/* @__NO_SIDE_EFFECTS__ */
export function parsed<T>(read: (raw: string) => Reading<T>): Variable<T> {
  return { read };
}

/**
 * The variable, or this value when it is not set (taken as it is, not checked). Every reading gets
 * the same value: a list or a table is frozen (and typed readonly), so no reader can change another's.
 */
/* @__NO_SIDE_EFFECTS__ */
export function withDefault<T>(variable: Variable<T>, fallback: T): Variable<T> {
  return { read: variable.read, unset: { value: fallback } };
}

/** The variable, left out of the configuration when it is not set. */
/* @__NO_SIDE_EFFECTS__ */
export function optional<T>(variable: Variable<T>): Variable<T> & { readonly unset: 'omitted' } {
  return { read: variable.read, unset: 'omitted' };
}

// The checks the shapes use, each with the message that says what the value must be.
/* @__NO_SIDE_EFFECTS__ */
export function minLength(least: number, problem: string): Check<string> {
  return (raw) => (raw.length >= least ? undefined : problem);
}
/* @__NO_SIDE_EFFECTS__ */
export function startsWith(prefix: string, problem: string): Check<string> {
  return (raw) => (raw.startsWith(prefix) ? undefined : problem);
}
/* @__NO_SIDE_EFFECTS__ */
export function matches(pattern: RegExp, problem: string): Check<string> {
  return (raw) => (pattern.test(raw) ? undefined : problem);
}
/* @__NO_SIDE_EFFECTS__ */
export function refuses(pattern: RegExp, problem: string): Check<string> {
  return (raw) => (pattern.test(raw) ? problem : undefined);
}
/* @__NO_SIDE_EFFECTS__ */
export function atLeast(least: number, problem: string): Check<number> {
  return (n) => (n >= least ? undefined : problem);
}
/* @__NO_SIDE_EFFECTS__ */
export function atMost(most: number, problem: string): Check<number> {
  return (n) => (n <= most ? undefined : problem);
}

/**
 * Reads a shape's variables from the environment, in the shape's order: every variable not set
 * (without a default) and every malformed one is named in one problem list. Only the shape's
 * variables are returned; one not set and `optional` is left out.
 */
export function readVariables<S extends Shape>(shape: S, env: Readonly<Record<string, string | undefined>>): { config: ConfigOf<S>; problems: string[] } {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(shape)) {
    const raw = env[name];
    if (raw === undefined) {
      if (variable.unset === undefined) problems.push(`${name} is not set`);
      else if (variable.unset !== 'omitted') config[name] = variable.unset.value;
      continue;
    }
    const reading = variable.read(raw);
    if (reading.ok) config[name] = reading.value;
    else problems.push(...reading.problems.map((problem) => `${name}: ${problem}`));
  }
  return { config: config as ConfigOf<S>, problems };
}
