import {
  CancelExportTaskCommand,
  DescribeExportImageTasksCommand,
  EC2Client,
  ExportImageCommand,
  type EC2ClientConfig,
  type ExportImageTask,
} from '@aws-sdk/client-ec2';
import { CannotCancelExport, ExportIdentifierConflict, ExportServiceError, ExportTaskNotFound, UnknownExportStatus } from '../../runtime/errors.ts';
import type { ExportObservation, ExportProvider } from '../contract.ts';
import type { ExportStatus } from '../status.ts';
import { awsErrorName, isTransient, toWorkflowError } from '../../runtime/aws-errors.ts';
import { imageArn, type ExportImageParameters } from './request.ts';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';

/**
 * EC2 has no "failed" or "canceled" state: a task that failed and a task that was canceled both go
 * deleting → deleted, and only StatusMessage tells them apart. A cancel has no message of its own
 * (or says "cancel"); a failure explains itself (VM Import/Export writes "ClientError: ..." or
 * "ServerError: ...", or words like these).
 */
const FAILURE_MESSAGE = /ClientError|ServerError|\b(?:error|fail(?:ed|ure|s)?|invalid|denied|unable|cannot|could not|insufficient|exceed(?:ed|s)?|not (?:found|supported|authori[sz]ed|permitted))\b/i;
const CANCEL_MESSAGE = /cancel/i;

export interface Ec2ImageTaskReading {
  status: ExportStatus;
  percent: number;
  failureCause?: string;
}

/**
 * EC2 Status (+ StatusMessage, Progress) → workflow status:
 *
 * | Status    | Progress / StatusMessage            | workflow    | percent            |
 * | active    | no Progress yet                     | STARTING    | 0                  |
 * | active    | Progress "n"                        | IN_PROGRESS | n                  |
 * | completed | -                                   | COMPLETE    | 100                |
 * | deleting  | message reads as a failure          | FAILED      | last Progress or 0 |
 * | deleting  | otherwise (none, or says cancel)    | CANCELING   | last Progress or 0 |
 * | deleted   | message reads as a failure          | FAILED      | last Progress or 0 |
 * | deleted   | otherwise (none, or says cancel)    | CANCELED    | last Progress or 0 |
 * | other     | -                                   | UnknownExportStatus is thrown          |
 *
 * A failure is reported as soon as it shows, while deleting: its outcome is already known.
 */
export function normaliseEc2ImageTask(task: Pick<ExportImageTask, 'Status' | 'StatusMessage' | 'Progress'>): Ec2ImageTaskReading {
  const state = (task.Status ?? '').trim().toLowerCase();
  const message = task.StatusMessage?.trim() ?? '';
  const percent = parsePercent(task.Progress);
  const failed = message !== '' && !CANCEL_MESSAGE.test(message) && FAILURE_MESSAGE.test(message);
  switch (state) {
    case 'active':
      return percent === undefined ? { status: 'STARTING', percent: 0 } : { status: 'IN_PROGRESS', percent };
    case 'completed':
      return { status: 'COMPLETE', percent: 100 };
    case 'deleting':
    case 'deleted':
      if (failed) return { status: 'FAILED', percent: percent ?? 0, failureCause: message };
      return { status: state === 'deleting' ? 'CANCELING' : 'CANCELED', percent: percent ?? 0 };
    default:
      throw new UnknownExportStatus(`EC2 reported export image task status "${task.Status}", which this workflow does not know`);
  }
}

/** Progress is a string percentage ("42"); absent or blank means none yet. Never 100 before completed. */
function parsePercent(progress: string | undefined): number | undefined {
  if (progress === undefined || progress.trim() === '') return undefined;
  const value = Number.parseFloat(progress);
  return Number.isFinite(value) ? Math.max(0, Math.min(100, Math.floor(value))) : 0;
}

/** Errors that say the caller is wrong (rights, arguments), not that the task is in a state EC2 will not cancel. */
const NOT_A_STATE_ERROR = /Unauthorized|AuthFailure|AccessDenied|Malformed|InvalidParameter|MissingParameter|OptInRequired|Blocked/;

/**
 * EC2 image exports (VM Import/Export): ExportImage, DescribeExportImageTasks, CancelExportTask.
 * The task id EC2 assigns (export-ami-…) is what describe and cancel take: start returns it as exportId.
 */
export class Ec2ImageExportProvider implements Omit<ExportProvider, 'start'> {
  constructor(private readonly ec2: EC2Client) {}

  /**
   * The ClientToken makes the start idempotent: the same token with the same parameters gets the
   * same task back (a retried Lambda starts no second export); with other parameters EC2 answers
   * IdempotentParameterMismatch. EC2 does not say whether an answer was a replay, so `adopted` is
   * always false.
   */
  async start(request: ExportImageParameters): Promise<ExportObservation & { adopted: boolean }> {
    let task: ExportImageTask;
    try {
      task = await this.ec2.send(
        new ExportImageCommand({
          ImageId: request.imageId,
          DiskImageFormat: request.diskImageFormat,
          S3ExportLocation: { S3Bucket: request.s3Bucket, S3Prefix: request.s3Prefix || undefined },
          RoleName: request.roleName,
          ClientToken: request.exportId,
          Description: `export-orchestrator ${request.exportId}`,
        }),
      );
    } catch (error) {
      if (awsErrorName(error) === 'IdempotentParameterMismatch') {
        throw new ExportIdentifierConflict(
          `Export ${request.exportId} was already started with other parameters (EC2 IdempotentParameterMismatch): use another exportId for another export`,
          { cause: error },
        );
      }
      throw toWorkflowError('ExportImage', error);
    }
    if (!task.ExportImageTaskId) throw new ExportServiceError(`ExportImage for ${request.exportId} answered without an ExportImageTaskId`);
    return { ...(await this.observe({ ImageId: request.imageId, ...task })), adopted: false };
  }

  async describe(taskId: string): Promise<ExportObservation> {
    return this.observe(await describeImageTask(this.ec2, taskId));
  }

  async cancel(taskId: string): Promise<ExportObservation> {
    try {
      await this.ec2.send(new CancelExportTaskCommand({ ExportTaskId: taskId }));
    } catch (error) {
      if (isTaskNotFound(error)) throw new ExportTaskNotFound(`Export image task ${taskId} does not exist`, { cause: error });
      if (isTransient(error) || NOT_A_STATE_ERROR.test(awsErrorName(error))) throw toWorkflowError('CancelExportTask', error);
      // EC2 refuses to cancel a task that completed or is transferring its final disk image, with no
      // documented code: what the task is now decides.
      const now = await this.describe(taskId);
      if (now.status === 'STARTING' || now.status === 'IN_PROGRESS') {
        throw new CannotCancelExport(
          `EC2 refused to cancel export image task ${taskId} at ${now.percent}% (${awsErrorName(error)}: ${(error as Error).message}): ` +
            'it cancels no export that is transferring its final disk image, so this one goes on by itself',
          taskId,
          { cause: error },
        );
      }
      return now;
    }
    // CancelExportTask answers only "true", and the task may still read active for a moment: the
    // cancel was accepted, so it is CANCELING (reading IN_PROGRESS would make the workflow cancel again).
    const after = await this.describe(taskId);
    return after.status === 'STARTING' || after.status === 'IN_PROGRESS' ? { ...after, status: 'CANCELING' } : after;
  }

  private async observe(task: ExportImageTask): Promise<ExportObservation> {
    const reading = normaliseEc2ImageTask(task);
    return {
      exportId: task.ExportImageTaskId ?? '',
      sourceArn: task.ImageId ? imageArn(await this.ec2.config.region(), task.ImageId) : '',
      status: reading.status,
      percent: reading.percent,
      ...(reading.failureCause ? { failureCause: reading.failureCause } : {}),
    };
  }
}

/** One task by the id EC2 gave it (export-ami-…); ExportTaskNotFound when EC2 has none. The provider and the listing read it so. */
export async function describeImageTask(ec2: EC2Client, taskId: string): Promise<ExportImageTask> {
  let tasks: ExportImageTask[];
  try {
    ({ ExportImageTasks: tasks = [] } = await ec2.send(new DescribeExportImageTasksCommand({ ExportImageTaskIds: [taskId] })));
  } catch (error) {
    if (isTaskNotFound(error)) throw new ExportTaskNotFound(`Export image task ${taskId} does not exist`, { cause: error });
    throw toWorkflowError('DescribeExportImageTasks', error);
  }
  const task = tasks.find((t) => t.ExportImageTaskId === taskId);
  if (!task) throw new ExportTaskNotFound(`Export image task ${taskId} does not exist`);
  return task;
}

/** EC2 has answered unknown ids with more than one spelling of this code; all mean the same. */
function isTaskNotFound(error: unknown): boolean {
  return /^InvalidExport(?:Image)?Task(?:ID|Id)\.NotFound$/.test(awsErrorName(error));
}

/** Made once per cold start, like the other clients (shared/slots/clients.ts). */
export const ec2ImageExportProvider = (clientConfig: EC2ClientConfig = {}): Ec2ImageExportProvider =>
  new Ec2ImageExportProvider(new EC2Client({ ...SDK_OPTIONS, ...clientConfig }));
