/**
 * The least a Lambda's event must be before its step can read it. A state machine hands each step
 * what the previous one returned, and EventBridge, SNS or a person invoking by hand can hand it
 * anything: `null`, `[]`, a string, an object without its fields. Checked first, so such an event
 * ends in one named error (MalformedEvent) that says what was wrong, never in a TypeError.
 */

import { quote } from './format.ts';

export type FieldType = 'object' | 'string' | 'array' | 'number' | 'boolean';

/** Dotted paths to the fields a step reads, with their types; `''` is the event itself. */
export type EventShape = Readonly<Record<string, FieldType>>;

export function typeOf(value: unknown): FieldType | 'null' | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  return type === 'object' || type === 'string' || type === 'number' || type === 'boolean' ? type : 'undefined';
}

/** What is wrong with the event, field by field (none when it has the shape, or one of the alternative shapes). */
export function shapeProblems(event: unknown, expected: EventShape | readonly EventShape[]): string[] {
  if (!isAlternatives(expected)) return fieldProblems(event, expected);
  const each = expected.map((shape) => fieldProblems(event, shape));
  if (each.some((problems) => problems.length === 0)) return [];
  return [`it matches none of its ${expected.length} forms: ${each.map((problems, i) => `(${i + 1}) ${problems.join(', ')}`).join('; ')}`];
}

function isAlternatives(expected: EventShape | readonly EventShape[]): expected is readonly EventShape[] {
  return Array.isArray(expected);
}

function fieldProblems(event: unknown, shape: EventShape): string[] {
  const problems: string[] = [];
  for (const [path, expected] of Object.entries(shape)) {
    const value = path === '' ? event : path.split('.').reduce<unknown>((at, key) => (typeOf(at) === 'object' ? (at as Record<string, unknown>)[key] : undefined), event);
    const actual = typeOf(value);
    if (actual !== expected) problems.push(`${path || 'the event'} must be ${article(expected)} ${expected}, got ${actual === 'undefined' ? 'nothing' : `${actual} ${quote(value)}`}`);
  }
  return problems;
}

function article(type: FieldType): string {
  return type === 'object' || type === 'array' ? 'an' : 'a';
}

const EXPORT_STATE: EventShape = { '': 'object', request: 'object', 'request.source': 'object', 'request.exportId': 'string', status: 'string' };

/** What each Lambda reads of its event (the types are in shared/: AdmissionInput, StartInput, ExportState, ...). */
export const EVENT_SHAPES = {
  admitExport: { '': 'object', token: 'string', requestedAt: 'string', execution: 'string' },
  startExport: { '': 'object', request: 'object', 'request.source': 'object', 'request.exportId': 'string', bounds: 'object' },
  pollExport: EXPORT_STATE,
  cancelExport: EXPORT_STATE,
  verifyExport: EXPORT_STATE,
  /** An ExportState, or a failed step's input (the state machine's { error: { Error, Cause } }). */
  notify: [{ '': 'object', error: 'object', 'error.Error': 'string' }, EXPORT_STATE],
  awaitExport: { '': 'object', token: 'string', sourceArn: 'string', exportStartedAt: 'string' },
  /** EventBridge events: anything that is an object is parsed, and what is not an RDS event is ignored. */
  exportEvent: { '': 'object' },
  snapshotTrigger: { '': 'object' },
  slackNotify: { '': 'object', Records: 'array' },
} as const satisfies Record<string, EventShape | readonly EventShape[]>;
