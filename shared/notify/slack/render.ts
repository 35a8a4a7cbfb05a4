// A notification record as a Slack message (Block Kit inside a coloured attachment), and the
// record read back from an SNS message.
import { adviceFor, completeWithWarnings, failureText, formatDuration, headlineOf, kindName, NOTICES, placeText, resourceName, s3ConsoleUrl, type NotificationRecord } from '../record.ts';
import { describeVerification, type VerificationRecord } from '../../verification/notification.ts';
import { EXPORT_STATUSES, type ExportStatus } from '../../export-kinds/status.ts';
import { clip as clipText, progressBar } from '../../runtime/format.ts';

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

/** A COMPLETE export with failed or skipped tables: amber, not green. */
const COMPLETE_WITH_WARNINGS_STYLE = { emoji: ':warning:', color: '#ECB22E' };
// Block Kit's limits; a message over any of them is answered 400 invalid_blocks.
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
    record.account ? field('Account', placeText(record)!) : undefined,
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

/** Reads a field's JSON value, or answers undefined when it is not what our notify step writes there. */
type FieldReader<T> = (value: unknown) => T | undefined;

const text: FieldReader<string> = (value) => (typeof value === 'string' ? value : undefined);
const number: FieldReader<number> = (value) => (typeof value === 'number' ? value : undefined);
const oneOf =
  <T extends string>(values: readonly T[]): FieldReader<T> =>
  (value) =>
    values.includes(value as T) ? (value as T) : undefined;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every field of a NotificationRecord (the mapped type fails to compile when one is missing), and
 * whether a message must carry it to be read as ours. Plain checks, not a schema library: this is our
 * own record read back, and loading zod and building its schema at every cold start took the
 * notifier's import from 1.16x to 1.24x its floor, past the 1.2x target (README, Cold start).
 */
const RECORD_FIELDS: { [Field in keyof NotificationRecord]-?: { read: FieldReader<NonNullable<NotificationRecord[Field]>>; required?: true } } = {
  status: { read: oneOf(EXPORT_STATUSES), required: true },
  sourceArn: { read: text, required: true },
  sourceType: { read: text, required: true },
  account: { read: text },
  region: { read: text },
  at: { read: text, required: true },
  exportId: { read: text },
  percent: { read: number },
  s3Uri: { read: text },
  elapsedSeconds: { read: number },
  failureCause: { read: text },
  warning: { read: text },
  extractedDataGb: { read: number },
  error: { read: (value) => (isObject(value) && typeof value.name === 'string' && typeof value.message === 'string' ? { name: value.name, message: value.message } : undefined) },
  taskId: { read: text },
  notice: { read: oneOf(NOTICES) },
  // Written by the notify steps themselves (shared/verification/notification.ts): read as written.
  verification: { read: (value) => (isObject(value) && Array.isArray(value.warnings) ? (value as unknown as VerificationRecord) : undefined) },
};

/** Our JSON record is the last line of every message we publish; anything else yields undefined. */
export function parseNotificationRecord(message: string): NotificationRecord | undefined {
  const last = message.trimEnd().split('\n').at(-1) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    return undefined;
  }
  if (!isObject(json)) return undefined;
  // Only the fields we know, and absent ones left out, so the record reads as the notify step wrote it.
  const record: Record<string, unknown> = {};
  for (const [field, { read, required }] of Object.entries(RECORD_FIELDS)) {
    if (!Object.hasOwn(json, field)) {
      if (required) return undefined;
      continue;
    }
    const value = read(json[field]);
    if (value === undefined) return undefined;
    record[field] = value;
  }
  return record as unknown as NotificationRecord;
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
