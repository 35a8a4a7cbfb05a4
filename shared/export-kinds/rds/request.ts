import * as z from 'zod/mini';
import { InvalidExportRequest } from '../../runtime/errors.ts';
import { madeOnFirstUse } from '../../runtime/on-first-use.ts';
import { quote } from '../../runtime/format.ts';
import { memberExportRoleArn, reachedThroughRole, type RequestDefaults } from '../../accounts/members.ts';
import {
  attemptField,
  bucketProblems,
  deadlineField,
  describeIssue,
  exportOnlyProblems,
  kmsKeyProblems,
  prefixTemplateProblems,
  renderedPrefixProblem,
  renderPrefix,
  roleArnProblems,
  sourceArnProblems,
  stackLocation,
  typeError,
} from '../input-rules.ts';
import { exportIdentifier, parseSourceArn, sourceId, type ExportSource } from './source.ts';

/**
 * The execution input, as a person or a trigger writes it. Unknown fields are refused: a typo must
 * not silently fall back to a default. A field of the wrong type is named with the type it must be
 * and the one it has; sizes and forms are checked after (export-kinds/input-rules.ts, INPUT_LIMITS).
 */
const executionInputSchema = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject({
    sourceArn: z.string(typeError('a string', 'is required: the ARN of a DB snapshot, DB cluster snapshot or DB cluster')),
    s3Bucket: z.optional(z.string(typeError('a string (a bucket name)'))),
    s3Prefix: z.optional(z.string(typeError('a string (a key prefix, placeholders allowed)'))),
    iamRoleArn: z.optional(z.string(typeError('a string (an IAM role ARN)'))),
    kmsKeyId: z.optional(z.string(typeError('a string (a KMS key id, ARN or alias)'))),
    // Entries are checked one by one after (exportOnlyProblems): a list of 10,000 gets one problem, not 10,000.
    exportOnly: z.optional(z.array(z.unknown(), typeError('an array of strings'))),
    deadlineSeconds: deadlineField(),
    attempt: attemptField(),
  }, typeError('a JSON object with at least sourceArn')));
export type ExecutionInput = z.infer<ReturnType<typeof executionInputSchema>>;

/** An RDS export (DB snapshot, DB cluster snapshot, live DB cluster), ready for StartExportTask: every default applied, every field checked. */
export interface RdsRequest {
  /** Absent on requests made before kinds existed (executions in flight across that upgrade): rds. */
  kind?: 'rds';
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

/**
 * Validates the execution input against the deploy-time defaults and derives everything the
 * export needs. Every problem is reported at once, each naming the field and what to do.
 */
export function buildRdsRequest(raw: unknown, config: RequestDefaults, requestedAt: Date): RdsRequest {
  const parsed = executionInputSchema().safeParse(raw);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((issue) => describeIssue(issue, Object.keys(executionInputSchema().shape)));
  // The checks below still run on the fields that have the right type, so one answer lists every problem.
  const input = parsed.success ? parsed.data : wellTypedFields(raw);

  const { members } = config;
  const stack = stackLocation(config);
  if (input.sourceArn !== undefined) problems.push(...sourceArnProblems('sourceArn', input.sourceArn, stack, members));
  const source = input.sourceArn === undefined ? undefined : parseSourceArn(input.sourceArn);
  // The export runs in the source's place: with members, a bucket and key of its region ({region} in
  // the defaults names it), and for a member account that account's own export role (RDS takes a
  // role of the caller's account only).
  const sourceRegion = members && source ? source.region : undefined;
  const inRegion = (template: string) => (sourceRegion ? template.replaceAll('{region}', sourceRegion) : template);
  const member = members && source && reachedThroughRole(members, source.account) ? source.account : undefined;
  const s3Bucket = input.s3Bucket ?? inRegion(config.EXPORT_BUCKET);
  problems.push(...bucketProblems(input.s3Bucket === undefined ? 's3Bucket (the default, EXPORT_BUCKET)' : 's3Bucket', s3Bucket));
  const iamRoleArn = input.iamRoleArn ?? (member ? memberExportRoleArn(members!, member) : config.EXPORT_ROLE_ARN);
  const roleField = input.iamRoleArn !== undefined ? 'iamRoleArn' : member ? 'iamRoleArn (the default for a member account, MEMBER_EXPORT_ROLE_NAME)' : 'iamRoleArn (the default, EXPORT_ROLE_ARN)';
  problems.push(...roleArnProblems(roleField, iamRoleArn, stack));
  const roleAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(iamRoleArn)?.[1];
  if (member && roleAccount && roleAccount !== member) {
    problems.push(
      `${roleField} ${quote(iamRoleArn)} is a role of account ${roleAccount}, but the source is in member account ${member}: RDS takes a role of the source's own account; ` +
        `leave iamRoleArn out to use the member export role ${memberExportRoleArn(members!, member)}`,
    );
  }
  const kmsKeyId = input.kmsKeyId ?? inRegion(config.EXPORT_KMS_KEY_ID);
  problems.push(...kmsKeyProblems(input.kmsKeyId === undefined ? 'kmsKeyId (the default, EXPORT_KMS_KEY_ID)' : 'kmsKeyId', kmsKeyId, stack, sourceRegion));
  const exportOnly = input.exportOnly === undefined ? undefined : exportOnlyProblems('exportOnly', input.exportOnly);
  if (exportOnly) problems.push(...exportOnly.problems);
  const prefixTemplate = input.s3Prefix ?? config.EXPORT_PREFIX;
  const prefixField = input.s3Prefix === undefined ? 's3Prefix (the default, EXPORT_PREFIX)' : 's3Prefix';
  const prefixProblems = prefixTemplateProblems(prefixField, prefixTemplate, { colon: false });
  problems.push(...prefixProblems);
  if (problems.length > 0 || !source) throw new InvalidExportRequest(problems);

  const exportId = exportIdentifier(source, requestedAt, input.attempt);
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
  for (const [key, schema] of Object.entries(executionInputSchema().shape)) {
    const value = (raw as Record<string, unknown>)[key];
    if (value !== undefined && schema.safeParse(value).success) Object.assign(fields, { [key]: value });
  }
  return fields;
}

/** The folder an RDS export writes: <bucket>/<prefix>/<export id>/ (its data and its metadata files). */
export function exportFolderOf(request: Pick<RdsRequest, 's3Bucket' | 's3Prefix' | 'exportId'>): { bucket: string; prefix: string } {
  return { bucket: request.s3Bucket, prefix: `${request.s3Prefix ? `${request.s3Prefix}/` : ''}${request.exportId}/` };
}
