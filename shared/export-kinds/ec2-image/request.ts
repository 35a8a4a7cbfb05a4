import * as z from 'zod/mini';
import { InvalidExportRequest } from '../../runtime/errors.ts';

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
    imageId: z.string('is required: the AMI to export, ami- followed by 8 or 17 hex digits'),
    diskImageFormat: z.string(`is required: one of ${DISK_IMAGE_FORMATS.join(', ')}`),
    s3Bucket: z.string('is required: the bucket VM Import/Export writes the image to'),
    s3Prefix: z.optional(z.string('must be a string')),
    roleName: z.optional(z.string('must be a string')),
    exportId: z.string('is required: the export identifier, also sent as the ExportImage ClientToken'),
  },
  'must be a JSON object with imageId, diskImageFormat, s3Bucket and exportId',
);

const AMI_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** EC2 client tokens: at most 64 ASCII characters, case-sensitive. */
const CLIENT_TOKEN = /^[\x21-\x7e]{1,64}$/;

/** Checks an EC2 image export request; every bad field is named in one InvalidExportRequest. */
export function validateEc2ImageExportRequest(raw: unknown): Ec2ImageExportRequest {
  const parsed = inputSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidExportRequest(parsed.error.issues.map(describeIssue));
  const input = parsed.data;
  const problems: string[] = [];
  if (!AMI_ID.test(input.imageId)) {
    problems.push(`imageId "${input.imageId}" is not an AMI id: expected ami- followed by 8 or 17 lowercase hex digits (ami-0123456789abcdef0)`);
  }
  if (!(DISK_IMAGE_FORMATS as readonly string[]).includes(input.diskImageFormat)) {
    problems.push(`diskImageFormat "${input.diskImageFormat}" is not one of ${DISK_IMAGE_FORMATS.join(', ')}`);
  }
  if (!BUCKET.test(input.s3Bucket) || input.s3Bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(input.s3Bucket)) {
    problems.push(`s3Bucket "${input.s3Bucket}" is not a valid bucket name: use 3-63 lowercase letters, digits, dots and hyphens`);
  }
  if (input.s3Prefix?.startsWith('/')) {
    problems.push(`s3Prefix "${input.s3Prefix}" starts with "/": S3 keys do not, so the image would land under an empty folder name`);
  }
  if (input.roleName !== undefined && !ROLE_NAME.test(input.roleName)) {
    problems.push(
      input.roleName.startsWith('arn:')
        ? `roleName "${input.roleName}" is an ARN: give the role's name only (ExportImage takes RoleName, e.g. vmimport)`
        : `roleName "${input.roleName}" is not an IAM role name: 1-64 letters, digits and + = , . @ _ -`,
    );
  }
  if (!CLIENT_TOKEN.test(input.exportId)) {
    problems.push(`exportId "${input.exportId}" cannot be an EC2 client token: use 1-64 printable ASCII characters, no spaces`);
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

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are ${Object.keys(inputSchema.shape).join(', ')}`;
  }
  return `${issue.path.length > 0 ? issue.path.join('.') : 'input'} ${issue.message}`;
}

/** AMI ARNs carry no account: arn:aws:ec2:<region>::image/ami-…. */
export function imageArn(region: string, imageId: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ec2:${region}::image/${imageId}`;
}
