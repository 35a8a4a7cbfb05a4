import * as z from 'zod/mini';
import { InvalidExportRequest } from '../../runtime/errors.ts';
import { quote } from '../../runtime/format.ts';
import { INPUT_LIMITS } from '../input-limits.ts';
import { bucketProblems, describeIssue, partitionOf, roleNameProblems, sizeProblem, typeError } from '../input-rules.ts';

// What an ec2-image export request is, checked before anything is queued or started. Apart from
// the adapter (shared/export-kinds/ec2-image/ec2-image-provider.ts), so validating a request never loads the EC2 client.

export const DISK_IMAGE_FORMATS = ['VMDK', 'RAW', 'VHD'] as const;
export type DiskImageFormat = (typeof DISK_IMAGE_FORMATS)[number];

/** A request ready for ExportImage: every field checked by validateEc2ImageExportRequest. */
export interface Ec2ImageExportRequest {
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

const inputSchema = z.strictObject(
  {
    imageId: z.string(typeError('a string', 'is required: the AMI to export, ami- followed by 8 or 17 hex digits')),
    diskImageFormat: z.string(typeError('a string', `is required: one of ${DISK_IMAGE_FORMATS.join(', ')}`)),
    s3Bucket: z.string(typeError('a string', 'is required: the bucket VM Import/Export writes the image to')),
    s3Prefix: z.optional(z.string(typeError('a string'))),
    roleName: z.optional(z.string(typeError('a string (an IAM role name)'))),
    exportId: z.string(typeError('a string', 'is required: the export identifier, also sent as the ExportImage ClientToken')),
  },
  typeError('a JSON object with imageId, diskImageFormat, s3Bucket and exportId'),
);

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/** EC2 client tokens: at most 64 ASCII characters, case-sensitive. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** Checks an EC2 image export request; every bad field is named in one InvalidExportRequest. */
export function validateEc2ImageExportRequest(raw: unknown): Ec2ImageExportRequest {
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidExportRequest(parsed.error.issues.map((issue) => describeIssue(issue, Object.keys(inputSchema.shape))));
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
