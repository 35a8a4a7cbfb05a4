import { describe, expect, it } from 'vitest';
import type { ListedExport } from '../../shared/export-kinds/contract.ts';
import { formatTime, progressBar, renderJson, renderTable, renderWatchFrame, renderWatchLine, renderWatchSummary, shortSource } from '../../cli/render.ts';

const running: ListedExport = {
  exportId: 'prod-db-c2865e44c1',
  source: 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10',
  sourceType: 'SNAPSHOT',
  status: 'IN_PROGRESS',
  percent: 42,
  startedAt: '2026-11-23T03:10:00.000Z',
  s3: 's3://exports/prod-db/2026-11-23',
};
const failed: ListedExport = { exportId: 'x-1', source: '', status: 'FAILED', percent: null, failureCause: 'S3 access denied' };

describe('rendering', () => {
  it('progress bars: 24 cells, clamped, unknown as empty', () => {
    expect(progressBar(0)).toBe(`[${'░'.repeat(24)}]`);
    expect(progressBar(50)).toBe(`[${'█'.repeat(12)}${'░'.repeat(12)}]`);
    expect(progressBar(140, 10)).toBe(`[${'█'.repeat(10)}]`);
    expect(progressBar(null, 4)).toBe('[░░░░]');
  });

  it('times in UTC to the second, sources by their readable end', () => {
    expect(formatTime('2026-11-23T03:10:00.123Z')).toBe('2026-11-23 03:10:00Z');
    expect(formatTime(undefined)).toBe('-');
    expect(shortSource(running.source)).toBe('snapshot:rds:prod-db-2026-11-23-03-10');
    expect(shortSource('arn:aws:rds:us-east-1:123456789012:cluster:aurora')).toBe('cluster:aurora');
    expect(shortSource('arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0')).toBe('image/ami-0123456789abcdef0');
  });

  it('the table: aligned columns (id, source, status, percent, started, S3) and the NextToken last', () => {
    expect(renderTable({ items: [running, failed], nextToken: 'eyJ4IjoxfQ==' })).toBe(
      [
        'ID                  SOURCE                                 STATUS         %  STARTED               S3',
        'prod-db-c2865e44c1  snapshot:rds:prod-db-2026-11-23-03-10  IN_PROGRESS  42%  2026-11-23 03:10:00Z  s3://exports/prod-db/2026-11-23',
        'x-1                 -                                      FAILED         -  -                     -',
        'NextToken: eyJ4IjoxfQ==',
        '',
      ].join('\n'),
    );
    expect(renderTable({ items: [], nextToken: null })).toBe('ID  SOURCE  STATUS  %  STARTED  S3\n(no export tasks)\n');
  });

  it('--json: one document, {items, nextToken}', () => {
    expect(JSON.parse(renderJson({ items: [running], nextToken: null }))).toEqual({ items: [running], nextToken: null });
  });

  it('watch: a frame per refresh on a terminal, a line per refresh elsewhere, and a summary', () => {
    const now = new Date('2026-11-23T03:40:00Z');

    const frame = renderWatchFrame([running, failed], { now, intervalSeconds: 10 });
    const line = renderWatchLine([running, failed], { now });

    expect(frame[0]).toBe('2026-11-23 03:40:00Z  2 exports, 1 running  (every 10s, Ctrl-C to stop)');
    expect(frame[1]).toBe(`prod-db-c2865e44c1  ${progressBar(42)}   42%  IN_PROGRESS  snapshot:rds:prod-db-2026-11-23-03-10  30m 0s`);
    expect(frame[2]).toBe(`x-1                 ${progressBar(null)}     -  FAILED`);
    expect(line).toBe(`2026-11-23T03:40:00.000Z  prod-db-c2865e44c1 IN_PROGRESS 42% ${progressBar(42, 10)} | x-1 FAILED - ${progressBar(null, 10)}`);
    expect(renderWatchSummary([{ ...running, status: 'COMPLETE', percent: 100 }, failed])).toBe('All 2 exports ended: 1 COMPLETE, 1 FAILED (x-1: S3 access denied)');
  });
});
