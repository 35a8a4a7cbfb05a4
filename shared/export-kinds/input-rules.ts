import * as z from 'zod/mini';
import { quote, quoteList } from '../runtime/format.ts';
import { INPUT_LIMITS, utf8Bytes, type InputLimit } from './input-limits.ts';
import { parseSourceArn } from './rds/source.ts';
import { partitionOf, unservedPlaceProblem, type Members } from '../accounts/members.ts';

/** The partition of a region (one definition, beside the members it also decides for). */
export { partitionOf };

// The checks of the execution input's fields that more than one kind shares. Each returns the
// problems it finds, each one saying which field, what is wrong (the bad value quoted, clipped)
// and what to do; none throws, so one answer lists every problem of an input.

/** Where the stack runs: a source, key or role of another partition or region cannot be exported by it. */
export interface StackLocation {
  region: string;
  partition: string;
}

/** The stack's location from its configuration (AWS_REGION, set by the Lambda runtime); unknown outside Lambda. */
export function stackLocation(config: { AWS_REGION?: string | undefined }): StackLocation | undefined {
  const region = config.AWS_REGION?.trim();
  return region ? { region, partition: partitionOf(region) } : undefined;
}

const PARTITION = 'aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?';

/** "is 143,360 characters: at most 63 (…)": the size problem of a value, or undefined when it fits. */
export function sizeProblem(field: string, value: string, limit: InputLimit, what = limit.rule): string | undefined {
  const size = limit.unit === 'UTF-8 bytes' ? utf8Bytes(value) : value.length;
  if (size <= limit.max && size >= (limit.min ?? 0)) return undefined;
  const range = limit.min !== undefined ? `${limit.min}–${limit.max.toLocaleString('en-US')}` : `at most ${limit.max.toLocaleString('en-US')}`;
  return `${field} ${quote(value)} is ${size.toLocaleString('en-US')} ${limit.unit}: use ${range} (${what})`;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
/** Names S3 keeps for its own features (access points, Object Lambda, directory and table buckets, docs). */
export const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
export const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const;

/** S3's rules for a general purpose bucket name. */
export function bucketProblems(field: string, bucket: string): string[] {
  const size = sizeProblem(field, bucket, INPUT_LIMITS.s3Bucket, 'the length of an S3 bucket name');
  if (size) return [size];
  const problems: string[] = [];
  const fix = 'use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
  if (!BUCKET.test(bucket)) problems.push(`${field} ${quote(bucket)} is not a valid bucket name: ${fix}`);
  else if (bucket.includes('..')) problems.push(`${field} ${quote(bucket)} has two dots in a row: S3 refuses it; ${fix}`);
  else if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) problems.push(`${field} ${quote(bucket)} is formatted as an IP address: S3 refuses it; name the bucket with letters too`);
  const prefix = RESERVED_BUCKET_PREFIXES.find((reserved) => bucket.startsWith(reserved));
  if (prefix) problems.push(`${field} ${quote(bucket)} starts with ${quote(prefix)}, a prefix S3 reserves: no bucket can have this name; give the export bucket's real name`);
  const suffix = RESERVED_BUCKET_SUFFIXES.find((reserved) => bucket.endsWith(reserved));
  if (suffix) {
    problems.push(`${field} ${quote(bucket)} ends with ${quote(suffix)}, a suffix S3 reserves (access point aliases, directory and table buckets): give a general purpose bucket's name`);
  }
  return problems;
}

export const PREFIX_PLACEHOLDERS = ['sourceId', 'sourceType', 'date', 'exportId'] as const;
export type PrefixValues = Record<(typeof PREFIX_PLACEHOLDERS)[number], string>;

/** C0 and C1 control characters and DEL: invisible in a console, and S3 advises against them in keys. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The prefix template as given: its size, its characters and its placeholders. */
export function prefixTemplateProblems(field: string, template: string, options: { colon?: boolean } = {}): string[] {
  const size = sizeProblem(field, template, INPUT_LIMITS.s3PrefixTemplate, "S3's key limit");
  if (size) return [size];
  const problems: string[] = [];
  const control = CONTROL.exec(template);
  if (control) {
    problems.push(`${field} ${quote(template)} has a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}) at position ${control.index}: remove it`);
  }
  if (options.colon === false && template.includes(':')) {
    problems.push(`${field} ${quote(template)} has a ":": RDS does not export to a prefix with a colon; use "/" or "-" instead`);
  }
  const unclosed = /\{[^}]*$/.exec(template);
  if (unclosed) problems.push(`${field} ${quote(template)} has an unclosed placeholder at position ${unclosed.index}: close it with "}" (${placeholderList()})`);
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]!).filter((token) => !(PREFIX_PLACEHOLDERS as readonly string[]).includes(token));
  if (unknown.length > 0) problems.push(`${field} has unknown placeholder(s) ${quoteList(unknown.map((token) => `{${token}}`))}: use ${placeholderList()}`);
  return problems;
}

function placeholderList(): string {
  return PREFIX_PLACEHOLDERS.map((token) => `{${token}}`).join(', ');
}

/** The template with its placeholders filled in, without leading or trailing slashes. */
export function renderPrefix(template: string, values: PrefixValues): string {
  return template.replace(/\{(\w+)\}/g, (match, token: string) => (token in values ? values[token as keyof PrefixValues] : match)).replace(/^\/+|\/+$/g, '');
}

/** The rendered prefix: placeholders make it longer than the template. */
export function renderedPrefixProblem(field: string, rendered: string): string | undefined {
  return sizeProblem(`${field} (rendered)`, rendered, INPUT_LIMITS.s3Prefix, "S3's key limit: shorten the template or use shorter placeholders");
}

const ROLE_NAME = /^[\w+=,.@-]+$/;

/** An IAM role name, as EC2's RoleName takes it or as the last part of a role ARN. */
export function roleNameProblems(field: string, name: string): string[] {
  const size = sizeProblem(field, name, INPUT_LIMITS.roleName, "IAM's limit for a role name");
  if (size) return [size];
  if (name.startsWith('arn:')) return [`${field} ${quote(name)} is an ARN: give the role's name only (e.g. vmimport)`];
  return ROLE_NAME.test(name) ? [] : [`${field} ${quote(name)} is not an IAM role name: use letters, digits and + = , . @ _ -`];
}

const ROLE_ARN = new RegExp(`^arn:(${PARTITION}):iam::(\\d{12}):role/(.*?)([^/]*)$`);

export function roleArnProblems(field: string, arn: string, stack: StackLocation | undefined): string[] {
  const size = sizeProblem(field, arn, INPUT_LIMITS.iamRoleArn, 'the length of an ARN');
  if (size) return [size];
  const match = ROLE_ARN.exec(arn);
  if (!match) return [`${field} ${quote(arn)} is not an IAM role ARN: expected arn:aws:iam::<account>:role/<name>`];
  const [, partition, , path, name] = match as unknown as [string, string, string, string, string];
  const problems = roleNameProblems(`the role name in ${field}`, name);
  const pathProblem = sizeProblem(`the role path in ${field}`, path, INPUT_LIMITS.rolePath, "IAM's limit for a path");
  if (pathProblem) problems.push(pathProblem);
  if (stack && partition !== stack.partition) problems.push(partitionProblem(field, arn, partition, stack));
  return problems;
}

const KEY_ID = /^(?:mrk-)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/;
const ALIAS = /^alias\/[\w/-]+$/;
const KMS_ARN = new RegExp(`^arn:(${PARTITION}):kms:([a-z0-9-]+):(\\d{12}):(key/[\\w-]+|alias/[\\w/-]+)$`);

/**
 * A KMS key for an export: RDS encrypts with a key of the source's region (`sourceRegion`, the
 * stack's when absent: before members, every source was of the stack's region).
 */
export function kmsKeyProblems(field: string, keyId: string, stack: StackLocation | undefined, sourceRegion?: string): string[] {
  const size = sizeProblem(field, keyId, INPUT_LIMITS.kmsKeyId, "KMS's limit for a key id");
  if (size) return [size];
  const arn = KMS_ARN.exec(keyId);
  const alias = arn ? (arn[4]!.startsWith('alias/') ? arn[4]! : undefined) : ALIAS.test(keyId) ? keyId : undefined;
  if (!arn && !alias && !KEY_ID.test(keyId)) return [`${field} ${quote(keyId)} is not a KMS key id, key ARN, alias (alias/<name>) or alias ARN`];
  const problems: string[] = [];
  if (alias) {
    const aliasSize = sizeProblem(`the alias in ${field}`, alias, INPUT_LIMITS.kmsAliasName, "KMS's limit for an alias name");
    if (aliasSize) problems.push(aliasSize);
  }
  if (arn && stack) {
    if (arn[1] !== stack.partition) problems.push(partitionProblem(field, keyId, arn[1]!, stack));
    else if (sourceRegion !== undefined && sourceRegion !== stack.region) {
      if (arn[2] !== sourceRegion) {
        problems.push(
          `${field} ${quote(keyId)} is in ${arn[2]}, but the source is in ${sourceRegion} (RDS encrypts an export with a key of the source's region): ` +
            `give a key of ${sourceRegion}, e.g. a multi-Region key's replica there ({region} in EXPORT_KMS_KEY_ID names it for every region)`,
        );
      }
    } else if (arn[2] !== stack.region) problems.push(regionProblem(field, keyId, arn[2]!, stack, 'RDS encrypts an export with a key of its own region', `give a key of ${stack.region}`));
  }
  return problems;
}

export function partitionProblem(field: string, arn: string, partition: string, stack: StackLocation): string {
  return `${field} ${quote(arn)} is in partition ${partition}, but this stack runs in ${stack.partition} (${stack.region}): give an ARN of ${stack.partition}, or deploy the stack there`;
}

export function regionProblem(field: string, arn: string, region: string, stack: StackLocation, why: string, fix: string): string {
  return `${field} ${quote(arn)} is in ${region}, but this stack runs in ${stack.region} (${why}): ${fix}`;
}

/**
 * An RDS source: an ARN of a DB snapshot, cluster snapshot or cluster, whose name RDS could have
 * given, in the stack's partition and region (StartExportTask exports a source of its own region).
 */
export function sourceArnProblems(field: string, arn: string, stack: StackLocation | undefined, members?: Members): string[] {
  const size = sizeProblem(field, arn, INPUT_LIMITS.sourceArn, 'the length of an ARN');
  if (size) return [size];
  const source = parseSourceArn(arn);
  if (!source) {
    return [
      `${field} ${quote(arn)} is not an RDS snapshot, cluster snapshot or cluster ARN: ` +
        'expected arn:aws:rds:<region>:<account>:snapshot:<name> (or cluster-snapshot:<name>, cluster:<name>)',
    ];
  }
  const problems: string[] = [];
  const nameLimit = source.type === 'CLUSTER' ? INPUT_LIMITS.clusterIdentifier : INPUT_LIMITS.snapshotIdentifier;
  const nameSize = sizeProblem(`the name in ${field}`, source.name, nameLimit, `RDS's limit for a ${source.type === 'CLUSTER' ? 'cluster' : 'snapshot'} identifier`);
  if (nameSize) problems.push(nameSize);
  else if (/[\s\u0000-\u001f\u007f-\u009f]/.test(source.name)) problems.push(`the name in ${field} ${quote(source.name)} has whitespace or a control character: no RDS identifier does; copy the ARN from the RDS console or API`);
  const partition = arn.split(':')[1]!;
  if (stack && partition !== stack.partition) problems.push(partitionProblem(field, arn, partition, stack));
  else if (members) {
    // With members, the places served decide: the own account and each member, in each member region.
    const unserved = unservedPlaceProblem(field, arn, source, members);
    if (unserved) problems.push(unserved);
  } else if (stack && source.region !== stack.region) problems.push(regionProblem(field, arn, source.region, stack, 'RDS exports a snapshot or cluster of its own region only', `copy the snapshot to ${stack.region}, or export it with a stack deployed in ${source.region}`));
  return problems;
}

/** RDS's names for a database, schema or table that a partial export (ExportOnly) can name. */
const EXPORT_ONLY_NAME = /^[A-Za-z0-9$_]+$/;

/** An ExportOnly list: its count, each entry's form and size, and no entry twice. */
export function exportOnlyProblems(field: string, entries: readonly unknown[]): { problems: string[]; entries: string[] } {
  const limit = INPUT_LIMITS.exportOnly;
  if (entries.length === 0) return { problems: [`${field} is empty: leave it out to export everything`], entries: [] };
  if (entries.length > limit.max) {
    // Not checked entry by entry: 10,000 entries would make 10,000 problems.
    return { problems: [`${field} has ${entries.length.toLocaleString('en-US')} entries: RDS takes at most ${limit.max}; export whole databases (fewer entries), or split the tables over several exports`], entries: [] };
  }
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const valid: string[] = [];
  entries.forEach((entry, index) => {
    const at = `${field}[${index}]`;
    if (typeof entry !== 'string') {
      problems.push(`${at} must be a string, got ${described(entry)}`);
      return;
    }
    const size = sizeProblem(at, entry, INPUT_LIMITS.exportOnlyEntry, 'database.schema.table of 64-character names');
    if (size) {
      problems.push(size);
      return;
    }
    const names = entry.split('.');
    if (names.length > 3 || names.some((name) => name === '')) {
      problems.push(`${at} ${quote(entry)} must be database, database.table, database.schema or database.schema.table`);
      return;
    }
    const long = names.find((name) => name.length > INPUT_LIMITS.exportOnlyName.max);
    if (long !== undefined) {
      problems.push(`${at} ${quote(entry)} has a name of ${long.length} characters: database, schema and table names are at most ${INPUT_LIMITS.exportOnlyName.max}`);
      return;
    }
    const odd = names.find((name) => !EXPORT_ONLY_NAME.test(name));
    if (odd !== undefined) {
      problems.push(`${at} ${quote(entry)}: ${quote(odd)} has characters other than letters, digits, $ and _, which RDS cannot export partially; export its database whole instead`);
      return;
    }
    const first = seen.get(entry);
    if (first !== undefined) problems.push(`${at} ${quote(entry)} repeats ${field}[${first}]: give each entry once`);
    else seen.set(entry, index);
    valid.push(entry);
  });
  return { problems, entries: valid };
}

/** What a value is, for "must be X, got …": its JSON type and the value itself, clipped. */
export function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${quote(value)})`;
  const type = typeof value;
  const article = type === 'object' || type === 'undefined' ? 'an' : 'a';
  return `${article} ${type} (${quote(value)})`;
}

/**
 * The zod error of a field: missing is "is required" (with what to give), a wrong type says the
 * type it must be and the one it got, never "is required" for a field that is there.
 */
export function typeError(expected: string, whenMissing = `is required: ${expected}`): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? whenMissing : `must be ${expected}, got ${described(issue.input)}`) };
}

/**
 * One zod issue as a problem line, the one wording of every input and settings check: the field and
 * what is wrong with it, or the unknown fields and the ones allowed (`forKind`: whose fields they are).
 * `input` names the whole input when the issue is about it; empty: the message alone.
 */
export function describeIssue(
  issue: { code: string; path: readonly PropertyKey[]; message: string; keys?: readonly string[] },
  allowed: readonly string[],
  { forKind, input = 'input' }: { forKind?: string; input?: string } = {},
): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${quoteList(issue.keys ?? [])}${forKind ? ` for kind "${forKind}"` : ''}: allowed are ${allowed.join(', ')}`;
  }
  if (issue.path.length === 0 && input === '') return issue.message;
  return `${fieldPath(issue.path, input)} ${issue.message}`;
}

/** A zod issue's path as the problems name fields: exportOnly[3], agentIds[0]; the input itself is "input". */
export function fieldPath(path: readonly PropertyKey[], input = 'input'): string {
  if (path.length === 0) return input;
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index > 0 ? '.' : ''}${String(key)}`)).join('');
}

/** `attempt`: the how-many-th export of the source (RDS keeps the identifiers of FAILED and CANCELED tasks). */
export function attemptField() {
  const { min, max } = INPUT_LIMITS.attempt;
  return z.optional(
    z.number(typeError('a whole number (2 or more: export the source again)')).check(
      z.int('must be a whole number'),
      z.gte(min, `must be at least ${min}: the first export of a source is attempt 1, and leaves attempt out`),
      z.lte(max, `must be at most ${max}`),
    ),
  );
}

/** deadlineSeconds of every kind: how long the export may run before it is canceled. */
export function deadlineField() {
  const { min, max } = INPUT_LIMITS.deadlineSeconds;
  return z.optional(
    z.number(typeError('a number of seconds')).check(z.int('must be a whole number of seconds'), z.gte(min, `must be at least ${min} second`), z.lte(max, `must be at most 7 days (${max})`)),
  );
}
