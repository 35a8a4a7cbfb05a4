import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { validateAdsExportRequest, type AdsExportRequest } from './ads/request.ts';
import type { ExportDefaults } from '../runtime/config.ts';
import { imageArn, validateEc2ImageExportRequest, type Ec2ImageExportRequest } from './ec2-image/request.ts';
import { InvalidExportRequest } from '../runtime/errors.ts';
import { quote, quoteList } from '../runtime/format.ts';
import { INPUT_LIMITS } from './input-limits.ts';
import {
  bucketProblems,
  exportOnlyProblems,
  fieldPath,
  kmsKeyProblems,
  prefixTemplateProblems,
  renderedPrefixProblem,
  renderPrefix,
  roleArnProblems,
  sourceArnProblems,
  stackLocation,
  typeError,
} from './input-rules.ts';
import { exportIdentifier, parseSourceArn, sourceId, type ExportSource } from './rds/source.ts';

/**
 * The execution input, as a person or a trigger writes it. Unknown fields are refused: a typo must
 * not silently fall back to a default. A field of the wrong type is named with the type it must be
 * and the one it has; sizes and forms are checked after (shared/input-rules.ts, INPUT_LIMITS).
 */
const executionInputSchema = z.strictObject({
  sourceArn: z.string(typeError('a string', 'is required: the ARN of a DB snapshot, DB cluster snapshot or DB cluster')),
  s3Bucket: z.optional(z.string(typeError('a string (a bucket name)'))),
  s3Prefix: z.optional(z.string(typeError('a string (a key prefix, placeholders allowed)'))),
  iamRoleArn: z.optional(z.string(typeError('a string (an IAM role ARN)'))),
  kmsKeyId: z.optional(z.string(typeError('a string (a KMS key id, ARN or alias)'))),
  // Entries are checked one by one after (exportOnlyProblems): a list of 10,000 gets one problem, not 10,000.
  exportOnly: z.optional(z.array(z.unknown(), typeError('an array of strings'))),
  deadlineSeconds: deadlineField(),
}, typeError('a JSON object with at least sourceArn'));
export type ExecutionInput = z.infer<typeof executionInputSchema>;

function deadlineField() {
  const { min, max } = INPUT_LIMITS.deadlineSeconds;
  return z.optional(
    z.number(typeError('a number of seconds')).check(z.int('must be a whole number of seconds'), z.gte(min, `must be at least ${min} second`), z.lte(max, `must be at most 7 days (${max})`)),
  );
}
const deadlineSchema = deadlineField();

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

/**
 * Validates the execution input against the deploy-time defaults and derives everything the
 * export needs. Every problem is reported at once, each naming the field and what to do.
 */
export function buildExportRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): ExportRequest {
  const parsed = executionInputSchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map(describeIssue);
  // The checks below still run on the fields that have the right type, so one answer lists every problem.
  const input = parsed.success ? parsed.data : wellTypedFields(raw);

  const stack = stackLocation(config);
  if (input.sourceArn !== undefined) problems.push(...sourceArnProblems('sourceArn', input.sourceArn, stack));
  const source = input.sourceArn === undefined ? undefined : parseSourceArn(input.sourceArn);
  const s3Bucket = input.s3Bucket ?? config.EXPORT_BUCKET;
  problems.push(...bucketProblems(input.s3Bucket === undefined ? 's3Bucket (the default, EXPORT_BUCKET)' : 's3Bucket', s3Bucket));
  const iamRoleArn = input.iamRoleArn ?? config.EXPORT_ROLE_ARN;
  problems.push(...roleArnProblems(input.iamRoleArn === undefined ? 'iamRoleArn (the default, EXPORT_ROLE_ARN)' : 'iamRoleArn', iamRoleArn, stack));
  const kmsKeyId = input.kmsKeyId ?? config.EXPORT_KMS_KEY_ID;
  problems.push(...kmsKeyProblems(input.kmsKeyId === undefined ? 'kmsKeyId (the default, EXPORT_KMS_KEY_ID)' : 'kmsKeyId', kmsKeyId, stack));
  const exportOnly = input.exportOnly === undefined ? undefined : exportOnlyProblems('exportOnly', input.exportOnly);
  if (exportOnly) problems.push(...exportOnly.problems);
  const prefixTemplate = input.s3Prefix ?? config.EXPORT_PREFIX;
  const prefixField = input.s3Prefix === undefined ? 's3Prefix (the default, EXPORT_PREFIX)' : 's3Prefix';
  const prefixProblems = prefixTemplateProblems(prefixField, prefixTemplate, { colon: false });
  problems.push(...prefixProblems);
  if (problems.length > 0 || !source) throw new InvalidExportRequest(problems);

  const exportId = exportIdentifier(source, requestedAt);
  const deadlineSeconds = input.deadlineSeconds ?? config.DEFAULT_DEADLINE_SECONDS;
  const s3Prefix = renderPrefix(prefixTemplate, { sourceId: sourceId(source), sourceType: source.type, date: requestedAt.toISOString().slice(0, 10), exportId });
  const rendered = renderedPrefixProblem(prefixField, s3Prefix);
  if (rendered) throw new InvalidExportRequest([rendered]);
  return {
    source,
    exportId,
    s3Bucket,
    s3Prefix,
    iamRoleArn,
    kmsKeyId,
    ...(exportOnly ? { exportOnly: exportOnly.entries } : {}),
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
      throw new InvalidExportRequest([`kind ${quote(kind)} is not one of ${EXPORT_KINDS.map((k) => `"${k}"`).join(', ')}: leave it out for rds`]);
  }
}


const ec2ImageInputSchema = z.strictObject({
  imageId: z.string(typeError('a string', 'is required: the AMI to export (ami-0123456789abcdef0)')),
  diskImageFormat: z.string(typeError('a string', 'is required: VMDK, RAW or VHD')),
  s3Bucket: z.optional(z.string(typeError('a string (a bucket name)'))),
  s3Prefix: z.optional(z.string(typeError('a string (a key prefix, placeholders allowed)'))),
  roleName: z.optional(z.string(typeError('a string (an IAM role name)'))),
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
  const template = input.s3Prefix ?? '{sourceId}/{date}';
  const templateProblems = prefixTemplateProblems('s3Prefix', template);
  if (templateProblems.length > 0) throw new InvalidExportRequest(templateProblems);
  const s3Prefix = renderPrefix(template, { sourceId: input.imageId, sourceType: 'EC2_IMAGE', date: requestedAt.toISOString().slice(0, 10), exportId: '' });
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
    // An agent id may be 1,000 characters: the readable part is cut so the id keeps to 60.
    exportId: `ads-${scope.replace(/[^a-z0-9]+/gi, '-').toLowerCase().slice(0, INPUT_LIMITS.exportId.max - 'ads-'.length - hash.length - 1)}-${hash}`,
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
    return `unknown field(s) ${quoteList(issue.keys)} for kind "${kind}": allowed are kind, ${Object.keys(shape).join(', ')}`;
  }
  return `${fieldPath(issue.path)} ${issue.message}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${quoteList(issue.keys)}: allowed are ${Object.keys(executionInputSchema.shape).join(', ')}`;
  }
  return `${fieldPath(issue.path)} ${issue.message}`;
}
