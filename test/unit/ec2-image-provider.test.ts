import {
  CancelExportTaskCommand,
  DescribeExportImageTasksCommand,
  EC2Client,
  EC2ServiceException,
  ExportImageCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Ec2ImageExportProvider, normaliseEc2ImageTask } from '../../shared/export-kinds/ec2-image/ec2-image-provider.ts';
import { imageArn, validateExportImageParameters, type ExportImageParameters } from '../../shared/export-kinds/ec2-image/request.ts';
import {
  CannotCancelExport,
  ExportIdentifierConflict,
  ExportServiceError,
  ExportTaskNotFound,
  InvalidExportRequest,
  TransientAwsError,
  UnknownExportStatus,
} from '../../shared/runtime/errors.ts';
import { failure } from '../support/failure.ts';

const REGION = 'eu-west-1';
const IMAGE_ID = 'ami-0123456789abcdef0';
const TASK_ID = 'export-ami-0a1b2c3d4e5f60718';

describe('normaliseEc2ImageTask', () => {
  it.each([
    [{ Status: 'active', StatusMessage: 'validating' }, { status: 'STARTING', percent: 0 }],
    [{ Status: 'active', Progress: '' }, { status: 'STARTING', percent: 0 }],
    [{ Status: 'active', Progress: '0', StatusMessage: 'converting' }, { status: 'IN_PROGRESS', percent: 0 }],
    [{ Status: 'active', Progress: '21', StatusMessage: 'updating' }, { status: 'IN_PROGRESS', percent: 21 }],
    [{ Status: 'active', Progress: ' 99.7 ' }, { status: 'IN_PROGRESS', percent: 99 }],
    [{ Status: 'active', Progress: '140' }, { status: 'IN_PROGRESS', percent: 100 }],
    [{ Status: 'active', Progress: 'n/a' }, { status: 'IN_PROGRESS', percent: 0 }],
    [{ Status: 'completed' }, { status: 'COMPLETE', percent: 100 }],
    [{ Status: 'completed', Progress: '87' }, { status: 'COMPLETE', percent: 100 }],
    [{ Status: 'deleting', Progress: '40' }, { status: 'CANCELING', percent: 40 }],
    [{ Status: 'deleted', Progress: '40' }, { status: 'CANCELED', percent: 40 }],
    [{ Status: 'deleted' }, { status: 'CANCELED', percent: 0 }],
    [{ Status: 'deleted', StatusMessage: 'Canceled by the user' }, { status: 'CANCELED', percent: 0 }],
    [{ Status: 'deleted', StatusMessage: 'Task was cancelled after an error in the client' }, { status: 'CANCELED', percent: 0 }],
    [{ Status: 'deleted', StatusMessage: 'ok' }, { status: 'CANCELED', percent: 0 }],
  ] as const)('reads %j as %j', (task, expected) => {
    expect(normaliseEc2ImageTask(task)).toEqual(expected);
  });

  it.each([
    ['deleting', 'ClientError: Insufficient permissions on bucket my-exports', 'FAILED'],
    ['deleted', 'ClientError: Insufficient permissions on bucket my-exports', 'FAILED'],
    ['deleted', 'ServerError: internal failure', 'FAILED'],
    ['deleted', 'The export failed while converting the volume', 'FAILED'],
    ['deleted', 'Access denied for role vmimport', 'FAILED'],
    ['deleted', 'The image uses a product code that is not supported for export', 'FAILED'],
  ] as const)('reads %s with the failure message %j as FAILED, the message as the cause', (Status, StatusMessage, status) => {
    expect(normaliseEc2ImageTask({ Status, StatusMessage, Progress: '12' })).toEqual({ status, percent: 12, failureCause: StatusMessage });
  });

  it.each([
    ['ACTIVE', 'IN_PROGRESS'],
    [' Completed\n', 'COMPLETE'],
    ['DELETED', 'CANCELED'],
  ] as const)('reads the status in any case and spacing (%j as %s)', (Status, status) => {
    expect(normaliseEc2ImageTask({ Status, Progress: '5' }).status).toBe(status);
  });

  it.each(['pending', 'failed', '', undefined])('refuses the unknown status %j with UnknownExportStatus, naming it', (Status) => {
    expect(() => normaliseEc2ImageTask({ Status })).toThrow(UnknownExportStatus);
    expect(() => normaliseEc2ImageTask({ Status })).toThrow(`"${Status}"`);
  });
});

describe('validateExportImageParameters', () => {
  const valid = { imageId: IMAGE_ID, diskImageFormat: 'VMDK', s3Bucket: 'image-exports', s3Prefix: 'amis/', roleName: 'vmimport', exportId: 'web-ami-2026-0123456789' };

  function problemsOf(raw: unknown): string[] {
    try {
      validateExportImageParameters(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidExportRequest);
      return (error as InvalidExportRequest).problems;
    }
    throw new Error('expected the request to be refused');
  }

  it('accepts a complete request as is', () => {
    expect(validateExportImageParameters(valid)).toEqual(valid);
  });

  it('accepts an 8-digit AMI id, no prefix and no role (EC2 then uses vmimport)', () => {
    // Prepare
    const { s3Prefix: _prefix, roleName: _role, ...rest } = valid;

    // Act
    const request = validateExportImageParameters({ ...rest, imageId: 'ami-1234abcd', diskImageFormat: 'VHD' });

    // Assess
    expect(request).toEqual({ ...rest, imageId: 'ami-1234abcd', diskImageFormat: 'VHD', s3Prefix: '' });
    expect(request).not.toHaveProperty('roleName');
  });

  it.each([
    ['imageId', 'i-0123456789abcdef0', 'imageId "i-0123456789abcdef0" is not an AMI id'],
    ['imageId', 'ami-0123456789ABCDEF0', 'is not an AMI id'],
    ['imageId', 'ami-123', 'is not an AMI id'],
    ['diskImageFormat', 'vmdk', 'diskImageFormat "vmdk" is not one of VMDK, RAW, VHD'],
    ['diskImageFormat', 'QCOW2', 'is not one of VMDK, RAW, VHD'],
    ['s3Bucket', 'Image_Exports', 's3Bucket "Image_Exports" is not a valid bucket name'],
    ['s3Bucket', '192.168.1.10', 'is formatted as an IP address'],
    ['s3Bucket', 'a..b', 'has two dots in a row'],
    ['s3Prefix', '/amis/', 'starts with "/"'],
    ['roleName', 'arn:aws:iam::123456789012:role/vmimport', "give the role's name only"],
    ['roleName', 'vm import', 'is not an IAM role name'],
    ['exportId', 'x'.repeat(65), 'cannot be an EC2 client token'],
    ['exportId', 'has space', 'cannot be an EC2 client token'],
  ])('refuses a bad %s (%j), saying what is wrong', (field, value, message) => {
    expect(problemsOf({ ...valid, [field]: value })).toEqual([expect.stringContaining(message)]);
  });

  it('names every bad field at once', () => {
    const problems = problemsOf({ ...valid, imageId: 'ami-x', diskImageFormat: 'ISO', s3Bucket: 'B' });

    expect(problems).toHaveLength(3);
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual(['imageId', 'diskImageFormat', 's3Bucket']);
  });

  it('names missing fields and refuses unknown ones', () => {
    expect(problemsOf({ imageId: IMAGE_ID, format: 'VMDK' })).toEqual([
      expect.stringMatching(/^diskImageFormat is required/),
      expect.stringMatching(/^s3Bucket is required/),
      expect.stringMatching(/^exportId is required/),
      expect.stringMatching(/^unknown field\(s\) "format": allowed are imageId, diskImageFormat, s3Bucket, s3Prefix, roleName, exportId/),
    ]);
  });

  it('refuses what is not an object', () => {
    expect(problemsOf('ami-0123456789abcdef0')).toEqual([expect.stringContaining('must be a JSON object')]);
  });
});

describe('imageArn', () => {
  it.each([
    ['us-east-1', 'arn:aws:ec2:us-east-1::image/ami-1234abcd'],
    ['cn-north-1', 'arn:aws-cn:ec2:cn-north-1::image/ami-1234abcd'],
    ['us-gov-west-1', 'arn:aws-us-gov:ec2:us-gov-west-1::image/ami-1234abcd'],
  ])('names the AMI in %s with its partition and no account', (region, arn) => {
    expect(imageArn(region, 'ami-1234abcd')).toBe(arn);
  });
});

describe('Ec2ImageExportProvider', () => {
  const ec2Mock = mockClient(EC2Client);
  const provider = new Ec2ImageExportProvider(new EC2Client({ region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const request: ExportImageParameters = {
    imageId: IMAGE_ID,
    diskImageFormat: 'RAW',
    s3Bucket: 'image-exports',
    s3Prefix: 'amis/',
    roleName: 'image-export',
    exportId: 'web-ami-0123456789',
  };

  function ec2Error(name: string, httpStatusCode = 400): EC2ServiceException {
    return new EC2ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name} (test)` });
  }

  beforeEach(() => {
    ec2Mock.reset();
  });

  afterAll(() => {
    ec2Mock.restore();
  });

  it('starts with ExportImage, the export id as ClientToken, and follows the task id EC2 assigns', async () => {
    // Prepare
    ec2Mock.on(ExportImageCommand).resolves({ ExportImageTaskId: TASK_ID, ImageId: IMAGE_ID, Status: 'active', StatusMessage: 'validating' });

    // Act
    const started = await provider.start(request);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(ExportImageCommand, {
      ImageId: IMAGE_ID,
      DiskImageFormat: 'RAW',
      S3ExportLocation: { S3Bucket: 'image-exports', S3Prefix: 'amis/' },
      RoleName: 'image-export',
      ClientToken: 'web-ami-0123456789',
    });
    expect(started).toEqual({ exportId: TASK_ID, sourceArn: `arn:aws:ec2:${REGION}::image/${IMAGE_ID}`, status: 'STARTING', percent: 0, adopted: false });
  });

  it('leaves out an empty prefix and an absent role, so EC2 applies its defaults', async () => {
    // Prepare
    ec2Mock.on(ExportImageCommand).resolves({ ExportImageTaskId: TASK_ID, Status: 'active' });
    const { roleName: _role, ...withoutRole } = request;

    // Act
    await provider.start({ ...withoutRole, s3Prefix: '' });

    // Assess
    const input = ec2Mock.commandCalls(ExportImageCommand)[0]!.args[0].input;
    expect(input.S3ExportLocation).toEqual({ S3Bucket: 'image-exports' });
    expect(input).not.toHaveProperty('RoleName', expect.anything());
  });

  it('turns IdempotentParameterMismatch (the export id reused for another export) into ExportIdentifierConflict', async () => {
    ec2Mock.on(ExportImageCommand).rejects(ec2Error('IdempotentParameterMismatch'));

    await expect(provider.start(request)).rejects.toThrow(ExportIdentifierConflict);
  });

  it.each([
    ['RequestLimitExceeded', 503, TransientAwsError],
    ['InternalError', 500, TransientAwsError],
    ['InvalidAMIID.NotFound', 400, ExportServiceError],
    ['UnauthorizedOperation', 403, ExportServiceError],
  ] as const)('maps an ExportImage %s (%i) to %o, naming the operation and the code', async (code, status, errorClass) => {
    ec2Mock.on(ExportImageCommand).rejects(ec2Error(code, status));

    const error = await failure<Error>(provider.start(request));

    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toMatch(new RegExp(`^ExportImage failed: ${code.replace('.', '\\.')}: `));
  });

  it('describes one task by its id and normalises it', async () => {
    // Prepare
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({
      ExportImageTasks: [{ ExportImageTaskId: TASK_ID, ImageId: IMAGE_ID, Status: 'active', Progress: '63', StatusMessage: 'converting' }],
    });

    // Act
    const observation = await provider.describe(TASK_ID);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(DescribeExportImageTasksCommand, { ExportImageTaskIds: [TASK_ID] });
    expect(observation).toEqual({ exportId: TASK_ID, sourceArn: `arn:aws:ec2:${REGION}::image/${IMAGE_ID}`, status: 'IN_PROGRESS', percent: 63 });
  });

  it('reports a failed task FAILED with its StatusMessage as the cause', async () => {
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({
      ExportImageTasks: [{ ExportImageTaskId: TASK_ID, ImageId: IMAGE_ID, Status: 'deleted', Progress: '30', StatusMessage: 'ClientError: bucket not found' }],
    });

    expect(await provider.describe(TASK_ID)).toMatchObject({ status: 'FAILED', percent: 30, failureCause: 'ClientError: bucket not found' });
  });

  it.each([
    ['an empty answer', () => ec2Mock.on(DescribeExportImageTasksCommand).resolves({ ExportImageTasks: [] })],
    ['InvalidExportTaskID.NotFound', () => ec2Mock.on(DescribeExportImageTasksCommand).rejects(ec2Error('InvalidExportTaskID.NotFound'))],
    ['InvalidExportImageTaskId.NotFound', () => ec2Mock.on(DescribeExportImageTasksCommand).rejects(ec2Error('InvalidExportImageTaskId.NotFound'))],
  ])('reads %s as ExportTaskNotFound', async (_label, arrange) => {
    arrange();

    await expect(provider.describe(TASK_ID)).rejects.toThrow(ExportTaskNotFound);
  });

  it('cancels with CancelExportTask and reports CANCELING even while EC2 still reads active', async () => {
    // Prepare
    ec2Mock.on(CancelExportTaskCommand).resolves({});
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({ ExportImageTasks: [{ ExportImageTaskId: TASK_ID, ImageId: IMAGE_ID, Status: 'active', Progress: '40' }] });

    // Act
    const observation = await provider.cancel(TASK_ID);

    // Assess
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(CancelExportTaskCommand, { ExportTaskId: TASK_ID });
    expect(observation).toMatchObject({ exportId: TASK_ID, status: 'CANCELING', percent: 40 });
  });

  it('reports what EC2 reads after an accepted cancel once it moved on (deleting)', async () => {
    ec2Mock.on(CancelExportTaskCommand).resolves({});
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({ ExportImageTasks: [{ ExportImageTaskId: TASK_ID, Status: 'deleted', Progress: '40' }] });

    expect(await provider.cancel(TASK_ID)).toMatchObject({ status: 'CANCELED', percent: 40 });
  });

  it('returns the task as it ended when EC2 refuses to cancel a completed task', async () => {
    // Prepare
    ec2Mock.on(CancelExportTaskCommand).rejects(ec2Error('IncorrectState'));
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({ ExportImageTasks: [{ ExportImageTaskId: TASK_ID, ImageId: IMAGE_ID, Status: 'completed' }] });

    // Act
    const observation = await provider.cancel(TASK_ID);

    // Assess
    expect(observation).toMatchObject({ status: 'COMPLETE', percent: 100 });
  });

  it('throws CannotCancelExport when EC2 refuses to cancel a task still running (its final transfer)', async () => {
    // Prepare
    ec2Mock.on(CancelExportTaskCommand).rejects(ec2Error('IncorrectState'));
    ec2Mock.on(DescribeExportImageTasksCommand).resolves({ ExportImageTasks: [{ ExportImageTaskId: TASK_ID, Status: 'active', Progress: '97' }] });

    // Act
    const error = await failure<CannotCancelExport>(provider.cancel(TASK_ID));

    // Assess
    expect(error).toBeInstanceOf(CannotCancelExport);
    expect(error).toMatchObject({ name: 'CannotCancelExport', exportId: TASK_ID });
    expect(error.message).toContain('at 97%');
    expect(error.message).toContain('IncorrectState');
  });

  it.each([
    ['UnauthorizedOperation', 403, ExportServiceError],
    ['RequestLimitExceeded', 503, TransientAwsError],
  ] as const)('does not read a cancel refused with %s as a state problem: it is %o, and nothing is described', async (code, status, errorClass) => {
    ec2Mock.on(CancelExportTaskCommand).rejects(ec2Error(code, status));

    await expect(provider.cancel(TASK_ID)).rejects.toThrow(errorClass);
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeExportImageTasksCommand, 0);
  });

  it('reads a cancel of an unknown task as ExportTaskNotFound', async () => {
    ec2Mock.on(CancelExportTaskCommand).rejects(ec2Error('InvalidExportTaskID.NotFound'));

    await expect(provider.cancel(TASK_ID)).rejects.toThrow(ExportTaskNotFound);
  });
});
