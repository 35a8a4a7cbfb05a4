import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { validateAdsExportRequest, type AdsExportRequest } from './ads/request.ts';
import type { ExportDefaults } from '../runtime/config.ts';
import { imageArn, validateEc2ImageExportRequest, type Ec2ImageExportRequest } from './ec2-image/request.ts';
import { InvalidExportRequest } from '../runtime/errors.ts';
import { exportIdentifier, parseSourceArn, sourceId, type ExportSource } from './rds/source.ts';

/** The execution input, as a person or a trigger writes it. Unknown fields are refused: a typo must not silently fall back to a default. */
const executionInputSchema = z.strictObject({
  sourceArn: z.string('is required: the ARN of a DB snapshot, DB cluster snapshot or DB cluster'),
  s3Bucket: z.optional(z.string('must be a string')),
  s3Prefix: z.optional(z.string('must be a string')),
  iamRoleArn: z.optional(z.string('must be a string')),
  kmsKeyId: z.optional(z.string('must be a string')),
  exportOnly: z.optional(z.array(z.string('must be a string'), 'must be a list of strings')),
  deadlineSeconds: z.optional(
    z.number('must be a number of seconds').check(z.int('must be a whole number'), z.positive('must be positive'), z.lte(7 * 24 * 3600, 'must be at most 7 days (604800)')),
  ),
}, 'must be a JSON object with at least sourceArn');
export type ExecutionInput = z.infer<typeof executionInputSchema>;

export const EXPORT_KINDS = ['rds', 'ec2-image', 'ads'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** What an ec2-image or ads request exports, named like an RDS source for the notifications and logs. */
export interface OtherSource {
  arn: string;
  type: 'EC2_IMAGE' | 'ADS_EXPORT';
  region: string;
  account: string;
  name: string;
}

/** A request ready for StartExportTask: every default applied, every field checked. */
export interface ExportRequest {
  /** Which service exports; absent means rds (and every request made before kinds existed). */
  kind?: ExportKind;
  /** The ExportImage request, for kind ec2-image. */
  ec2Image?: Ec2ImageExportRequest;
  /** The StartExportTask request of Application Discovery Service, for kind ads. */
  ads?: AdsExportRequest;
  source: ExportSource | OtherSource;
  exportId: string;
  s3Bucket: string;
  s3Prefix: string;
  iamRoleArn: string;
  kmsKeyId: string;
  exportOnly?: string[];
  requestedAt: string;
  deadline: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KMS_KEY =
  /^(?:(?:mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[\w/-]+|arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:(?:key\/[\w-]+|alias\/[\w/-]+))$/;
const EXPORT_ONLY_ENTRY = /^[^.\s]+(?:\.[^.\s]+){0,2}$/;
const PREFIX_TOKENS = ['sourceId', 'sourceType', 'date', 'exportId'] as const;

/**
 * Validates the execution input against the deploy-time defaults and derives everything the
 * export needs. Every problem is reported at once, each naming the field and what to do.
 */
export function buildExportRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const parsed = executionInputSchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map(describeIssue);
  // The checks below still run on the fields that have the right type, so one answer lists every problem.
  const input = parsed.success ? parsed.data : wellTypedFields(raw);

  const source = input.sourceArn === undefined ? undefined : parseSourceArn(input.sourceArn);
  if (!source && input.sourceArn !== undefined) {
    problems.push(
      `sourceArn "${input.sourceArn}" is not an RDS snapshot, cluster snapshot or cluster ARN; ` +
        'expected arn:aws:rds:<region>:<account>:snapshot:<name> (or cluster-snapshot:<name>, cluster:<name>)',
    );
  }
  const s3Bucket = input.s3Bucket ?? config.EXPORT_BUCKET;
  if (!BUCKET.test(s3Bucket) || s3Bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(s3Bucket)) {
    problems.push(`s3Bucket "${s3Bucket}" is not a valid bucket name: use 3-63 lowercase letters, digits, dots and hyphens`);
  }
  const iamRoleArn = input.iamRoleArn ?? config.EXPORT_ROLE_ARN;
  if (!ROLE_ARN.test(iamRoleArn)) {
    problems.push(`iamRoleArn "${iamRoleArn}" is not an IAM role ARN: expected arn:aws:iam::<account>:role/<name>`);
  }
  const kmsKeyId = input.kmsKeyId ?? config.EXPORT_KMS_KEY_ID;
  if (!KMS_KEY.test(kmsKeyId)) {
    problems.push(`kmsKeyId "${kmsKeyId}" is not a KMS key id, key ARN, alias or alias ARN`);
  }
  input.exportOnly?.forEach((entry, index) => {
    if (!EXPORT_ONLY_ENTRY.test(entry)) {
      problems.push(`exportOnly[${index}] "${entry}" must be database, database.table, database.schema or database.schema.table`);
    }
  });
  if (input.exportOnly?.length === 0) problems.push('exportOnly is empty: leave it out to export everything');
  const prefixTemplate = input.s3Prefix ?? config.EXPORT_PREFIX;
  const unknownTokens = [...prefixTemplate.matchAll(/\{([^}]*)\}/g)]
    .map((match) => match[1]!)
    .filter((token) => !(PREFIX_TOKENS as readonly string[]).includes(token));
  if (unknownTokens.length > 0) {
    problems.push(`s3Prefix has unknown placeholder(s) ${unknownTokens.map((t) => `{${t}}`).join(', ')}: use ${PREFIX_TOKENS.map((t) => `{${t}}`).join(', ')}`);
  }
  if (problems.length > 0 || !source) throw new InvalidExportRequest(problems);

  const exportId = exportIdentifier(source, requestedAt);
  const deadlineSeconds = input.deadlineSeconds ?? config.DEFAULT_DEADLINE_SECONDS;
  return {
    source,
    exportId,
    s3Bucket,
    s3Prefix: renderPrefix(prefixTemplate, { sourceId: sourceId(source), sourceType: source.type, date: requestedAt.toISOString().slice(0, 10), exportId }),
    iamRoleArn,
    kmsKeyId,
    ...(input.exportOnly ? { exportOnly: input.exportOnly } : {}),
    requestedAt: requestedAt.toISOString(),
    deadline: new Date(requestedAt.getTime() + deadlineSeconds * 1000).toISOString(),
  };
}

/** The fields of a rejected input that still have their schema's type (the schema already named the others). */
function wellTypedFields(raw: unknown): Partial<ExecutionInput> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const fields: Partial<ExecutionInput> = {};
  for (const [key, schema] of Object.entries(executionInputSchema.shape)) {
    const value = (raw as Record<string, unknown>)[key];
    if (value !== undefined && schema.safeParse(value).success) Object.assign(fields, { [key]: value });
  }
  return fields;
}

/**
 * The execution input of any kind: `kind` ("rds" when absent, "ec2-image" or "ads") picks the
 * fields that are allowed and how they are checked. Every problem is reported at once.
 */
export function buildWorkflowRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const { kind = 'rds', ...input } = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : { input: raw }) as Record<string, unknown>;
  switch (kind) {
    case 'rds':
      return buildExportRequest(typeof raw === 'object' && raw !== null ? input : raw, config, requestedAt);
    case 'ec2-image':
      return buildEc2ImageRequest(input, config, requestedAt);
    case 'ads':
      return buildAdsRequest(input, config, requestedAt);
    default:
      throw new InvalidExportRequest([`kind ${JSON.stringify(kind)} is not one of ${EXPORT_KINDS.map((k) => `"${k}"`).join(', ')}`]);
  }
}

const deadlineSchema = z.optional(
  z.number('must be a number of seconds').check(z.int('must be a whole number'), z.positive('must be positive'), z.lte(7 * 24 * 3600, 'must be at most 7 days (604800)')),
);

const ec2ImageInputSchema = z.strictObject({
  imageId: z.string('is required: the AMI to export'),
  diskImageFormat: z.string('is required: VMDK, RAW or VHD'),
  s3Bucket: z.optional(z.string('must be a string')),
  s3Prefix: z.optional(z.string('must be a string')),
  roleName: z.optional(z.string('must be a string')),
  deadlineSeconds: deadlineSchema,
});

/**
 * An AMI is exported once per format and destination: the export id (also EC2's ClientToken) comes
 * from those, so a duplicate execution gets the task of the first back from ExportImage.
 */
function buildEc2ImageRequest(raw: Record<string, unknown>, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const parsed = ec2ImageInputSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidExportRequest(parsed.error.issues.map((issue) => describeKindIssue(issue, 'ec2-image', ec2ImageInputSchema.shape)));
  const { deadlineSeconds, ...input } = parsed.data;
  const s3Bucket = input.s3Bucket ?? config.EXPORT_BUCKET;
  const s3Prefix = renderPrefix(input.s3Prefix ?? '{sourceId}/{date}', { sourceId: input.imageId, sourceType: 'EC2_IMAGE', date: requestedAt.toISOString().slice(0, 10), exportId: '' });
  const hash = createHash('sha256').update([input.imageId, input.diskImageFormat, s3Bucket, s3Prefix].join('|')).digest('hex').slice(0, 10);
  const exportId = `${input.imageId}-${input.diskImageFormat.toLowerCase()}-${hash}`;
  // EC2 writes <S3Prefix><task id>.<format>: a prefix meant as a folder needs its slash.
  const ec2Image = validateEc2ImageExportRequest({ ...input, s3Bucket, s3Prefix: s3Prefix ? `${s3Prefix}/` : '', exportId });
  const region = config.AWS_REGION ?? '';
  return {
    kind: 'ec2-image',
    ec2Image,
    source: { arn: imageArn(region, input.imageId), type: 'EC2_IMAGE', region, account: '', name: input.imageId },
    exportId,
    s3Bucket,
    s3Prefix,
    iamRoleArn: '',
    kmsKeyId: '',
    requestedAt: requestedAt.toISOString(),
    deadline: new Date(requestedAt.getTime() + (deadlineSeconds ?? config.DEFAULT_DEADLINE_SECONDS) * 1000).toISOString(),
  };
}

/** ADS exports are not deduplicated by the service (no client token): each execution is its own export. */
function buildAdsRequest(raw: Record<string, unknown>, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const { deadlineSeconds, ...rest } = raw;
  const deadline = deadlineSchema.safeParse(deadlineSeconds);
  const problems = deadline.success ? [] : deadline.error.issues.map((issue) => `deadlineSeconds ${issue.message}`);
  let ads: AdsExportRequest | undefined;
  try {
    ads = validateAdsExportRequest(rest);
  } catch (error) {
    if (!(error instanceof InvalidExportRequest)) throw error;
    problems.push(...error.problems.map((problem) => problem.replace('allowed are agentIds, startTime, endTime', 'allowed are kind, agentIds, startTime, endTime, deadlineSeconds')));
  }
  if (problems.length > 0 || !ads) throw new InvalidExportRequest(problems);
  const region = config.ADS_REGION ?? config.AWS_REGION ?? '';
  const scope = ads.agentIds?.[0] ?? 'all-data';
  const hash = createHash('sha256').update(JSON.stringify([ads, requestedAt.toISOString()])).digest('hex').slice(0, 10);
  return {
    kind: 'ads',
    ads,
    // ADS has no ARN for what it exports: a readable name of it, in the same place.
    source: { arn: `discovery:${region}:agent/${scope}`, type: 'ADS_EXPORT', region, account: '', name: scope },
    exportId: `ads-${scope.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${hash}`,
    s3Bucket: '',
    s3Prefix: '',
    iamRoleArn: '',
    kmsKeyId: '',
    requestedAt: requestedAt.toISOString(),
    deadline: new Date(requestedAt.getTime() + ((deadline.success ? deadline.data : undefined) ?? config.DEFAULT_DEADLINE_SECONDS) * 1000).toISOString(),
  };
}

function describeKindIssue(issue: z.core.$ZodIssue, kind: ExportKind, shape: object): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} for kind "${kind}": allowed are kind, ${Object.keys(shape).join(', ')}`;
  }
  return `${issue.path.length > 0 ? issue.path.join('.') : 'input'} ${issue.message}`;
}

function renderPrefix(template: string, values: Record<(typeof PREFIX_TOKENS)[number], string>): string {
  return template.replace(/\{(\w+)\}/g, (_, token: keyof typeof values) => values[token]).replace(/^\/+|\/+$/g, '');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are ${Object.keys(executionInputSchema.shape).join(', ')}`;
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
  return `${field} ${issue.message}`;
}
