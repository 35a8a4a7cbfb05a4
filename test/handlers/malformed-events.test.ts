import { describe, expect, it, vi } from 'vitest';
import { makeHandler as admitExport } from '../../functions/admit-export/app.ts';
import { makeHandler as awaitExport } from '../../functions/await-export/app.ts';
import { makeHandler as cancelExport } from '../../functions/cancel-export/app.ts';
import { makeHandler as dispatchExports } from '../../functions/dispatch-exports/app.ts';
import { makeHandler as exportEvent } from '../../functions/export-event/app.ts';
import { makeHandler as notify } from '../../functions/notify/app.ts';
import { makeHandler as planExports } from '../../functions/plan-exports/app.ts';
import { makeHandler as pollExport } from '../../functions/poll-export/app.ts';
import { makeHandler as reconcileSnapshots } from '../../functions/reconcile-snapshots/app.ts';
import { makeHandler as verifyExport } from '../../functions/verify-export/app.ts';
import { makeHandler as slackNotify } from '../../functions/slack-notify/app.ts';
import { makeHandler as snapshotTrigger } from '../../functions/snapshot-trigger/app.ts';
import { makeHandler as startExport } from '../../functions/start-export/app.ts';
import { MalformedEvent } from '../../shared/runtime/errors.ts';
import { shapeProblems } from '../../shared/runtime/event-shape.ts';
import { QUOTE_LIMIT } from '../../shared/runtime/format.ts';
import type { DispatchDeps } from '../../shared/slots/dispatch.ts';
import { lambdaContext } from '../support/lambda.ts';
import { clock, defaults } from '../support/requests.ts';
import { mockCoordinationStore } from '../support/stores.ts';

// Whatever a state machine, EventBridge, SNS or a person hands a Lambda, it ends in a named error
// (the state machine's catch-all routes MalformedEvent to the failure notification) or, for the
// scheduled functions that read nothing of their event, in a normal run: never in a TypeError.

/** A port that must not be reached: a malformed event is refused before any AWS call. */
const untouchable = new Proxy({}, { get: (_, key) => (key === 'then' ? undefined : () => { throw new Error(`reached ${String(key)}`); }) }) as never;
const slots = (): DispatchDeps => ({
  store: mockCoordinationStore([]),
  exports: { running: vi.fn(async () => []) } as never,
  callbacks: { succeed: vi.fn(async () => true), fail: vi.fn(async () => true) },
  quota: () => 5,
  leaseSeconds: 600,
  slotWaitLimitSeconds: 86400,
});

const MALFORMED: Array<[string, unknown]> = [
  ['null', null],
  ['an empty object', {}],
  ['an empty list', []],
  ['a string', 'sourceArn=arn:aws:rds:...'],
  ['a number', 42],
  ['an object missing its fields', { detail: null, Records: null, request: 'x' }],
];

/** The Lambdas whose event is a state or an EventBridge/SNS event they must read. */
const STEPS: Record<string, () => (event: unknown, context: never) => Promise<unknown>> = {
  admitExport: () => admitExport({ defaults, slots: slots(), clock }) as never,
  startExport: () => startExport({ providerFor: () => untouchable, publisher: untouchable, clock }) as never,
  pollExport: () => pollExport({ providerFor: () => untouchable, slots: slots(), publisher: untouchable, clock }) as never,
  cancelExport: () => cancelExport({ providerFor: () => untouchable, publisher: untouchable, clock }) as never,
  notify: () => notify({ publisher: untouchable, clock }) as never,
  verifyExport: () => verifyExport({ verify: untouchable, publisher: untouchable, clock }) as never,
  awaitExport: () => awaitExport({ store: untouchable, callbacks: untouchable }) as never,
  exportEvent: () => exportEvent({ slots: slots(), clock }) as never,
  snapshotTrigger: () =>
    snapshotTrigger({ catalog: untouchable, starter: untouchable, settings: { selection: { include: ['*'], exclude: [], types: ['manual'] }, backupEvents: false }, clock }) as never,
  slackNotify: () => slackNotify({ webhook: { get: async () => 'https://hooks.slack.com/services/x' }, fetch: untouchable }) as never,
};

describe('malformed events', () => {
  describe.each(Object.keys(STEPS))('%s', (name) => {
    it.each(MALFORMED.filter(([label]) => !(label === 'an empty object' && ['exportEvent', 'snapshotTrigger'].includes(name))))(
      'refuses %s with MalformedEvent, naming what is wrong',
      async (_, event) => {
        // Act
        const outcome = await STEPS[name]!()(event, lambdaContext(name) as never).then(
          (result) => ({ result }),
          (error: Error) => ({ error }),
        );

        // Assess: for the event-driven ones, an object that is not theirs is ignored (not an error).
        if ('result' in outcome) {
          expect(['exportEvent', 'snapshotTrigger']).toContain(name);
          expect(typeOf(event)).toBe('object');
          return;
        }
        expect(outcome.error).toBeInstanceOf(MalformedEvent);
        expect(outcome.error.name).toBe('MalformedEvent');
        expect(outcome.error.message).toMatch(/must be/);
      },
    );
  });

  it.each([
    ['dispatchExports', () => dispatchExports({ slots: slots(), clock })],
    ['planExports', () => planExports({ catalog: untouchable, exports: untouchable, starter: untouchable, sources: [], clock })],
    [
      'reconcileSnapshots',
      () =>
        reconcileSnapshots({
          places: { served: [{ account: '123456789012', region: 'us-east-1' }], listingsOf: () => ({ createdSince: async () => [], exportedSources: untouchable }) },
          inFlight: untouchable,
          starter: untouchable,
          settings: { selection: { include: ['*'], exclude: [], types: ['manual'] }, lookbackSeconds: 86400 },
          clock,
        }),
    ],
  ] as const)('%s reads nothing of its (scheduled) event: any event runs it normally', async (name, make) => {
    for (const [, event] of MALFORMED) await expect(make()(event as never, lambdaContext(name))).resolves.toBeDefined();
  });

  it('quotes a bad value clipped, so a huge event never makes a huge error', () => {
    const [problem] = shapeProblems({ token: 'x'.repeat(200_000) }, { token: 'object' });

    expect(problem!.length).toBeLessThan(QUOTE_LIMIT + 60);
    expect(problem).toMatch(/^token must be an object, got string "x+…"$/);
  });
});

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}
