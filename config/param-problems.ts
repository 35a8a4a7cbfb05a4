/**
 * What a function would say at its cold start of the values serverless.yml hands it from the
 * parameters: the same shapes read them (shared/runtime/config.ts, shared/triggers/config.ts), so a
 * deploy refuses exactly what the functions would refuse, with the same words. Bundled and run by
 * config/check-params.cjs when `serverless package` or `deploy` resolves the configuration.
 */
import * as runtimeShapes from '../shared/runtime/config.ts';
import * as triggerShapes from '../shared/triggers/config.ts';
import type { Shape, Variable } from '../shared/runtime/variables.ts';

/** A function's environment variable set from a parameter (`NAME: ${param:name}` in serverless.yml). */
export interface ParamValue {
  param: string;
  variable: string;
  value: string;
}

const SHAPES: Shape[] = [runtimeShapes, triggerShapes].flatMap((module) =>
  Object.entries(module)
    .filter(([name]) => name.endsWith('Shape'))
    .map(([, shape]) => shape as Shape),
);

/** The readers of one environment variable, once each (a variable may sit in several shapes). */
function readersOf(variable: string): Array<Variable<unknown>> {
  return [...new Set(SHAPES.filter((shape) => Object.hasOwn(shape, variable)).map((shape) => shape[variable]!))];
}

/** Every problem, once, naming the parameter and the variable; never the value (it may be a secret pasted in the wrong place). */
export function paramProblems(values: readonly ParamValue[]): string[] {
  const problems = new Set<string>();
  for (const { param, variable, value } of values) {
    for (const reader of readersOf(variable)) {
      const reading = reader.read(value);
      if (!reading.ok) for (const problem of reading.problems) problems.add(`${param} (${variable}) ${problem}`);
    }
  }
  return [...problems];
}

/** The variables some function reads: a parameter that sets none of these is not checked here. */
export function isReadByAFunction(variable: string): boolean {
  return readersOf(variable).length > 0;
}
