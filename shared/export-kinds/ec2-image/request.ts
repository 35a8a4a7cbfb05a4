import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import type { ExportDefaults } from '../../runtime/config.ts';
import { InvalidExportRequest } from '../../runtime/errors.ts';
import { madeOnFirstUse } from '../../runtime/on-first-use.ts';
import { quote } from '../../runtime/format.ts';
import { INPUT_LIMITS } from '../input-limits.ts';
import { bucketProblems, deadlineField, describeIssue, partitionOf, prefixTemplateProblems, renderPrefix, roleNameProblems, sizeProblem, typeError } from '../input-rules.ts';

// What an ec2-image export request is, checked before anything is queued or started. Apart from
// the adapter (shared/export-kinds/ec2-image/ec2-image-provider.ts), so validating a request never loads the EC2 client.

/** An EC2 image export, ready for ExportImage. */
export interface Ec2ImageRequest {
  kind: 'ec2-image';
  /** The ExportImage parameters. */
  ec2Image: ExportImageParameters;
  /** The AMI, named like an RDS source for the notifications and logs. */
  source: { arn: string; type: 'EC2_IMAGE'; region: string; account: string; name: string };
  exportId: string;
  s3Bucket: string;
  /** The rendered prefix, without the slash EC2 needs (ec2Image.s3Prefix has it). */
  s3Prefix: string;
  requestedAt: string;
  deadline: string;
}

export const DISK_IMAGE_FORMATS = ['VMDK', 'RAW', 'VHD'] as const;
export type DiskImageFormat = (typeof DISK_IMAGE_FORMATS)[number];

/** A request ready for ExportImage: every field checked by validateExportImageParameters. */
export interface ExportImageParameters {
  imageId: string;
  diskImageFormat: DiskImageFormat;
  s3Bucket: string;
  /** May be empty; VM Import/Export puts the image at `<s3Prefix><ExportImageTaskId>.<format>`. */
  s3Prefix: string;
  /** The role VM Import/Export assumes to write to the bucket; EC2 uses "vmimport" when absent. */
  roleName?: string;
  /** Ours, and also the ExportImage ClientToken, so a retried start gets the same task back. */
  exportId: string;
}

const inputSchema = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject(
    {
      imageId: z.string(typeError('a string', 'is required: the AMI to export, ami- followed by 8 or 17 hex digits')),
      diskImageFormat: z.string(typeError('a string', `is required: one of ${DISK_IMAGE_FORMATS.join(', ')}`)),
      s3Bucket: z.string(typeError('a string', 'is required: the bucket VM Import/Export writes the image to')),
      s3Prefix: z.optional(z.string(typeError('a string'))),
      roleName: z.optional(z.string(typeError('a string (an IAM role name)'))),
      exportId: z.string(typeError('a string', 'is required: the export identifier, also sent as the ExportImage ClientToken')),
    },
    typeError('a JSON object with imageId, diskImageFormat, s3Bucket and exportId'),
  ));

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** EC2 client tokens: at most 64 ASCII characters, case-sensitive. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** Checks an EC2 image export request; every bad field is named in one InvalidExportRequest. */
export function validateExportImageParameters(raw: unknown): ExportImageParameters {
  const parsed = inputSchema().safeParse(raw);
  if (!parsed.success) throw new InvalidExportRequest(parsed.error.issues.map((issue) => describeIssue(issue, Object.keys(inputSchema().shape))));
  const input = parsed.data;
  const problems: string[] = [];
  const imageIdOk = AMI_ID.test(input.imageId);
  if (!imageIdOk) {
    problems.push(`imageId ${quote(input.imageId)} is not an AMI id: expected ami- followed by 8 or 17 lowercase hex digits (ami-0123456789abcdef0)`);
  }
  if (!(DISK_IMAGE_FORMATS as readonly string[]).includes(input.diskImageFormat)) {
    problems.push(`diskImageFormat ${quote(input.diskImageFormat)} is not one of ${DISK_IMAGE_FORMATS.join(', ')}: give one of them, in capitals`);
  }
  problems.push(...bucketProblems('s3Bucket', input.s3Bucket));
  if (input.s3Prefix !== undefined) {
    if (input.s3Prefix.startsWith('/')) {
      problems.push(`s3Prefix ${quote(input.s3Prefix)} starts with "/": S3 keys do not, so the image would land under an empty folder name; drop the leading slash`);
    }
    const size = sizeProblem('s3Prefix', input.s3Prefix, INPUT_LIMITS.s3Prefix, "S3's key limit");
    if (size) problems.push(size);
  }
  if (input.roleName !== undefined) problems.push(...roleNameProblems('roleName', input.roleName).map((problem) => problem.replace("(e.g. vmimport)", '(ExportImage takes RoleName, e.g. vmimport)')));
  // Derived from the image id by the workflow: only worth a word when the image id is right.
  if (imageIdOk && !CLIENT_TOKEN.test(input.exportId)) {
    problems.push(`exportId ${quote(input.exportId)} cannot be an EC2 client token: use 1-64 printable ASCII characters, no spaces`);
  }
  if (problems.length > 0) throw new InvalidExportRequest(problems);
  return {
    imageId: input.imageId,
    diskImageFormat: input.diskImageFormat as DiskImageFormat,
    s3Bucket: input.s3Bucket,
    s3Prefix: input.s3Prefix ?? '',
    ...(input.roleName !== undefined ? { roleName: input.roleName } : {}),
    exportId: input.exportId,
  };
}

/** AMI ARNs carry no account: arn:aws:ec2:<region>::image/ami-…. */
export function imageArn(region: string, imageId: string): string {
  return `arn:${partitionOf(region)}:ec2:${region}::image/${imageId}`;
}

/** The execution input of kind ec2-image (besides `kind`). */
const ec2ImageInputSchema = /* @__PURE__ */ madeOnFirstUse(() =>
  z.strictObject({
    imageId: z.string(typeError('a string', 'is required: the AMI to export (ami-0123456789abcdef0)')),
    diskImageFormat: z.string(typeError('a string', 'is required: VMDK, RAW or VHD')),
    s3Bucket: z.optional(z.string(typeError('a string (a bucket name)'))),
    s3Prefix: z.optional(z.string(typeError('a string (a key prefix, placeholders allowed)'))),
    roleName: z.optional(z.string(typeError('a string (an IAM role name)'))),
    deadlineSeconds: deadlineField(),
  }));

/**
 * An AMI is exported once per format and destination: the export id (also EC2's ClientToken) comes
 * from those, so a duplicate execution gets the task of the first back from ExportImage.
 */
export function buildEc2ImageRequest(raw: unknown, config: ExportDefaults, requestedAt: Date): Ec2ImageRequest {
  const parsed = ec2ImageInputSchema().safeParse(raw);
  if (!parsed.success) throw new InvalidExportRequest(parsed.error.issues.map((issue) => describeIssue(issue, ['kind', ...Object.keys(ec2ImageInputSchema().shape)], { forKind: 'ec2-image' })));
  const { deadlineSeconds, ...input } = parsed.data;
  const s3Bucket = input.s3Bucket ?? config.EXPORT_BUCKET;
  const template = input.s3Prefix ?? '{sourceId}/{date}';
  const templateProblems = prefixTemplateProblems('s3Prefix', template);
  if (templateProblems.length > 0) throw new InvalidExportRequest(templateProblems);
  const s3Prefix = renderPrefix(template, { sourceId: input.imageId, sourceType: 'EC2_IMAGE', date: requestedAt.toISOString().slice(0, 10), exportId: '' });
  const hash = createHash('sha256').update([input.imageId, input.diskImageFormat, s3Bucket, s3Prefix].join('|')).digest('hex').slice(0, 10);
  const exportId = `${input.imageId}-${input.diskImageFormat.toLowerCase()}-${hash}`;
  // EC2 writes <S3Prefix><task id>.<format>: a prefix meant as a folder needs its slash.
  const ec2Image = validateExportImageParameters({ ...input, s3Bucket, s3Prefix: s3Prefix ? `${s3Prefix}/` : '', exportId });
  const region = config.AWS_REGION ?? '';
  return {
    kind: 'ec2-image',
    ec2Image,
    source: { arn: imageArn(region, input.imageId), type: 'EC2_IMAGE', region, account: '', name: input.imageId },
    exportId,
    s3Bucket,
    s3Prefix,
    requestedAt: requestedAt.toISOString(),
    deadline: new Date(requestedAt.getTime() + (deadlineSeconds ?? config.DEFAULT_DEADLINE_SECONDS) * 1000).toISOString(),
  };
}
