import { describe, expect, it } from 'vitest';
import { TRUNCATED_WARNING, normaliseAdsStatus, observeAdsExport } from '../../shared/export-kinds/ads/status.ts';
import { UnknownExportStatus } from '../../shared/runtime/errors.ts';

describe('normaliseAdsStatus', () => {
  it.each([
    ['IN_PROGRESS', { status: 'IN_PROGRESS', percent: 0 }],
    ['SUCCEEDED', { status: 'COMPLETE', percent: 100 }],
    ['FAILED', { status: 'FAILED', percent: 0 }],
    [' succeeded ', { status: 'COMPLETE', percent: 100 }],
  ] as const)('reads %j as %j (ADS reports no percentage)', (raw, expected) => {
    expect(normaliseAdsStatus(raw)).toEqual(expected);
  });

  it.each(['CANCELED', 'COMPLETE', '', undefined])('refuses the unknown status %j with UnknownExportStatus, naming it', (raw) => {
    expect(() => normaliseAdsStatus(raw)).toThrow(UnknownExportStatus);
    expect(() => normaliseAdsStatus(raw)).toThrow(`"${raw}"`);
  });
});

describe('observeAdsExport', () => {
  it('reads a succeeded export: epoch-second times as ISO, the download URL, no warning', () => {
    const observation = observeAdsExport({
      exportId: 'export-1',
      exportStatus: 'SUCCEEDED',
      statusMessage: 'Data export succeeded.',
      configurationsDownloadUrl: 'https://bucket.s3.amazonaws.com/export-1.zip?X-Amz-Signature=abc',
      exportRequestTime: 1767225600.5,
      isTruncated: false,
      requestedStartTime: 1767139200,
      requestedEndTime: 1767225600,
    });

    expect(observation).toEqual({
      exportId: 'export-1',
      sourceArn: '',
      status: 'COMPLETE',
      percent: 100,
      taskStartTime: '2026-01-01T00:00:00.500Z',
      downloadUrl: 'https://bucket.s3.amazonaws.com/export-1.zip?X-Amz-Signature=abc',
      requestedStartTime: '2025-12-31T00:00:00.000Z',
      requestedEndTime: '2026-01-01T00:00:00.000Z',
    });
  });

  it('warns that a truncated export needs a narrower time range', () => {
    expect(observeAdsExport({ exportId: 'export-1', exportStatus: 'SUCCEEDED', isTruncated: true }).warning).toBe(TRUNCATED_WARNING);
    expect(TRUNCATED_WARNING).toBe('The export was truncated: narrow the time range (startTime/endTime)');
  });

  it('gives a failed export its statusMessage as the cause, or says ADS gave none', () => {
    expect(observeAdsExport({ exportId: 'e', exportStatus: 'FAILED', statusMessage: 'Agent data unavailable' })).toMatchObject({
      status: 'FAILED',
      failureCause: 'Agent data unavailable',
    });
    expect(observeAdsExport({ exportId: 'e', exportStatus: 'FAILED', statusMessage: ' ' }).failureCause).toBe('Application Discovery Service gave no reason');
  });

  it('reads ISO-8601 timestamps too', () => {
    expect(observeAdsExport({ exportId: 'e', exportStatus: 'IN_PROGRESS', exportRequestTime: '2026-01-01T00:00:00Z' }).taskStartTime).toBe('2026-01-01T00:00:00.000Z');
  });
});
