/**
 * The size of every field of an execution input, of every kind: the one source of these facts.
 * The validation (each kind's request.ts, shared/export-kinds/input-rules.ts) enforces them, the README's table is
 * rendered from them (test/unit/input-limits.test.ts checks that it agrees), and together they
 * bound every state, task output and message the workflow makes: the largest valid request is a
 * few tens of KB, far under Step Functions' and SNS's 256 KB.
 */

export type LimitUnit = 'characters' | 'UTF-8 bytes' | 'entries' | 'seconds' | 'attempts';

export interface InputLimit {
  /** The field as the execution input names it (a part of a field: "the role name in iamRoleArn"). */
  readonly field: string;
  readonly kinds: string;
  readonly min?: number;
  readonly max: number;
  readonly unit: LimitUnit;
  /** Whose limit it is, and the rule beside the size. */
  readonly rule: string;
}

/**
 * Sizes the running workflow needs on their own (a failure's message clips a source it could not
 * check to the longest a valid one is): constants, so that a bundle referencing one does not carry
 * the whole table and its prose.
 */
export const MAX_SOURCE_ARN_LENGTH = 2048;
export const MAX_EXPORT_ID_LENGTH = 60;
/** The most times one snapshot is exported again (`attempt`, `start --again`): each attempt takes 4 characters of the identifier's readable part at most. */
export const MAX_EXPORT_ATTEMPT = 99;

export const INPUT_LIMITS = {
  executionInput: { field: '(the whole input)', kinds: 'all', max: 262_144, unit: 'UTF-8 bytes', rule: "Step Functions' StartExecution limit (256 KB)" },
  kind: { field: 'kind', kinds: 'all', max: 9, unit: 'characters', rule: 'rds (when absent), ec2-image or ads' },
  deadlineSeconds: { field: 'deadlineSeconds', kinds: 'all', min: 1, max: 604_800, unit: 'seconds', rule: 'a whole number; at most 7 days' },
  attempt: { field: 'attempt', kinds: 'rds', min: 2, max: MAX_EXPORT_ATTEMPT, unit: 'attempts', rule: 'a whole number: export the source again under a new identifier (RDS keeps a FAILED or CANCELED task\'s); `start --again` picks it' },
  sourceArn: { field: 'sourceArn', kinds: 'rds', max: MAX_SOURCE_ARN_LENGTH, unit: 'characters', rule: "an RDS snapshot, cluster snapshot or cluster ARN of the stack's partition, in a place it serves (its account or a member's, its region or a member region)" },
  snapshotIdentifier: { field: 'the snapshot name in sourceArn', kinds: 'rds', min: 1, max: 255, unit: 'characters', rule: 'RDS DB (cluster) snapshot identifier; automated ones start with rds:' },
  clusterIdentifier: { field: 'the cluster name in sourceArn', kinds: 'rds', min: 1, max: 63, unit: 'characters', rule: 'RDS DB cluster identifier' },
  s3Bucket: { field: 's3Bucket', kinds: 'rds, ec2-image', min: 3, max: 63, unit: 'characters', rule: 'S3 general purpose bucket naming rules, no reserved prefix or suffix' },
  s3PrefixTemplate: { field: 's3Prefix (as given)', kinds: 'rds, ec2-image', max: 1024, unit: 'UTF-8 bytes', rule: 'placeholders {sourceId} {sourceType} {date} {exportId}; no control characters' },
  s3Prefix: { field: 's3Prefix (rendered)', kinds: 'rds, ec2-image', max: 1024, unit: 'UTF-8 bytes', rule: "S3's object key limit (RDS and EC2 add the export's own path below it)" },
  iamRoleArn: { field: 'iamRoleArn', kinds: 'rds', max: 2048, unit: 'characters', rule: "arn:<partition>:iam::<account>:role/[path/]<name>, the stack's partition" },
  roleName: { field: 'the role name in iamRoleArn; roleName', kinds: 'rds, ec2-image', min: 1, max: 64, unit: 'characters', rule: 'IAM role name: letters, digits and + = , . @ _ -' },
  rolePath: { field: 'the role path in iamRoleArn', kinds: 'rds', max: 512, unit: 'characters', rule: 'IAM path' },
  kmsKeyId: { field: 'kmsKeyId', kinds: 'rds', min: 1, max: 2048, unit: 'characters', rule: "KMS key id, key ARN, alias or alias ARN; an ARN of the stack's partition and of the source's region" },
  kmsAliasName: { field: 'an alias in kmsKeyId', kinds: 'rds', min: 7, max: 256, unit: 'characters', rule: 'alias/ and letters, digits, / _ -' },
  exportOnly: { field: 'exportOnly', kinds: 'rds', min: 1, max: 200, unit: 'entries', rule: 'no duplicates; leave it out to export everything' },
  exportOnlyEntry: { field: 'an exportOnly entry', kinds: 'rds', max: 194, unit: 'characters', rule: 'database, database.table, database.schema or database.schema.table' },
  exportOnlyName: { field: 'each name in an exportOnly entry', kinds: 'rds', min: 1, max: 64, unit: 'characters', rule: 'letters, digits, $ and _ (RDS cannot export other names partially)' },
  imageId: { field: 'imageId', kinds: 'ec2-image', max: 21, unit: 'characters', rule: 'ami- and 8 or 17 lowercase hex digits' },
  diskImageFormat: { field: 'diskImageFormat', kinds: 'ec2-image', max: 4, unit: 'characters', rule: 'VMDK, RAW or VHD' },
  agentIds: { field: 'agentIds', kinds: 'ads', min: 1, max: 1, unit: 'entries', rule: 'one agent id: StartExportTask exports one agent' },
  agentId: { field: 'an agentIds entry', kinds: 'ads', min: 1, max: 1000, unit: 'characters', rule: "ADS ExportFilter value, no whitespace (e.g. o-0123456789abcdef0)" },
  adsTime: { field: 'startTime, endTime', kinds: 'ads', max: 64, unit: 'characters', rule: 'ISO-8601 with a date and a time' },
  exportId: { field: 'export id (derived; the CLI takes it)', kinds: 'all', min: 1, max: MAX_EXPORT_ID_LENGTH, unit: 'characters', rule: 'RDS ExportTaskIdentifier: letters, digits, single hyphens, starts with a letter' },
} as const satisfies Record<string, InputLimit>;

export type InputLimitName = keyof typeof INPUT_LIMITS;

/** The size S3 counts a key in. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The README's table of the limits (its "Input" section), rendered from INPUT_LIMITS. */
export function renderLimitsTable(limits: Record<string, InputLimit> = INPUT_LIMITS): string {
  const rows = Object.values(limits).map((limit) => {
    const max = limit.max.toLocaleString('en-US');
    const size = limit.min === limit.max ? `exactly ${max} ${limit.max === 1 ? limit.unit.replace(/ies$/, 'y') : limit.unit}` : `${limit.min !== undefined ? `${limit.min.toLocaleString('en-US')}–` : '≤ '}${max} ${limit.unit}`;
    return `| ${limit.field} | ${limit.kinds} | ${size} | ${limit.rule} |`;
  });
  return ['| Field | Kinds | Size | Rule |', '|---|---|---|---|', ...rows].join('\n');
}
