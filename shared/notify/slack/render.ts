import * as z from 'zod/mini';
import { clip as clipText } from '../../runtime/format.ts';
import { adviceFor, completeWithWarnings, failureText, formatDuration, headlineOf, kindName, NOTICES, resourceName, s3ConsoleUrl, type NotificationRecord } from '../record.ts';
import { describeVerification, type VerificationRecord } from '../../verification/notification.ts';
import { EXPORT_STATUSES, type ExportStatus } from '../../export-kinds/status.ts';
import { NamedError } from '../../runtime/errors.ts';
import { progressBar } from '../../runtime/format.ts';

// ---------------------------------------------------------------------------------------------
// Rendering: a notification record as a Slack message (Block Kit inside a coloured attachment).
// ---------------------------------------------------------------------------------------------

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

/**
 * What an incoming webhook takes. Blocks sit in an attachment because only an attachment has a
 * colour bar; the top-level text is what Slack shows in the notification itself.
 */
export interface SlackMessage {
  text: string;
  attachments: Array<{ color: string; blocks: SlackBlock[] }>;
}

export const STATUS_STYLE: Record<ExportStatus, { emoji: string; color: string }> = {
  STARTING: { emoji: ':hourglass_flowing_sand:', color: '#439FE0' },
  IN_PROGRESS: { emoji: ':arrows_counterclockwise:', color: '#439FE0' },
  COMPLETE: { emoji: ':white_check_mark:', color: '#2EB67D' },
  FAILED: { emoji: ':x:', color: '#E01E5A' },
  CANCELING: { emoji: ':octagonal_sign:', color: '#ECB22E' },
  CANCELED: { emoji: ':no_entry_sign:', color: '#ECB22E' },
  // The workflow canceled the export itself and the execution fails: as red as a failure.
  TIMED_OUT: { emoji: ':alarm_clock:', color: '#E01E5A' },
};
/** A message on the topic that is not one of ours (someone published by hand, an alarm pointed at it). */
export const FOREIGN_STYLE = { emoji: ':envelope:', color: '#9E9E9E' };

// Block Kit's limits; a message over any of them is answered 400 invalid_blocks.
/** A COMPLETE export with failed or skipped tables: amber, not green. */
const COMPLETE_WITH_WARNINGS_STYLE = { emoji: ':warning:', color: '#ECB22E' };
const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;
const FIELD_LIMIT = 2000;
// Slack's guidance for the notification text; the rest is in the blocks.
const FALLBACK_LIMIT = 300;

export function renderSlackMessage(record: NotificationRecord): SlackMessage {
  const style = completeWithWarnings(record) ? COMPLETE_WITH_WARNINGS_STYLE : STATUS_STYLE[record.status];
  const kind = kindName(record);
  const name = resourceName(record.sourceArn);
  // After an RDS export's end: the tables, the catalog, what a failed export left (shared/verification).
  const verified = record.verification ? describeVerification(record.verification) : undefined;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${style.emoji} ${headlineOf(record)}`, HEADER_LIMIT), emoji: true } },
    { type: 'section', text: mrkdwn(`*${escapeText(kind)}* ${code(name)}`, SECTION_LIMIT) },
  ];
  const fields = [
    field('Status', record.status),
    record.percent !== undefined ? field('Progress', `\`${progressBar(record.percent, 10)}\` ${record.percent}%`, false) : undefined,
    record.elapsedSeconds !== undefined ? field('Elapsed', formatDuration(record.elapsedSeconds)) : undefined,
    record.extractedDataGb !== undefined ? field('Data size', `${record.extractedDataGb} GB`) : undefined,
    record.exportId ? field('Export ID', code(record.exportId), false) : undefined,
  ].filter((entry): entry is SlackText => entry !== undefined);
  blocks.push({ type: 'section', fields });
  if (record.s3Uri) {
    const console = s3ConsoleUrl(record);
    const location = console ? `<${console}|${escapeText(record.s3Uri)}>` : code(record.s3Uri);
    blocks.push({ type: 'section', text: mrkdwn(`*S3 location*\n${location}`, SECTION_LIMIT) });
  }
  const cause = failureText(record);
  if (cause) blocks.push({ type: 'section', text: mrkdwn(`*Cause*\n${quote(cause)}`, SECTION_LIMIT) });
  if (record.warning) blocks.push({ type: 'section', text: mrkdwn(`:warning: *Warning*\n${quote(record.warning)}`, SECTION_LIMIT) });
  if (verified && verified.lines.length > 0) {
    blocks.push({ type: 'section', text: mrkdwn(verified.lines.map(([label, value]) => `*${escapeText(label)}* ${escapeText(value)}`).join('\n'), SECTION_LIMIT) });
  }
  const advice = [adviceFor(record), verified?.advice].filter(Boolean).join(' ');
  if (advice) blocks.push({ type: 'section', text: mrkdwn(`*What to try*\n${escapeText(advice)}`, SECTION_LIMIT) });
  blocks.push({ type: 'context', elements: [mrkdwn(`${escapeText(record.sourceArn)} · ${slackDate(record.at)}`, SECTION_LIMIT)] });
  return {
    text: clip(`${style.emoji} ${headlineOf(record)}: ${kind} ${name}`, FALLBACK_LIMIT),
    attachments: [{ color: style.color, blocks }],
  };
}

/** Anything else published to the topic still reaches Slack, as it came, in grey. */
export function renderForeignMessage(subject: string | undefined, message: string): SlackMessage {
  const title = subject?.trim() || 'Message on the export notifications topic';
  return {
    text: clip(`${FOREIGN_STYLE.emoji} ${title}`, FALLBACK_LIMIT),
    attachments: [
      {
        color: FOREIGN_STYLE.color,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: clip(`${FOREIGN_STYLE.emoji} ${title}`, HEADER_LIMIT), emoji: true } },
          { type: 'section', text: mrkdwn(escapeText(message.trim() || '(empty message)'), SECTION_LIMIT) },
        ],
      },
    ],
  };
}

/** The Slack message for one SNS message, and our record if the message carried one. */
export function slackMessageFor(sns: { Subject?: string | null; Message: string }): { message: SlackMessage; record?: NotificationRecord } {
  const record = parseNotificationRecord(sns.Message);
  return record ? { message: renderSlackMessage(record), record } : { message: renderForeignMessage(sns.Subject ?? undefined, sns.Message) };
}

const recordSchema = z.object({
  status: z.enum(EXPORT_STATUSES),
  sourceArn: z.string(),
  sourceType: z.string(),
  at: z.string(),
  exportId: z.optional(z.string()),
  percent: z.optional(z.number()),
  s3Uri: z.optional(z.string()),
  elapsedSeconds: z.optional(z.number()),
  failureCause: z.optional(z.string()),
  warning: z.optional(z.string()),
  extractedDataGb: z.optional(z.number()),
  error: z.optional(z.object({ name: z.string(), message: z.string() })),
  taskId: z.optional(z.string()),
  notice: z.optional(z.enum(NOTICES)),
  // Written by the notify steps themselves (shared/verification/notification.ts): read as written.
  verification: z.optional(z.custom<VerificationRecord>((value) => typeof value === 'object' && value !== null && Array.isArray((value as { warnings?: unknown }).warnings))),
});

/** Our JSON record is the last line of every message we publish; anything else yields undefined. */
export function parseNotificationRecord(message: string): NotificationRecord | undefined {
  const last = message.trimEnd().split('\n').at(-1) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    return undefined;
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) return undefined;
  // zod leaves absent optional keys out, so the record reads as the notify step wrote it.
  return parsed.data as NotificationRecord;
}

/** The message as a terminal can show it: for `npm start`, which has no Slack to look at. */
export function slackMessagePreview(message: SlackMessage): string[] {
  const attachment = message.attachments[0];
  if (!attachment) return [message.text];
  const lines = [`[${attachment.color}]`];
  for (const block of attachment.blocks) {
    if (block.type === 'header') lines.push(`*${block.text.text}*`);
    else if (block.type === 'context') lines.push(...block.elements.map((element) => element.text));
    else if ('fields' in block) lines.push(block.fields.map((entry) => entry.text.replace('\n', ' ')).join('  |  '));
    else lines.push(...block.text.text.split('\n'));
  }
  // As Slack shows them: a link by its label, a date by its fallback text.
  return lines.map((line) => unescapeText(line.replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1').replace(/<[^|>]+\|([^>]*)>/g, '$1 ↗')));
}

function field(label: string, value: string, escape = true): SlackText {
  return mrkdwn(`*${label}*\n${escape ? escapeText(value) : value}`, FIELD_LIMIT);
}

function mrkdwn(text: string, limit: number): SlackText {
  return { type: 'mrkdwn', text: clip(text, limit) };
}

/** Slack reads &, < and > as markup (links, mentions); what we quote must not be. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unescapeText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Inline code; a backtick inside would end it early. */
function code(text: string): string {
  return `\`${escapeText(text.replace(/`/g, "'"))}\``;
}

/** A block quote of (escaped) text, each line marked; the section's limit cuts it. */
function quote(text: string): string {
  return escapeText(text.trim())
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
}

function clip(text: string, limit: number): string {
  // Never leave half an escape (&am…) behind.
  return clipText(text, limit).replace(/&[a-z]{0,3}…$/, '…');
}


/** Slack shows the time in each reader's own time zone; the ISO text is the fallback. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? escapeText(iso) : `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${escapeText(iso)}>`;
}

// ---------------------------------------------------------------------------------------------
// Posting: retries within the Lambda's time, never a word of the webhook URL in a message.
// ---------------------------------------------------------------------------------------------

/**
 * Slack did not take the message (429, 5xx, no answer) within the attempts or the time the Lambda
 * had. Thrown so the asynchronous invocation fails: Lambda retries it, then parks the SNS event in
 * the notifier's dead-letter queue.
 */
export class SlackDeliveryFailed extends NamedError {}

/**
 * Slack answered that the webhook itself is no good (403 invalid_token, 404 no_service or
 * channel_not_found, 410 channel_is_archived, or a redirect). Retrying now cannot help, but the message is kept:
 * thrown, it ends in the dead-letter queue, to be redriven once the parameter holds a working URL.
 */
export class SlackWebhookRejected extends NamedError {}

/** The value in the parameter is not a URL we may post to. The message never repeats the value. */
export class SlackWebhookInvalid extends NamedError {}

export interface SlackRetryPolicy {
  /** Posts in all, the first one included. */
  maxAttempts: number;
  /** First backoff after a 5xx or no answer; doubles each time, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest wait for one answer. */
  requestTimeoutMs: number;
  /** Kept back from the Lambda's remaining time to log and return before it is cut off. */
  reserveMs: number;
  /** No point in waiting for a retry that would have less than this to get its answer. */
  minRequestMs: number;
}

export const DEFAULT_RETRY_POLICY: SlackRetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  requestTimeoutMs: 5000,
  reserveMs: 1000,
  minRequestMs: 1000,
};

export interface SlackRetry {
  attempt: number;
  /** What went wrong, with the webhook URL redacted. */
  problem: string;
  httpStatus?: number;
  waitMs: number;
}

export interface SlackPostDeps {
  fetch: typeof fetch;
  /** The Lambda's context.getRemainingTimeInMillis; without it, only the attempts bound the retries. */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  policy?: Partial<SlackRetryPolicy>;
  onRetry?: (retry: SlackRetry) => void;
}

export type SlackPostResult =
  | { outcome: 'posted'; attempts: number }
  /** Slack refused the payload itself (400, 413): sending it again cannot help, so it is neither retried nor thrown. */
  | { outcome: 'refused'; httpStatus: number; reason: string; attempts: number };

type Answer =
  | { kind: 'posted' }
  | { kind: 'refused'; httpStatus: number; reason: string }
  | { kind: 'rejected'; httpStatus: number; reason: string }
  | { kind: 'retry'; problem: string; httpStatus?: number; retryAfterMs?: number };

const PAYLOAD_FAULTS = new Set([400, 413]);
const TRANSIENT = (status: number) => status === 408 || status === 429 || status >= 500;

export async function postToSlack(url: string, payload: SlackMessage, deps: SlackPostDeps): Promise<SlackPostResult> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
  const remainingMs = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  checkWebhookUrl(url);
  const body = JSON.stringify(payload);
  let last = 'no attempt made';
  for (let attempt = 1; ; attempt++) {
    const budgetMs = remainingMs() - policy.reserveMs;
    if (budgetMs < policy.minRequestMs) {
      throw new SlackDeliveryFailed(`Slack did not take the message: the Lambda ran out of time after ${attempt - 1} attempt(s) (last: ${last})`);
    }
    const answer = await postOnce(url, body, Math.min(policy.requestTimeoutMs, budgetMs), deps.fetch);
    if (answer.kind === 'posted') return { outcome: 'posted', attempts: attempt };
    if (answer.kind === 'refused') return { outcome: 'refused', httpStatus: answer.httpStatus, reason: answer.reason, attempts: attempt };
    if (answer.kind === 'rejected') {
      throw new SlackWebhookRejected(`Slack rejected the webhook: HTTP ${answer.httpStatus} ${answer.reason}; check the URL in the parameter`);
    }
    last = answer.problem;
    if (attempt >= policy.maxAttempts) {
      throw new SlackDeliveryFailed(`Slack did not take the message after ${attempt} attempt(s) (last: ${last})`);
    }
    const backoffMs = Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
    const waitMs = answer.retryAfterMs ?? backoffMs;
    const leftMs = remainingMs() - policy.reserveMs;
    if (waitMs + policy.minRequestMs > leftMs) {
      throw new SlackDeliveryFailed(
        `Slack did not take the message after ${attempt} attempt(s) (last: ${last}); the next try, in ${waitMs} ms, would not fit in the ${Math.max(0, leftMs)} ms the Lambda has left`,
      );
    }
    deps.onRetry?.({ attempt, problem: last, ...(answer.httpStatus ? { httpStatus: answer.httpStatus } : {}), waitMs });
    await sleep(waitMs);
  }
}

async function postOnce(url: string, body: string, timeoutMs: number, fetcher: typeof fetch): Promise<Answer> {
  let response: Response;
  try {
    response = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      // A webhook that redirects is not one Slack issued: say so rather than post elsewhere.
      redirect: 'manual',
    });
  } catch (error) {
    return { kind: 'retry', problem: describeFetchError(error, url) };
  }
  const reason = redact(await readReason(response), url);
  if (response.ok) return { kind: 'posted' };
  if (PAYLOAD_FAULTS.has(response.status)) return { kind: 'refused', httpStatus: response.status, reason };
  if (TRANSIENT(response.status)) {
    // Slack sends Retry-After with 429; a 503 may carry one too.
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { kind: 'retry', problem: `HTTP ${response.status} ${reason}`, httpStatus: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'rejected', httpStatus: response.status, reason };
}

/** Slack's reason is a short code (invalid_blocks, rate_limited); an error page is cut to its first words. */
async function readReason(response: Response): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, ' ').trim();
    return clipText(text, 201) || 'no reason given';
  } catch {
    return 'no reason readable';
  }
}

/** Retry-After in seconds, or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The URL's path is the secret. Posting over plain HTTP would hand it to anyone on the way, so
 * only HTTPS, or HTTP to this machine (the local run and the tests).
 */
function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL's own error carries the input: never rethrow it.
    throw new SlackWebhookInvalid('The Slack webhook parameter does not hold a URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new SlackWebhookInvalid(`The Slack webhook URL must use https (it uses ${parsed.protocol.replace(/[^a-z]/g, '')})`);
  }
}

/** A failed fetch, as words: its name, message and cause (undici puts the socket error there), redacted. */
function describeFetchError(error: unknown, url: string): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 3; depth++) {
    const { name, message, code: errorCode } = current as { name?: string; message?: string; code?: unknown };
    // Socket errors say the most by their code (ECONNREFUSED); a DOMException's code is a number that says nothing.
    parts.push([typeof errorCode === 'string' ? errorCode : (name ?? 'Error'), message].filter(Boolean).join(': '));
    current = (current as { cause?: unknown }).cause;
  }
  return redact(parts.join(' <- ') || String(error), url);
}

const REDACTED = '[webhook]';

/**
 * Removes every trace of the webhook URL from a text: the URL in its usual spellings, its path
 * (Slack's T…/B…/token), and each longer path segment on its own.
 */
export function redact(text: string, url: string): string {
  if (!url) return text;
  const fragments = new Set<string>([url, encodeURI(url), encodeURIComponent(url), url.replace(/^[a-z]+:\/\//i, '')]);
  try {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) fragments.add(`${parsed.pathname}${parsed.search}`).add(parsed.pathname);
    // Slack's own path word stays readable; the IDs and the token do not.
    for (const segment of parsed.pathname.split('/')) if (segment.length >= 6 && segment !== 'services') fragments.add(segment);
    if (parsed.search.length > 1) fragments.add(parsed.search.slice(1));
  } catch {
    // Not a URL: the text as a whole is all there is to hide.
  }
  let redacted = text;
  for (const fragment of [...fragments].sort((a, b) => b.length - a.length)) {
    if (fragment.length >= 6) redacted = redacted.split(fragment).join(REDACTED);
  }
  return redacted;
}
