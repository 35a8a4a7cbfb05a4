import { describe, expect, it } from 'vitest';
import { UnknownExportStatus } from '../../shared/runtime/errors.ts';
import { EXPORT_STATUSES, isTerminal, normaliseRdsStatus } from '../../shared/export-kinds/status.ts';

describe('normaliseRdsStatus', () => {
  it.each([
    ['STARTING', 'STARTING'],
    ['IN_PROGRESS', 'IN_PROGRESS'],
    ['COMPLETE', 'COMPLETE'],
    ['FAILED', 'FAILED'],
    ['CANCELING', 'CANCELING'],
    ['CANCELED', 'CANCELED'],
  ] as const)('reads the documented status %s as is', (raw, expected) => {
    expect(normaliseRdsStatus(raw)).toBe(expected);
  });

  it.each([
    ['complete', 'COMPLETE'],
    ['starting', 'STARTING'],
    ['in_progress', 'IN_PROGRESS'],
    ['in-progress', 'IN_PROGRESS'],
    ['In Progress', 'IN_PROGRESS'],
    ['canceling', 'CANCELING'],
    ['canceled', 'CANCELED'],
    ['failed', 'FAILED'],
    [' complete\n', 'COMPLETE'],
  ] as const)('reads the emulator spelling %j as %s', (raw, expected) => {
    expect(normaliseRdsStatus(raw)).toBe(expected);
  });

  it.each(['paused', 'CANCELLED', 'TIMED_OUT', '', undefined])('refuses the unknown status %j with UnknownExportStatus', (raw) => {
    expect(() => normaliseRdsStatus(raw)).toThrow(UnknownExportStatus);
  });

  it('names the status it does not know', () => {
    expect(() => normaliseRdsStatus('paused')).toThrow(expect.objectContaining({ name: 'UnknownExportStatus', message: expect.stringContaining('"paused"') }));
  });
});

describe('isTerminal', () => {
  it('holds for the statuses an export ends in', () => {
    expect(EXPORT_STATUSES.filter(isTerminal)).toEqual(['COMPLETE', 'FAILED', 'CANCELED', 'TIMED_OUT']);
  });

  it('does not hold while the export may still change', () => {
    expect(EXPORT_STATUSES.filter((status) => !isTerminal(status))).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING']);
  });
});
