import * as z from 'zod/mini';
import type { ExportDefaults } from './config.ts';
import { InvalidExportRequest } from './errors.ts';
import { exportIdentifier, parseSourceArn, sourceId, type ExportSource } from './source.ts';

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

/** A request ready for StartExportTask: every default applied, every field checked. */
export interface ExportRequest {
  source: ExportSource;
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
