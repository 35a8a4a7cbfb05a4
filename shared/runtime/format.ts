/** Text helpers of the notifications (shared by the export's and the verification's lines). */

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h ${m}m ${rest}s` : m > 0 ? `${m}m ${rest}s` : `${rest}s`;
}

/** Step Functions hands a Lambda error's cause as the JSON the Lambda runtime wrote; locally it is the message itself. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

/** Values quoted in errors, logs and notifications are clipped: a message must never carry a whole input. */
export const QUOTE_LIMIT = 80;

/** Text cut to at most `limit` characters, an ellipsis marking the cut (never splitting a surrogate pair): the one clipping helper. */
export function clip(text: string, limit: number, ellipsis = '…'): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - ellipsis.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}${ellipsis}`;
}

/**
 * A value as a message quotes it: JSON (so a string shows its quotes and its control characters
 * escaped), clipped to QUOTE_LIMIT characters. The one helper every echo of an input goes through:
 * errors, logs, the CLI and the notifications.
 */
export function quote(value: unknown, limit = QUOTE_LIMIT): string {
  if (typeof value === 'string') {
    // A huge string is cut before JSON.stringify copies it whole; a clipped one keeps its closing quote.
    const json = JSON.stringify(value.length > limit * 2 ? value.slice(0, limit * 2) : value);
    return json.length <= limit && value.length <= limit * 2 ? json : `${clip(json.slice(0, -1), limit - 1)}"`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return clip(text, limit);
}

/** At most `max` values quoted, then how many more: a list of 10,000 unknown fields stays one short line. */
export function quoteList(values: readonly unknown[], max = 5): string {
  const shown = values.slice(0, max).map((value) => quote(value)).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}

/** `██████░░░░` for a percentage (unknown: empty), the one bar of the Slack message, the CLI and `npm start`; each frames it its own way. */
export function progressBar(percent: number | null | undefined, width: number): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent ?? 0)) / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}
