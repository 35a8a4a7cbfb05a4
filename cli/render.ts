import type { ListedExport } from '../shared/export-kinds/contract.ts';
import { hasEnded } from '../shared/export-kinds/listing.ts';
import { formatDuration } from '../shared/notify/record.ts';
import { progressBar as bar } from '../shared/runtime/format.ts';
import type { ListResult } from './paging.ts';

/** `[██████░░░░░░]`, the same bar as `npm start`'s. Unknown percent: an empty bar. */
export function progressBar(percent: number | null, width = 24): string {
  return `[${bar(percent, width)}]`;
}

/** `2026-11-23 03:10:00Z`: UTC, to the second. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The readable end of an ARN: `snapshot:rds:prod-db-2026`, `cluster:prod-aurora`, `image/ami-…`. */
export function shortSource(arn: string): string {
  const rds = /^arn:[^:]+:rds:[^:]*:\d*:(.+)$/.exec(arn);
  if (rds) return rds[1]!;
  const other = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:(.+)$/.exec(arn);
  return other ? other[1]! : arn || '-';
}

const percentText = (percent: number | null): string => (percent === null ? '-' : `${Math.round(percent)}%`);

const COLUMNS: Array<{ title: string; value: (item: ListedExport) => string; right?: boolean }> = [
  { title: 'ID', value: (item) => item.exportId },
  { title: 'SOURCE', value: (item) => shortSource(item.source) },
  { title: 'STATUS', value: (item) => item.status },
  { title: '%', value: (item) => percentText(item.percent), right: true },
  { title: 'STARTED', value: (item) => formatTime(item.startedAt) },
  { title: 'S3', value: (item) => item.s3 ?? '-' },
];

/** The table of `list`, and the token to go on with as its last line. */
export function renderTable(listing: ListResult): string {
  const rows = [COLUMNS.map((c) => c.title), ...listing.items.map((item) => COLUMNS.map((c) => c.value(item)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  if (listing.items.length === 0) lines.push('(no export tasks)');
  if (listing.nextToken) lines.push(`NextToken: ${listing.nextToken}`);
  return `${lines.join('\n')}\n`;
}

/** `list --json`: one JSON document, `{items, nextToken}` (null when everything was listed). */
export function renderJson(listing: ListResult): string {
  return `${JSON.stringify({ items: listing.items, nextToken: listing.nextToken }, null, 2)}\n`;
}


function elapsed(item: ListedExport, now: Date): string {
  if (!item.startedAt) return '';
  const end = item.endedAt ? Date.parse(item.endedAt) : now.getTime();
  return formatDuration((end - Date.parse(item.startedAt)) / 1000);
}

/** One refresh of `watch` on a terminal: a header and one bar per export, redrawn in place. */
export function renderWatchFrame(items: ListedExport[], context: { now: Date; intervalSeconds: number; note?: string }): string[] {
  const running = items.filter((item) => !hasEnded(item)).length;
  const header = `${formatTime(context.now.toISOString())}  ${items.length} export${items.length === 1 ? '' : 's'}, ${running} running  (every ${context.intervalSeconds}s, Ctrl-C to stop)${context.note ? `  ${context.note}` : ''}`;
  const idWidth = Math.max(0, ...items.map((item) => item.exportId.length));
  const statusWidth = Math.max(0, ...items.map((item) => item.status.length));
  const lines = items.map((item) =>
    [
      item.exportId.padEnd(idWidth),
      progressBar(item.percent),
      percentText(item.percent).padStart(4),
      item.status.padEnd(statusWidth),
      item.source ? shortSource(item.source) : '',
      elapsed(item, context.now),
    ]
      .join('  ')
      .trimEnd(),
  );
  return [header, ...lines];
}

/** One refresh of `watch` into a file or a pipe: one line, every export on it. */
export function renderWatchLine(items: ListedExport[], context: { now: Date; note?: string }): string {
  const parts = items.map((item) => `${item.exportId} ${item.status} ${percentText(item.percent)} ${progressBar(item.percent, 10)}`);
  return `${context.now.toISOString()}  ${parts.join(' | ')}${context.note ? `  ${context.note}` : ''}`;
}

/** The last line of `watch`: how every export ended. */
export function renderWatchSummary(items: ListedExport[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  const failures = items.filter((item) => item.status !== 'COMPLETE' && item.failureCause).map((item) => `${item.exportId}: ${item.failureCause}`);
  const tally = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  return `${items.length === 1 ? 'The export' : `All ${items.length} exports`} ended: ${tally}${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`;
}
