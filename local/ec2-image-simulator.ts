import { createHash } from 'node:crypto';
import { escapeXml, QueryError, queryHandler, type QueryService } from './aws-query.ts';
import { throttled, type SimulatorTiming } from './random.ts';

/** How one simulated image export behaves once started. */
export interface ImageExportBehaviour {
  /** Time spent `active` with no Progress yet (EC2 validating the image). */
  validatingSeconds: number;
  /** Time from Progress "0" to `completed`. */
  exportSeconds: number;
  /** The task fails when it reaches this percentage: `deleting`, then `deleted`, with failureMessage. */
  failAtPercent?: number;
  failureMessage?: string;
  /** How long `deleting` lasts, after a cancel or a failure. */
  deletingSeconds: number;
  /** From this percentage on, the final disk image is being transferred and EC2 refuses to cancel. */
  finalTransferPercent: number;
}

export const DEFAULT_IMAGE_EXPORT: ImageExportBehaviour = {
  validatingSeconds: 120,
  exportSeconds: 3600,
  deletingSeconds: 60,
  finalTransferPercent: 95,
};

/** throttleRate: the share of calls answered with RequestLimitExceeded (HTTP 503), as EC2 throttles. */
export interface Ec2ImageSimulatorOptions extends SimulatorTiming {
  /** AMIs that exist; any other ImageId is answered with InvalidAMIID.NotFound. */
  images: (imageId: string) => boolean;
  behaviourFor?: (imageId: string) => ImageExportBehaviour;
}

export interface SimulatedImageExport {
  id: string;
  imageId: string;
  diskImageFormat: string;
  s3Bucket: string;
  s3Prefix: string;
  roleName: string;
  description: string;
  clientToken?: string;
  behaviour: ImageExportBehaviour;
  createdAt: number;
  canceledAt?: number;
  /** When a DescribeExportImageTasks first showed this task ended; with `endedAt`, the detection latency. */
  terminalSeenAt?: number;
}

type Ec2ImageState = 'active' | 'completed' | 'deleting' | 'deleted';

export interface Ec2ImageStatus {
  status: Ec2ImageState;
  statusMessage?: string;
  /** A string percentage, as EC2 gives it; absent while validating and once completed. */
  progress?: string;
}

const FORMATS = ['VMDK', 'RAW', 'VHD'];
const TASK_STATES: readonly string[] = ['active', 'completed', 'deleting', 'deleted'];

/**
 * EC2's image export (VM Import/Export) on a virtual clock: ExportImage (with ClientToken
 * idempotency), DescribeExportImageTasks (ids, the task-state filter, MaxResults/NextToken paging)
 * and CancelExportTask, in EC2's own vocabulary: active → completed, or deleting → deleted after a
 * cancel or a failure, Progress as a string, the story in StatusMessage.
 */
export class Ec2ImageExportSimulator implements QueryService {
  readonly tasks = new Map<string, SimulatedImageExport>();
  readonly calls: Record<string, number> = {};
  private readonly byToken = new Map<string, SimulatedImageExport>();
  private readonly now: () => number;
  private created = 0;

  constructor(private readonly options: Ec2ImageSimulatorOptions) {
    this.now = options.now ?? Date.now;
  }

  handle(action: string, params: URLSearchParams): Record<string, unknown> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    if (throttled(this.options)) throw new QueryError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    switch (action) {
      case 'ExportImage':
        return this.view(this.exportImage(params), { withRequest: true });
      case 'DescribeExportImageTasks':
        return this.describe(params);
      case 'CancelExportTask':
        this.cancel(params.get('ExportTaskId') ?? '');
        return { return: true };
      default:
        throw new QueryError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  status(task: SimulatedImageExport, at = this.now()): Ec2ImageStatus {
    const { behaviour } = task;
    const elapsed = (at - task.createdAt) / 1000;
    if (task.canceledAt !== undefined && at >= task.canceledAt) {
      const progress = this.percentAt(task, (task.canceledAt - task.createdAt) / 1000);
      const deleting = (at - task.canceledAt) / 1000 < behaviour.deletingSeconds;
      // A cancel leaves no message of its own.
      return { status: deleting ? 'deleting' : 'deleted', ...(progress !== undefined ? { progress: String(progress) } : {}) };
    }
    const failAt = this.failAt(task);
    if (failAt !== undefined && at >= failAt) {
      const deleting = (at - failAt) / 1000 < behaviour.deletingSeconds;
      return {
        status: deleting ? 'deleting' : 'deleted',
        statusMessage: behaviour.failureMessage ?? `ClientError: Access denied writing to s3://${task.s3Bucket} for role ${task.roleName} (simulated)`,
        progress: String(behaviour.failAtPercent),
      };
    }
    if (elapsed < behaviour.validatingSeconds) return { status: 'active', statusMessage: 'validating' };
    const percent = this.percentAt(task, elapsed)!;
    if (elapsed >= behaviour.validatingSeconds + behaviour.exportSeconds) return { status: 'completed' };
    return { status: 'active', statusMessage: percent >= behaviour.finalTransferPercent ? 'uploading' : 'converting', progress: String(percent) };
  }

  /** When the task reached its final state (ms), or undefined while it runs. */
  endedAt(task: SimulatedImageExport): number | undefined {
    const { behaviour } = task;
    const natural = task.createdAt + (behaviour.validatingSeconds + behaviour.exportSeconds) * 1000;
    const failed = this.failAt(task);
    const cancelEnd = task.canceledAt === undefined ? undefined : task.canceledAt + behaviour.deletingSeconds * 1000;
    // A failure is final as soon as it shows; a cancel once deleted.
    const end = Math.min(natural, failed ?? Infinity, cancelEnd ?? Infinity);
    return end <= this.now() ? end : undefined;
  }

  private exportImage(params: URLSearchParams): SimulatedImageExport {
    const imageId = required(params, 'ImageId');
    const diskImageFormat = required(params, 'DiskImageFormat');
    const s3Bucket = required(params, 'S3ExportLocation.S3Bucket');
    const request = {
      imageId,
      diskImageFormat,
      s3Bucket,
      s3Prefix: params.get('S3ExportLocation.S3Prefix') ?? '',
      roleName: params.get('RoleName') ?? 'vmimport',
      description: params.get('Description') ?? '',
    };
    const clientToken = params.get('ClientToken') ?? undefined;
    const earlier = clientToken === undefined ? undefined : this.byToken.get(clientToken);
    if (earlier) {
      const same = (Object.keys(request) as (keyof typeof request)[]).every((key) => earlier[key] === request[key]);
      if (!same) throw new QueryError('IdempotentParameterMismatch', `The client token ${clientToken} was used with different parameters.`);
      return earlier;
    }
    if (!/^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(imageId)) throw new QueryError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
    if (!this.options.images(imageId)) throw new QueryError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
    if (!FORMATS.includes(diskImageFormat)) {
      throw new QueryError('InvalidParameterValue', `Value (${diskImageFormat}) for parameter DiskImageFormat is invalid. Valid values: ${FORMATS.join(', ')}`);
    }
    const hex = createHash('sha256').update(`image-export-${++this.created}`).digest('hex').slice(0, 17);
    const task: SimulatedImageExport = {
      id: `export-ami-${hex}`,
      ...request,
      ...(clientToken !== undefined ? { clientToken } : {}),
      behaviour: this.options.behaviourFor?.(imageId) ?? DEFAULT_IMAGE_EXPORT,
      createdAt: this.now(),
    };
    this.tasks.set(task.id, task);
    if (clientToken !== undefined) this.byToken.set(clientToken, task);
    return task;
  }

  private describe(params: URLSearchParams): Record<string, unknown> {
    const ids = indexed(params, 'ExportImageTaskId');
    for (const id of ids) {
      if (!this.tasks.has(id)) throw new QueryError('InvalidExportTaskID.NotFound', `The export task ID '${id}' does not exist`);
    }
    const states: string[] = [];
    for (let i = 1; params.has(`Filter.${i}.Name`); i++) {
      const name = params.get(`Filter.${i}.Name`)!;
      if (name !== 'task-state') throw new QueryError('InvalidParameterValue', `The filter '${name}' is invalid`);
      states.push(...indexed(params, `Filter.${i}.Value`));
    }
    const unknownState = states.find((state) => !TASK_STATES.includes(state));
    if (unknownState) throw new QueryError('InvalidParameterValue', `The filter value '${unknownState}' for task-state is invalid`);
    const matching = [...this.tasks.values()].filter(
      (task) => (ids.length === 0 || ids.includes(task.id)) && (states.length === 0 || states.includes(this.status(task).status)),
    );
    const pageSize = Math.max(1, Math.min(500, Number(params.get('MaxResults') ?? 500)));
    const offset = Number(params.get('NextToken') ?? 0);
    const page = matching.slice(offset, offset + pageSize);
    for (const task of page) if (this.endedAt(task) !== undefined) task.terminalSeenAt ??= this.now();
    return {
      exportImageTaskSet: page.map((task) => this.view(task)),
      nextToken: offset + pageSize < matching.length ? String(offset + pageSize) : undefined,
    };
  }

  private cancel(id: string): void {
    const task = this.tasks.get(id);
    if (!task) throw new QueryError('InvalidExportTaskID.NotFound', `The export task ID '${id}' does not exist`);
    const { status, progress } = this.status(task);
    if (status !== 'active') throw new QueryError('IncorrectState', `Export task ${id} cannot be canceled: it is ${status}.`);
    if (progress !== undefined && Number(progress) >= task.behaviour.finalTransferPercent) {
      throw new QueryError('IncorrectState', `Export task ${id} cannot be canceled: it is transferring the final disk image.`);
    }
    task.canceledAt = this.now();
  }

  /** The task as EC2 answers it; ExportImage's answer also echoes the request's format and role. */
  private view(task: SimulatedImageExport, { withRequest = false } = {}): Record<string, unknown> {
    const { status, statusMessage, progress } = this.status(task);
    return {
      description: task.description || undefined,
      ...(withRequest ? { diskImageFormat: task.diskImageFormat } : {}),
      exportImageTaskId: task.id,
      imageId: task.imageId,
      ...(withRequest ? { roleName: task.roleName } : {}),
      progress,
      s3ExportLocation: { s3Bucket: task.s3Bucket, s3Prefix: task.s3Prefix || undefined },
      status,
      statusMessage,
    };
  }

  private percentAt(task: SimulatedImageExport, elapsedSeconds: number): number | undefined {
    const x = (elapsedSeconds - task.behaviour.validatingSeconds) / task.behaviour.exportSeconds;
    if (x < 0) return undefined;
    return Math.min(100, Math.floor(100 * x));
  }

  private failAt(task: SimulatedImageExport): number | undefined {
    const { failAtPercent, validatingSeconds, exportSeconds } = task.behaviour;
    if (failAtPercent === undefined) return undefined;
    const at = task.createdAt + (validatingSeconds + (exportSeconds * failAtPercent) / 100) * 1000;
    // A task canceled before it would have failed never fails.
    return task.canceledAt !== undefined && task.canceledAt <= at ? undefined : at;
  }
}

/**
 * EC2's flavour of the Query protocol: the answer's fields sit directly under `<ActionResponse>`
 * (no `<ActionResult>`), lists are `<item>` elements, and errors are `<Response><Errors><Error>`.
 * Sits behind the real EC2 client as its HTTP handler.
 */
export function ec2QueryHandler(service: QueryService, xmlNamespace = 'http://ec2.amazonaws.com/doc/2016-11-15/') {
  return queryHandler(service, {
    listItem: 'item',
    success: (action, fieldsXml, requestId) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${xmlNamespace}"><requestId>${requestId}</requestId>${fieldsXml}</${action}Response>`,
    failure: (error, requestId) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
  });
}

/** `ExportImageTaskId.1=a&ExportImageTaskId.2=b` → ['a', 'b']: EC2 flattens lists without a member name. */
function indexed(params: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let i = 1; params.has(`${name}.${i}`); i++) values.push(params.get(`${name}.${i}`)!);
  return values;
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (!value) throw new QueryError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}
