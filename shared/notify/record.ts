import { MAX_SOURCE_ARN_LENGTH } from '../export-kinds/input-limits.ts';
import { placeOfArn } from '../accounts/place.ts';
import { ASL_ERROR_NAMES, ERROR_MESSAGE_LIMIT } from '../runtime/errors.ts';
import { causeMessage, clip, formatDuration } from '../runtime/format.ts';
import { definitionOf } from '../export-kinds/registry.ts';
import { parseSourceArn } from '../export-kinds/rds/source.ts';
import type { ExportStatus } from '../export-kinds/status.ts';
import { describeVerification, verificationRecord, type VerificationRecord } from '../verification/notification.ts';
import type { ExportState } from '../workflow/export-state.ts';

/** The facts of one notification; subscribers get it as JSON beside the readable text. */
export interface NotificationRecord {
  status: ExportStatus;
  sourceArn: string;
  sourceType: string;
  /** Where the export runs: the source's account and region (an RDS source's; absent when the ARN names none). */
  account?: string;
  region?: string;
  exportId?: string;
  percent?: number;
  s3Uri?: string;
  elapsedSeconds?: number;
  failureCause?: string;
  warning?: string;
  extractedDataGb?: number;
  error?: { name: string; message: string };
  /** The service's own id of the task when it is not ours (EC2 export-ami-…): what a manual cancel names. */
  taskId?: string;
  /** Not a change of status but news about following it (see NOTICES). */
  notice?: Notice;
  /** After an RDS export's end: its tables, catalog and partial data (shared/verification). */
  verification?: VerificationRecord;
  at: string;
}

/** The `status` message attribute of a COMPLETE RDS export with failed or skipped tables (or that could not be verified). */
export const COMPLETE_WITH_WARNINGS = 'COMPLETE_WITH_WARNINGS';

/**
 * Notices: following was interrupted for long (once), it resumed (once), a cancel past the
 * deadline does not get through (once, loudly, with the command to cancel by hand).
 */
export const NOTICES = ['FOLLOWING_INTERRUPTED', 'FOLLOWING_RESUMED', 'CANCEL_STUCK'] as const;
export type Notice = (typeof NOTICES)[number];

const NOTICE_HEADLINES: Record<Notice, string> = {
  FOLLOWING_INTERRUPTED: 'Export following INTERRUPTED',
  FOLLOWING_RESUMED: 'Export following RESUMED',
  CANCEL_STUCK: 'Export NOT CANCELED past its deadline',
};

export interface Notification {
  subject: string;
  body: string;
  /** For subscription filter policies; `notice` only on notices. */
  attributes: { status: string; sourceType: string; notice?: string; account?: string; region?: string };
  record: NotificationRecord;
}

/** What a Catch hands to the notify step: the state (or the raw input, if the start failed) and the error. */
export interface FailedStepInput {
  error: { Error: string; Cause?: string };
  request?: ExportState['request'];
  sourceArn?: unknown;
  input?: { sourceArn?: unknown };
  /** The execution's name, when the input itself was refused and dropped from the state (InputRefused). */
  execution?: unknown;
  [other: string]: unknown;
}

export { formatDuration };

export const SUBJECT_LIMIT = 100;

/**
 * The longest line of a notification, and the longest string of its JSON record. With the records'
 * own bounds (the input limits, the error message's 4 KB, the listed tables) it keeps a message far
 * under SNS's 256 KB whatever it says: a message SNS refuses would be a notification lost.
 */
export const LINE_LIMIT = ERROR_MESSAGE_LIMIT + 200;

export function recordForState(state: ExportState, now: Date): NotificationRecord {
  const { request } = state;
  return {
    status: state.status,
    sourceArn: request.source.arn,
    sourceType: request.source.type,
    ...placeFields(request.source.arn),
    exportId: request.exportId,
    percent: state.percent,
    ...s3UriOf(state),
    elapsedSeconds: Math.round((now.getTime() - Date.parse(request.requestedAt)) / 1000),
    // The service's own texts: RDS's WarningMessage lists skipped tables, of a database of any size.
    ...(state.failureCause ? { failureCause: clip(state.failureCause, ERROR_MESSAGE_LIMIT) } : {}),
    ...(state.warning ? { warning: clip(state.warning, ERROR_MESSAGE_LIMIT) } : {}),
    ...(state.extractedDataGb !== undefined ? { extractedDataGb: state.extractedDataGb } : {}),
    ...(state.verification || state.verifyError ? { verification: verificationRecord(state.verification, state.verifyError) } : {}),
    at: now.toISOString(),
  };
}

/** Where the export lands (its kind says: RDS writes a folder, EC2 one file named after its task; ADS hands out a pre-signed URL instead). */
function s3UriOf(state: ExportState): { s3Uri?: string } {
  const s3Uri = definitionOf(state.request).s3UriOf(state.request, state.taskId);
  return s3Uri ? { s3Uri } : {};
}

/** Failures that are a limit passing, not something broken: notified as TIMED_OUT (filter policies tell them apart). */
const TIMED_OUT_ERRORS = new Set<string>([ASL_ERROR_NAMES.slotWaitTimedOut]);

export function recordForFailure(failed: FailedStepInput, now: Date): NotificationRecord {
  // A source from an input that failed before it was checked may be of any length: clipped to the longest a valid one is.
  const given = stringOr(failed.input?.sourceArn) ?? stringOr(failed.sourceArn);
  const execution = stringOr(failed.execution);
  const sourceArn = failed.request?.source.arn ?? (given !== undefined ? clip(given, MAX_SOURCE_ARN_LENGTH) : execution ? `execution ${clip(execution, 80)}` : 'unknown source');
  return {
    status: TIMED_OUT_ERRORS.has(failed.error.Error) ? 'TIMED_OUT' : 'FAILED',
    sourceArn,
    sourceType: failed.request?.source.type ?? 'UNKNOWN',
    ...placeFields(sourceArn),
    ...(failed.request ? { exportId: failed.request.exportId } : {}),
    ...(failed.request ? { elapsedSeconds: Math.round((now.getTime() - Date.parse(failed.request.requestedAt)) / 1000) } : {}),
    error: { name: clip(failed.error.Error, 256), message: clip(causeMessage(failed.error.Cause), ERROR_MESSAGE_LIMIT) },
    at: now.toISOString(),
  };
}

const HEADLINES: Record<ExportStatus, string> = {
  STARTING: 'Export STARTING',
  IN_PROGRESS: 'Export IN_PROGRESS',
  COMPLETE: 'Export COMPLETE',
  FAILED: 'Export FAILED',
  CANCELING: 'Export CANCELING',
  CANCELED: 'Export CANCELED',
  TIMED_OUT: 'Export TIMED_OUT',
};

const KIND_NAMES: Record<string, string> = {
  SNAPSHOT: 'DB snapshot',
  CLUSTER_SNAPSHOT: 'DB cluster snapshot',
  CLUSTER: 'DB cluster',
  EC2_IMAGE: 'EC2 image',
  ADS_EXPORT: 'Discovery export',
};

const KIND_IN_ARN: Record<string, string> = {
  snapshot: 'DB snapshot',
  'cluster-snapshot': 'DB cluster snapshot',
  cluster: 'DB cluster',
};

export function renderNotification(record: NotificationRecord): Notification {
  const kind = kindName(record);
  const verified = record.verification ? describeVerification(record.verification) : undefined;
  const subject = fitSubject(`${headlineOf(record)}: ${kind} ${resourceName(record.sourceArn)}`);
  const lines: Array<[string, string | undefined]> = [
    ['Source', record.sourceArn],
    ['Kind', kind],
    ['Account', placeText(record)],
    ['Export ID', record.exportId],
    ['Status', record.percent !== undefined ? `${record.status} (${record.percent}%)` : record.status],
    ['S3 location', record.s3Uri],
    ['S3 console', s3ConsoleUrl(record)],
    ['Elapsed', record.elapsedSeconds !== undefined ? formatDuration(record.elapsedSeconds) : undefined],
    ['Data size', record.extractedDataGb !== undefined ? `${record.extractedDataGb} GB` : undefined],
    ['Cause', failureText(record)],
    ['Warning', record.warning],
    ...(verified?.lines ?? []),
    ['What to try', [adviceFor(record), verified?.advice].filter(Boolean).join(' ') || undefined],
  ];
  const body = [
    subject,
    '',
    ...lines.filter(([, value]) => value !== undefined).map(([label, value]) => `${`${label}:`.padEnd(13)}${clip(oneLine(value!), LINE_LIMIT)}`),
    '',
    '-- record --',
    JSON.stringify(record, (_, value: unknown) => (typeof value === 'string' ? clip(value, LINE_LIMIT) : value)),
  ].join('\n');
  const attributes = {
    status: completeWithWarnings(record) ? COMPLETE_WITH_WARNINGS : record.status,
    sourceType: record.sourceType,
    ...(record.notice ? { notice: record.notice } : {}),
    // Subscribers of a team filter on their own accounts (SNS filter policies).
    ...(record.account ? { account: record.account } : {}),
    ...(record.region ? { region: record.region } : {}),
  };
  return { subject, body, attributes, record };
}

/** "Export COMPLETE", "Export COMPLETE with warnings", or the notice's own headline. */
export function headlineOf(record: Pick<NotificationRecord, 'status' | 'notice' | 'verification'>): string {
  if (record.notice) return NOTICE_HEADLINES[record.notice];
  return completeWithWarnings(record) ? `${HEADLINES.COMPLETE} with warnings` : HEADLINES[record.status];
}

/** A COMPLETE export whose verification found failed or skipped tables, or could not verify it. */
export function completeWithWarnings(record: Pick<NotificationRecord, 'status' | 'notice' | 'verification'>): boolean {
  return !record.notice && record.status === 'COMPLETE' && record.verification !== undefined && describeVerification(record.verification).withWarnings;
}

/** A notice about following the export in this state, with the error that caused it. */
export function recordForNotice(state: ExportState, notice: Notice, now: Date): NotificationRecord {
  const lastError = notice === 'CANCEL_STUCK' ? state.cancelFailure?.lastError : notice === 'FOLLOWING_INTERRUPTED' ? state.interruption?.lastError : undefined;
  const [name, ...message] = (lastError ?? '').split(': ');
  return {
    ...recordForState(state, now),
    notice,
    ...(state.taskId ? { taskId: state.taskId } : {}),
    ...(lastError ? { error: { name: name!, message: message.join(': ') } } : {}),
  };
}

/** "DB snapshot", "DB cluster snapshot", "DB cluster"; read from the ARN when a failed start never typed the source. */
export function kindName(record: Pick<NotificationRecord, 'sourceType' | 'sourceArn'>): string {
  const kind = KIND_NAMES[record.sourceType];
  if (kind) return kind;
  const inArn = /^arn:[^:]+:rds:[^:]*:[^:]*:(snapshot|cluster-snapshot|cluster):/.exec(record.sourceArn)?.[1];
  return (inArn && KIND_IN_ARN[inArn]) ?? 'source';
}

/** The snapshot or cluster identifier out of its ARN (`rds:prod-db-2026-11-23-03-10`), or the text as given. */
export function resourceName(arn: string): string {
  const match = /:(?:snapshot|cluster-snapshot|cluster):(.+)$/.exec(arn) ?? /:(?:image|agent)\/(.+)$/.exec(arn);
  return match?.[1] ?? arn;
}

/** What went wrong, when something did: RDS's failure cause or the caught error. */
export function failureText(record: NotificationRecord): string | undefined {
  return record.failureCause ?? (record.error ? `${record.error.name}: ${record.error.message}` : undefined);
}

/**
 * A link that opens the export's folder in the S3 console. RDS only exports to a bucket in the
 * snapshot's own region, so the region comes from the source ARN. Only the commercial partition:
 * the China and GovCloud consoles live elsewhere, and a wrong link is worse than none.
 */
export function s3ConsoleUrl(record: Pick<NotificationRecord, 's3Uri' | 'sourceArn'>): string | undefined {
  const location = record.s3Uri ? /^s3:\/\/([^/]+)\/(.*)$/.exec(record.s3Uri) : null;
  const arn = /^arn:aws:rds:([a-z0-9-]+):/.exec(record.sourceArn);
  if (!location || !arn) return undefined;
  const [, bucket, key] = location as unknown as [string, string, string];
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const encodedPrefix = prefix.split('/').map(encodeURIComponent).join('/');
  return `https://${arn[1]}.console.aws.amazon.com/s3/buckets/${encodeURIComponent(bucket)}?prefix=${encodedPrefix}`;
}

/** SNS subjects: at most 100 ASCII characters, no line breaks. */
function fitSubject(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return clip(ascii, SUBJECT_LIMIT, '...');
}

/** A multi-line cause would break the "Label: value" layout a reader scans. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/**
 * How to export the source again: an RDS snapshot's execution name and export identifier are taken
 * for good (RDS keeps even a FAILED or CANCELED task's), so it is the next attempt, `start --again`;
 * a live cluster's id carries the minute, so a plain start is a new export.
 */
function exportAgain(record: Pick<NotificationRecord, 'sourceArn'>): string {
  // From the ARN, not sourceType: a refused input has no request, yet its snapshot's name is taken.
  const type = parseSourceArn(record.sourceArn)?.type;
  if (!type) return 'start a new export';
  return `export it again with: npx export-orchestrator start --source-arn ${record.sourceArn}${type === 'CLUSTER' ? '' : ' --again'}`;
}

/** What a reader can do about an export that did not complete; nothing for one that is fine. */
export function adviceFor(record: NotificationRecord): string | undefined {
  if (record.notice) return noticeAdvice(record);
  if (record.status === 'TIMED_OUT' && record.error?.name === ASL_ERROR_NAMES.slotWaitTimedOut) {
    return `Nothing was started: the account's export slots stayed busy for longer than the slot wait limit. Raise slotWaitLimitSeconds or the RDS export quota, or export less often; then ${exportAgain(record)}`;
  }
  if (record.status === 'TIMED_OUT') return 'The deadline passed, so the export was canceled. Raise deadlineSeconds or export less (exportOnly).';
  if (record.status === 'CANCELED') return `The export task was canceled before it finished (by an operator, or in the service's console or API). To export it all the same, ${exportAgain(record)}`;
  if (record.status !== 'FAILED') return undefined;
  const text = `${record.error?.name ?? ''} ${record.error?.message ?? ''} ${record.failureCause ?? ''}`;
  if (record.error?.name === ASL_ERROR_NAMES.memberAccessDenied) {
    return `Deploy the member stack (member/member-account.yml) in account ${record.account ?? 'of the source'}, with this deployment's roles and external id (docs/organisation.md), or remove the account from memberAccounts; then ${exportAgain(record)}. The other accounts are not affected.`;
  }
  if (record.error?.name === ASL_ERROR_NAMES.transient) {
    // Neither the sweep nor start --again starts anything while RDS runs or has completed an export of the source.
    return `An AWS service the workflow needs (DynamoDB, Lambda, RDS) kept failing through the step's retries (hours, for the admission). When it is back, the hourly sweep starts a snapshot it selects again if nothing was exported (within its look-back window); to do it yourself, ${exportAgain(record)}`;
  }
  if (/InvalidExportRequest/.test(text)) return `Correct the execution input as the cause says; then ${exportAgain(record)}`;
  if (/NotFound/i.test(text)) return 'Check that the snapshot or cluster exists in this account and region.';
  if (/IamRole|AccessDenied|not authorized/i.test(text)) return 'Check the export role: trusted by export.rds.amazonaws.com, allowed to write to the bucket.';
  if (/KMS/i.test(text)) return 'Check the KMS key: a customer managed key the export role may use (kms:CreateGrant, kms:DescribeKey).';
  if (/S3|bucket/i.test(text)) return 'Check that the bucket exists in this region and the export role can write to it.';
  if (/Quota|Limit/i.test(text)) return 'Too many exports at once: try again when one has finished.';
  return 'See the cause above; the execution history in Step Functions has the details.';
}

function noticeAdvice(record: NotificationRecord): string | undefined {
  switch (record.notice) {
    case 'FOLLOWING_INTERRUPTED':
      return 'The export itself goes on; the workflow keeps looking, waiting longer each time (at most maxPollSeconds), and says when it sees the export again. If this lasts, check the API throttling of the account (other tools share its request rate) and the poll role\'s permissions.';
    case 'CANCEL_STUCK':
      return `The workflow keeps trying to cancel until the task ends. To stop it now yourself: ${manualCancelCommand(record)}`;
    default:
      return undefined;
  }
}

/** The AWS CLI command that cancels this export by hand. */
function manualCancelCommand(record: NotificationRecord): string {
  if (record.sourceType === 'EC2_IMAGE') return `aws ec2 cancel-export-task --export-task-id ${record.taskId ?? '<export-ami-id>'}`;
  // In the source's own account and region: credentials of that account (a profile of it), its region.
  const where = record.region ? ` --region ${record.region}` : '';
  const as = record.account ? ` (with credentials of account ${record.account})` : '';
  return `aws rds cancel-export-task --export-task-identifier ${record.exportId ?? '<export id>'}${where}${as}`;
}



/** The account and region of a source's ARN, for the record. */
function placeFields(arn: string): { account?: string; region?: string } {
  const place = placeOfArn(arn);
  return place ? { account: place.account, region: place.region } : {};
}

/** "210987654321 (eu-west-1)": where the export runs, as the notifications and the CLI name it. */
export function placeText(record: Pick<NotificationRecord, 'account' | 'region'>): string | undefined {
  return record.account ? `${record.account}${record.region ? ` (${record.region})` : ''}` : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
