import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_SLOT_WAIT_LIMIT_SECONDS } from '../../shared/runtime/config.ts';
import {
  ASL_ERROR_NAMES,
  CannotCancelExport,
  ConfigurationError,
  ExportIdentifierConflict,
  ExportQuotaExceeded,
  ExportServiceError,
  InvalidExportRequest,
  MalformedEvent,
  MemberAccessDenied,
  TransientAwsError,
  UnknownExportStatus,
} from '../../shared/runtime/errors.ts';
import { dispatch } from '../../shared/slots/dispatch.ts';
import { MemoryCoordinationStore } from '../support/stores.ts';

// The one place where the state machine's error names meet the code's: every name a Retry or a
// Catch of statemachines/*.asl.json matches is one the code throws, every name the code throws or
// sends for the ASL to match is matched where it must be, and nothing is matched that the code
// never produces.

interface Rule {
  ErrorEquals: string[];
  Next?: string;
}
interface AslState {
  Type: string;
  Resource?: unknown;
  TimeoutSeconds?: number;
  Retry?: Rule[];
  Catch?: Rule[];
  Branches?: { States: Record<string, AslState> }[];
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
}

const STATE_MACHINES = new URL('../../statemachines/', import.meta.url);
const definitions = readdirSync(STATE_MACHINES)
  .filter((file) => file.endsWith('.asl.json'))
  .map((file) => ({ file, states: JSON.parse(readFileSync(new URL(file, STATE_MACHINES), 'utf8')).States as Record<string, AslState> }));

/** Every state of every definition, nested ones (Parallel branches, Map item processors) included. */
function allStates(states: Record<string, AslState>, file: string): Array<{ where: string; name: string; state: AslState }> {
  return Object.entries(states).flatMap(([name, state]) => [
    { where: `${file} ${name}`, name, state },
    ...[...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : []), ...(state.Iterator ? [state.Iterator] : [])].flatMap((inner) => allStates(inner.States, file)),
  ]);
}
const STATES = definitions.flatMap(({ file, states }) => allStates(states, file));
const TASKS = STATES.filter(({ state }) => state.Type === 'Task');
const state = (name: string) => STATES.find((s) => s.name === name)!.state;

/** Names Step Functions and the Lambda service produce themselves; every other name is ours. */
const isServiceName = (name: string) => /^(States|Lambda)\./.test(name);
const ruleNames = (rules: Rule[] | undefined) => (rules ?? []).flatMap((rule) => rule.ErrorEquals);
const ours = (names: string[]) => [...new Set(names.filter((name) => !isServiceName(name)))].sort();
const retried = (name: string) => ruleNames(state(name).Retry);
/** The state a Catch sends the error to: the first rule that matches it, as Step Functions reads them. */
const caughtBy = (name: string, error: string) => state(name).Catch?.find((rule) => rule.ErrorEquals.includes(error) || rule.ErrorEquals.includes('States.ALL'))?.Next;

/** The errors the workflow's Lambdas throw for the ASL to match by name, each made as the code makes it. */
const THROWN: Record<string, (cause: Error) => Error> = {
  [ASL_ERROR_NAMES.transient]: (cause) => new TransientAwsError('message', { cause }),
  [ASL_ERROR_NAMES.quotaExceeded]: (cause) => new ExportQuotaExceeded('message', { cause }),
  [ASL_ERROR_NAMES.cannotCancel]: (cause) => new CannotCancelExport('message', 'export-id', { cause }),
  [ASL_ERROR_NAMES.invalidRequest]: (cause) => new InvalidExportRequest(['problem'], { cause }),
  [ASL_ERROR_NAMES.malformedEvent]: (cause) => new MalformedEvent('message', { cause }),
  [ASL_ERROR_NAMES.memberAccessDenied]: (cause) => new MemberAccessDenied('message', { cause }),
};
/** The names the dispatcher sends with SendTaskFailure, for the state waiting on the token to catch. */
const SENT = [ASL_ERROR_NAMES.slotWaitTimedOut];
/** Never worth a retry: the same input fails the same way, or the service said no for good. */
const NEVER_RETRIED = [InvalidExportRequest, ExportServiceError, MalformedEvent, UnknownExportStatus, ExportIdentifierConflict, ConfigurationError, MemberAccessDenied].map((error) => error.name);

/** The non-test sources, where each matched error must be thrown. */
function sources(dir: URL): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(new URL(`${entry.name}/`, dir)) : entry.name.endsWith('.ts') ? [readFileSync(new URL(entry.name, dir), 'utf8')] : [],
  );
}
const CODE = ['shared/', 'functions/'].flatMap((dir) => sources(new URL(`../../${dir}`, import.meta.url))).join('\n');

describe('the ASL contract: error names the state machine matches and the code throws', () => {
  it('matches exactly the names of ASL_ERROR_NAMES the code throws: none without code, none of them left out', () => {
    const matched = ours(STATES.flatMap(({ state }) => [...ruleNames(state.Retry), ...ruleNames(state.Catch)]));

    expect(matched).toEqual(Object.keys(THROWN).sort());
    expect([...matched, ...SENT].sort()).toEqual(Object.values(ASL_ERROR_NAMES).sort());
  });

  it.each(Object.entries(THROWN))('names %s as its class does, and the code throws it', (name, make) => {
    const cause = new Error('the cause');

    const error = make(cause);

    expect(error.name).toBe(name);
    expect(error.cause).toBe(cause);
    expect(CODE).toMatch(new RegExp(`new ${name}\\(`));
  });

  it('retries TransientAwsError (throttling, 5xx, timeouts) in every Task state', () => {
    for (const { where, state } of TASKS) expect(ruleNames(state.Retry), where).toContain(ASL_ERROR_NAMES.transient);
  });

  it('retries no error the code means as final, and has no catch-all Retry that would', () => {
    for (const { where, state } of TASKS) {
      const names = ruleNames(state.Retry);
      expect(names, where).not.toContain('States.ALL');
      for (const name of NEVER_RETRIED) expect(names, `${where} retries ${name}`).not.toContain(name);
    }
  });

  it('sends a StartExport refused for the quota (ExportQuotaExceeded) back to the slot queue after its retries', () => {
    expect(retried('StartExport')).toContain(ASL_ERROR_NAMES.quotaExceeded);
    expect(caughtBy('StartExport', ASL_ERROR_NAMES.quotaExceeded)).toBe('AdmitExport');
  });

  it("notifies, never retries, a member account whose role cannot be assumed (MemberAccessDenied), wherever RDS is called", () => {
    for (const name of ['StartExport', 'PollExport', 'CancelExport']) {
      expect(retried(name), name).not.toContain(ASL_ERROR_NAMES.memberAccessDenied);
      expect(caughtBy(name, ASL_ERROR_NAMES.memberAccessDenied), name).toBe('NotifyFailure');
      expect(state(name).Catch?.[0]?.ErrorEquals, name).toEqual([ASL_ERROR_NAMES.memberAccessDenied]);
    }
  });

  it('tells, not fails, when an export cannot be canceled (CannotCancelExport)', () => {
    expect(retried('CancelExport')).not.toContain(ASL_ERROR_NAMES.cannotCancel);
    expect(caughtBy('CancelExport', ASL_ERROR_NAMES.cannotCancel)).toBe('NotifyNotFollowed');
  });

  it('routes the SlotWaitTimedOut the dispatcher sends with SendTaskFailure to the failure notification', async () => {
    // Prepare: an execution that has waited past the slot wait limit.
    const store = new MemoryCoordinationStore();
    const requestedAt = '2026-01-01T00:00:00.000Z';
    await store.enqueue(MemoryCoordinationStore.DEFAULT_PLACE, { exportId: 'snap-1', sourceArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:snap-1', token: 'token-1', requestedAt, execution: 'execution-1', release: { request: {} as never, bounds: { minSeconds: 60, maxSeconds: 3600 } } });
    const failed: string[] = [];
    const callbacks = { succeed: async () => true, fail: async (_token: string, error: string) => (failed.push(error), true) };

    // Act
    await dispatch({ store, callbacks, exports: { active: async () => [] }, quota: () => 5, leaseSeconds: 600, slotWaitLimitSeconds: 86400 }, MemoryCoordinationStore.DEFAULT_PLACE, new Date('2026-03-01T00:00:00Z'));

    // Assess: the name sent is the constant, and AdmitExport's catch sends it on to be notified.
    expect(failed).toEqual(SENT);
    expect(caughtBy('AdmitExport', ASL_ERROR_NAMES.slotWaitTimedOut)).toBe('NotifyFailure');
  });

  it('gives AdmitExport a backstop timeout one day past the longest slot wait, which with a 7-day deadline fits in Step Functions Standard’s one-year limit', () => {
    expect(state('AdmitExport').TimeoutSeconds).toBe(MAX_SLOT_WAIT_LIMIT_SECONDS + 86400);
    expect(MAX_SLOT_WAIT_LIMIT_SECONDS + 7 * 86400 + 86400).toBeLessThan(365 * 86400);
    expect(state('AdmitExport').Catch?.at(-1)).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure' }));
  });

  it('drops a refused input from the state before it is notified, so no input makes the failure state larger than the error', () => {
    // An input of up to 256 KB beside its error would pass Step Functions' 256 KB: States.DataLimitExceeded, which no catch sees.
    // No ResultPath: the error replaces the state (the default, "$").
    expect(state('AdmitExport').Catch?.[0]).toEqual({ ErrorEquals: [ASL_ERROR_NAMES.invalidRequest, ASL_ERROR_NAMES.malformedEvent], Next: 'InputRefused' });
    expect(state('InputRefused')).toMatchObject({ Type: 'Pass', Parameters: { 'error.$': '$', 'execution.$': '$$.Execution.Name' }, Next: 'NotifyFailure' });
  });
});
