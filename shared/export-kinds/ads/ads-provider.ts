import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CannotCancelExport, ExportServiceError, NamedError, ExportTaskNotFound, TransientAwsError, UnknownExportStatus } from '../../runtime/errors.ts';
import type { ExportObservation, ExportProvider } from '../contract.ts';
import type { ExportStatus } from '../status.ts';
import { isTransient, toWorkflowError } from '../../runtime/aws-errors.ts';
import type { AdsExportParameters } from './request.ts';
import { NodeSha256 } from '../../runtime/node-sha256.ts';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';

/**
 * AWS Application Discovery Service exports (StartExportTask, DescribeExportTasks). Its SDK client
 * is not on our registry, so this file holds a small client of its protocol: awsJson1_1, POST /,
 * X-Amz-Target `AWSPoseidonService_V2015_11_01.<Operation>`, SigV4 with signing name "discovery"
 * (metadata of discovery-2015-11-01 in the AWS SDKs; timestamps are epoch seconds).
 */
export const ADS_TARGET_PREFIX = 'AWSPoseidonService_V2015_11_01';
export const ADS_SIGNING_NAME = 'discovery';
export const ADS_CONTENT_TYPE = 'application/x-amz-json-1.1';

export function adsEndpoint(region: string): string {
  return `https://discovery.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * An error answer of the service, shaped like an SDK error so toWorkflowError reads it the same way:
 * named after the service's error (ThrottlingException, InvalidParameterValueException), as SDK errors are.
 */
export class AdsServiceException extends NamedError {
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  constructor(
    name: string,
    message: string,
    httpStatusCode: number,
    /** The full `__type`, e.g. `com.amazonaws.discovery#InvalidParameterValueException`. */
    readonly type: string,
    requestId?: string,
  ) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode, ...(requestId ? { requestId } : {}) };
  }
}

/** No answer at all (connection refused or reset, DNS, timeout): always worth trying again later. */
export class AdsNetworkError extends NamedError {}

export interface AdsClientOptions {
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Defaults to https://discovery.<region>.amazonaws.com. */
  endpoint?: string;
  /** The global fetch unless given (tests and the local run give their own). */
  fetch?: typeof fetch;
  /** Attempts of an operation that is safe to repeat; like the SDK clients, one quick retry only. */
  maxAttempts?: number;
  timeoutMs?: number;
}

export class AdsClient {
  private readonly signer: SignatureV4;
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;

  constructor(options: AdsClientOptions) {
    this.signer = new SignatureV4({ service: ADS_SIGNING_NAME, region: options.region, credentials: options.credentials, sha256: NodeSha256 });
    this.endpoint = new URL(options.endpoint ?? adsEndpoint(options.region));
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? SDK_OPTIONS.maxAttempts);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Calls one operation. Only an operation marked idempotent is retried: StartExportTask takes no
   * client token, so sending it twice may start two exports.
   */
  async call<T>(operation: string, input: object, { idempotent }: { idempotent: boolean }): Promise<T> {
    const attempts = idempotent ? this.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send<T>(operation, input);
      } catch (error) {
        if (attempt >= attempts || !(error instanceof AdsNetworkError || isTransient(error))) throw error;
        await new Promise((resume) => setTimeout(resume, Math.random() * 100 * attempt));
      }
    }
  }

  private async send<T>(operation: string, input: object): Promise<T> {
    const body = JSON.stringify(input);
    const url = this.endpoint;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      query: {},
      headers: { host: url.host, 'content-type': ADS_CONTENT_TYPE, 'x-amz-target': `${ADS_TARGET_PREFIX}.${operation}` },
      body,
    });
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await response.text();
    } catch (error) {
      const reason = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new AdsNetworkError(`${operation}: no answer from ${url.host}: ${reason?.code ?? reason?.message ?? (error as Error).message}`, { cause: error });
    }
    if (response.ok) return (text.trim() === '' ? {} : JSON.parse(text)) as T;
    throw errorOf(response, text);
  }
}

/** The JSON protocols put the error in `__type` (sometimes `namespace#Name`) or, without a body, in X-Amzn-ErrorType. */
function errorOf(response: Response, text: string): AdsServiceException {
  let body: { __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A proxy or load balancer answered (HTML, plain text): the status code is all there is.
  }
  const type = String(body.__type ?? response.headers.get('x-amzn-errortype') ?? '');
  const name = type.split('#').pop()!.split(':')[0]!.trim() || `Http${response.status}`;
  const message = String(body.message ?? body.Message ?? (text.trim().slice(0, 200) || response.statusText || 'no message'));
  return new AdsServiceException(name, message, response.status, type, response.headers.get('x-amzn-requestid') ?? undefined);
}

// ---------------------------------------------------------------------------------------------
// The provider

/** One entry of DescribeExportTasks' exportsInfo, as it comes over the wire (timestamps in epoch seconds). */
export interface AdsExportInfo {
  exportId: string;
  exportStatus: string;
  statusMessage?: string;
  configurationsDownloadUrl?: string;
  exportRequestTime?: number | string;
  isTruncated?: boolean;
  requestedStartTime?: number | string;
  requestedEndTime?: number | string;
}

/** What ADS tells beyond the common observation. */
export interface AdsExportObservation extends ExportObservation {
  /** Pre-signed S3 URL of the CSV, once SUCCEEDED: a credential for a while, keep it out of notifications. */
  downloadUrl?: string;
  requestedStartTime?: string;
  requestedEndTime?: string;
}

export const TRUNCATED_WARNING = 'The export was truncated: narrow the time range (startTime/endTime)';

/**
 * ADS exportStatus → workflow status. ADS reports no percentage: 0 until it succeeds, then 100.
 *
 * | exportStatus | workflow    | percent |
 * | IN_PROGRESS  | IN_PROGRESS | 0       |
 * | SUCCEEDED    | COMPLETE    | 100     |
 * | FAILED       | FAILED      | 0       |
 * | other        | UnknownExportStatus is thrown |
 */
export function normaliseAdsStatus(raw: string | undefined): { status: ExportStatus; percent: number } {
  switch ((raw ?? '').trim().toUpperCase()) {
    case 'IN_PROGRESS':
      return { status: 'IN_PROGRESS', percent: 0 };
    case 'SUCCEEDED':
      return { status: 'COMPLETE', percent: 100 };
    case 'FAILED':
      return { status: 'FAILED', percent: 0 };
    default:
      throw new UnknownExportStatus(`Application Discovery Service reported export status "${raw}", which this workflow does not know`);
  }
}

export function observeAdsExport(info: AdsExportInfo): AdsExportObservation {
  const { status, percent } = normaliseAdsStatus(info.exportStatus);
  const requestTime = isoOf(info.exportRequestTime);
  const requestedStartTime = isoOf(info.requestedStartTime);
  const requestedEndTime = isoOf(info.requestedEndTime);
  return {
    exportId: info.exportId,
    // ADS names no source resource: the workflow keeps the request's own description of it.
    sourceArn: '',
    status,
    percent,
    ...(requestTime ? { taskStartTime: requestTime } : {}),
    ...(status === 'FAILED' ? { failureCause: info.statusMessage?.trim() || 'Application Discovery Service gave no reason' } : {}),
    ...(info.isTruncated ? { warning: TRUNCATED_WARNING } : {}),
    ...(info.configurationsDownloadUrl ? { downloadUrl: info.configurationsDownloadUrl } : {}),
    ...(requestedStartTime ? { requestedStartTime } : {}),
    ...(requestedEndTime ? { requestedEndTime } : {}),
  };
}

/** The JSON protocol's timestamps are epoch seconds (fractions allowed); ISO strings are read too. */
function isoOf(value: number | string | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = typeof value === 'number' || /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** More pages than this means the service keeps handing out tokens: stop rather than loop. */
const MAX_PAGES = 1000;

export class AdsExportProvider implements Omit<ExportProvider, 'start'> {
  constructor(private readonly ads: AdsClient) {}

  /**
   * ADS takes no client token and answers only the new exportId, so a start is never adopted and
   * the first reading is the status ADS gives any accepted export: IN_PROGRESS.
   */
  async start(request: AdsExportParameters): Promise<AdsExportObservation & { adopted: boolean }> {
    let answer: { exportId?: string };
    try {
      answer = await this.ads.call('StartExportTask', startInput(request), { idempotent: false });
    } catch (error) {
      throw workflowError('StartExportTask', error);
    }
    if (!answer.exportId) throw new ExportServiceError('StartExportTask answered without an exportId');
    return { exportId: answer.exportId, sourceArn: '', status: 'IN_PROGRESS', percent: 0, adopted: false };
  }

  async describe(exportId: string): Promise<AdsExportObservation> {
    for await (const info of this.exports({ exportIds: [exportId] })) {
      if (info.exportId === exportId) return observeAdsExport(info);
    }
    throw new ExportTaskNotFound(`Application Discovery Service export ${exportId} does not exist`);
  }

  /** ADS has no operation that stops an export. */
  async cancel(exportId: string): Promise<ExportObservation> {
    throw new CannotCancelExport(
      `Application Discovery Service cannot cancel export ${exportId}: it has no cancel operation. ` +
        'The export goes on by itself; the workflow stops following it.',
      exportId,
    );
  }

  /** Every export matching the query, across all pages (DescribeExportTasks' nextToken). */
  async *exports(query: AdsExportQuery = {}): AsyncGenerator<AdsExportInfo> {
    for await (const page of adsExportPages(this.ads, query)) yield* page.exportsInfo;
  }
}

/** What DescribeExportTasks selects by: export ids, the agents whose data is exported, and its page size (maxResults 1-100). */
export interface AdsExportQuery {
  exportIds?: string[];
  agentIds?: string[];
  pageSize?: number;
}

/**
 * DescribeExportTasks page by page from `from` (a nextToken; undefined: the first page) on, as the
 * provider and the listing read it: its errors named once, and a service that hands out a token it
 * gave before, or tokens without end, stops rather than pages forever.
 */
export async function* adsExportPages(
  ads: Pick<AdsClient, 'call'>,
  query: AdsExportQuery,
  from?: string,
): AsyncGenerator<{ exportsInfo: AdsExportInfo[]; next: string | undefined }> {
  let nextToken = from;
  const seen = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer: { exportsInfo?: AdsExportInfo[]; nextToken?: string };
    try {
      answer = await ads.call(
        'DescribeExportTasks',
        {
          ...(query.exportIds ? { exportIds: query.exportIds } : {}),
          ...(query.agentIds ? { filters: [{ name: 'agentIds', values: query.agentIds, condition: 'EQUALS' }] } : {}),
          ...(query.pageSize ? { maxResults: query.pageSize } : {}),
          ...(nextToken ? { nextToken } : {}),
        },
        { idempotent: true },
      );
    } catch (error) {
      throw workflowError('DescribeExportTasks', error);
    }
    nextToken = answer.nextToken || undefined;
    yield { exportsInfo: answer.exportsInfo ?? [], next: nextToken };
    if (!nextToken || seen.has(nextToken)) return;
    seen.add(nextToken);
  }
}

function startInput(request: AdsExportParameters): object {
  return {
    exportDataFormat: ['CSV'],
    ...(request.agentIds ? { filters: [{ name: 'agentIds', values: request.agentIds, condition: 'EQUALS' }] } : {}),
    ...(request.startTime ? { startTime: Date.parse(request.startTime) / 1000 } : {}),
    ...(request.endTime ? { endTime: Date.parse(request.endTime) / 1000 } : {}),
  };
}

function workflowError(operation: string, error: unknown): Error {
  if (error instanceof AdsNetworkError) return new TransientAwsError(`${operation} failed: ${error.message}`, { cause: error });
  return toWorkflowError(operation, error);
}

/**
 * Made once per cold start. Credentials come from the same default chain the SDK clients use
 * (environment, then the Lambda role); ADS must be called in the Migration Hub home region.
 */
export const adsExportProvider = (options: Omit<AdsClientOptions, 'credentials'> & { credentials?: AdsClientOptions['credentials'] }): AdsExportProvider =>
  new AdsExportProvider(new AdsClient({ ...options, credentials: options.credentials ?? defaultProvider() }));
