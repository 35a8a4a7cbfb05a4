import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { NodeSha256 } from '../shared/runtime/node-sha256.ts';
import type { JsonService } from './aws-json.ts';
import { QueryError } from './aws-query.ts';
import { throttled, type SimulatorTiming } from './random.ts';

/** How one simulated ADS export behaves once started. */
export interface AdsExportBehaviour {
  /** Time from StartExportTask to SUCCEEDED. */
  exportSeconds: number;
  /** The export FAILS this long after it started, with this statusMessage. */
  fail?: { afterSeconds: number; message: string };
  /** The export succeeds but hit the size limit of one export (isTruncated). */
  truncated?: boolean;
}

export const DEFAULT_ADS_EXPORT: AdsExportBehaviour = { exportSeconds: 300 };

/** What StartExportTask asked for, as the simulator read it off the wire. */
export interface AdsStartRequest {
  agentIds?: string[];
  /** Epoch seconds, as the JSON protocol carries timestamps. */
  startTime?: number;
  endTime?: number;
}

/** throttleRate: the share of calls answered with ThrottlingException. */
export interface AdsSimulatorOptions extends SimulatorTiming {
  region: string;
  /** When given, every request must be signed with these (the signature is recomputed and compared). */
  credentials?: AwsCredentialIdentity;
  /** Agents that exist; a filter naming another is refused. Every agent exists when absent. */
  agents?: (agentId: string) => boolean;
  behaviourFor?: (request: AdsStartRequest) => AdsExportBehaviour;
}

export interface SimulatedAdsExport {
  id: string;
  request: AdsStartRequest;
  behaviour: AdsExportBehaviour;
  createdAt: number;
  terminalSeenAt?: number;
}

type AdsStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

export const ADS_TARGET_PREFIX = 'AWSPoseidonService_V2015_11_01';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** AWS refuses a signature dated further than this from its own clock. */
const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*), ?Signature=([0-9a-f]{64})$/;

/** One HTTP request as it reached the simulator, kept for tests to inspect. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * AWS Application Discovery Service's export API on a virtual clock: StartExportTask and
 * DescribeExportTasks (exportIds, the agentIds filter, maxResults/nextToken paging), with the
 * service's statuses (IN_PROGRESS, SUCCEEDED, FAILED), epoch-second timestamps and error types.
 * `fetch` is its HTTP face: it checks what a real endpoint checks (POST /, awsJson1_1 content type,
 * the X-Amz-Target, a well-formed SigV4 Authorization for the "discovery" service, the signature
 * itself when credentials are given) before the service answers.
 */
export class AdsExportSimulator implements JsonService {
  readonly exports = new Map<string, SimulatedAdsExport>();
  readonly calls: Record<string, number> = {};
  readonly received: ReceivedRequest[] = [];
  private readonly now: () => number;
  private created = 0;
  private requestCount = 0;

  constructor(private readonly options: AdsSimulatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The signed client's transport (inject it as its `fetch`). */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    headers.host ??= url.host;
    const answer = await this.answer({ method: request.method, path: url.pathname + url.search, headers, body: await request.text() });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };

  /** One HTTP exchange, independent of the transport (fetch here, node:http in the wire tests). */
  async answer(request: ReceivedRequest): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    this.received.push(request);
    const requestId = `sim-ads-${++this.requestCount}`;
    try {
      const operation = await this.check(request);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(request.body || '{}') as Record<string, unknown>;
      } catch {
        throw new QueryError('SerializationException', 'The request body is not valid JSON');
      }
      return json(200, this.handle(operation, input), requestId);
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      return json(error.statusCode, { __type: error.code, message: error.message }, requestId);
    }
  }

  handle(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    if (throttled(this.options)) throw new QueryError('ThrottlingException', 'Rate exceeded');
    switch (operation) {
      case 'StartExportTask':
        return { exportId: this.start(body).id };
      case 'DescribeExportTasks':
        return this.describe(body);
      default:
        throw new QueryError('UnknownOperationException', `The simulator does not implement ${operation}`);
    }
  }

  status(task: SimulatedAdsExport, at = this.now()): { status: AdsStatus; statusMessage: string } {
    const elapsed = (at - task.createdAt) / 1000;
    const { fail, exportSeconds } = task.behaviour;
    if (fail && elapsed >= fail.afterSeconds && fail.afterSeconds < exportSeconds) return { status: 'FAILED', statusMessage: fail.message };
    if (elapsed >= exportSeconds) return { status: 'SUCCEEDED', statusMessage: 'Data export succeeded.' };
    return { status: 'IN_PROGRESS', statusMessage: 'Data export is in progress.' };
  }

  /** When the export reached its final status (ms), or undefined while it runs. */
  endedAt(task: SimulatedAdsExport): number | undefined {
    const { fail, exportSeconds } = task.behaviour;
    const seconds = fail && fail.afterSeconds < exportSeconds ? fail.afterSeconds : exportSeconds;
    const end = task.createdAt + seconds * 1000;
    return end <= this.now() ? end : undefined;
  }

  /** The checks a real endpoint makes before the operation runs; returns the operation. */
  private async check(request: ReceivedRequest): Promise<string> {
    if (request.method !== 'POST' || request.path !== '/') throw new QueryError('UnknownOperationException', `${request.method} ${request.path} is not an operation`, 404);
    const contentType = request.headers['content-type'] ?? '';
    if (contentType.split(';')[0]!.trim() !== CONTENT_TYPE) throw new QueryError('SerializationException', `Content-Type must be ${CONTENT_TYPE}, not "${contentType}"`);
    const target = request.headers['x-amz-target'] ?? '';
    const [prefix, operation] = target.split('.');
    if (prefix !== ADS_TARGET_PREFIX || !operation) throw new QueryError('UnknownOperationException', `X-Amz-Target "${target}" is not ${ADS_TARGET_PREFIX}.<Operation>`);
    await this.checkSignature(request);
    return operation;
  }

  private async checkSignature(request: ReceivedRequest): Promise<void> {
    const authorization = request.headers.authorization;
    if (!authorization) throw new QueryError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    const match = AUTHORIZATION.exec(authorization);
    if (!match) throw new QueryError('IncompleteSignatureException', `Authorization header is not a SigV4 header: ${authorization}`);
    const [, accessKeyId, day, region, service, signedList, signature] = match as unknown as string[];
    const amzDate = request.headers['x-amz-date'] ?? '';
    const signed = signedList!.split(';');
    const problems = [
      !/^\d{8}T\d{6}Z$/.test(amzDate) && 'X-Amz-Date is missing or not yyyyMMddTHHmmssZ',
      amzDate.slice(0, 8) !== day && `the credential scope's date ${day} is not the X-Amz-Date's`,
      region !== this.options.region && `the credential scope's region ${region} is not ${this.options.region}`,
      service !== 'discovery' && `the credential scope's service ${service} is not discovery`,
      !signed.includes('host') && 'host is not signed',
      !signed.includes('x-amz-date') && 'x-amz-date is not signed',
      signed.some((name) => request.headers[name] === undefined) && 'a signed header is missing from the request',
    ].filter(Boolean);
    if (problems.length > 0) throw new QueryError('IncompleteSignatureException', `Malformed SigV4 signature: ${problems.join('; ')}`);
    const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    if (Math.abs(signedAt - this.now()) > MAX_SKEW_MS) {
      throw new QueryError('InvalidSignatureException', `Signature expired: ${amzDate} is more than 5 minutes from the service's time`, 403);
    }
    const credentials = this.options.credentials;
    if (!credentials) return;
    if (accessKeyId !== credentials.accessKeyId) throw new QueryError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
    const payloadHash = request.headers['x-amz-content-sha256'];
    if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(request.body).digest('hex')) {
      throw new QueryError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.', 403);
    }
    const expected = await expectedSignature(request, signed, credentials, this.options.region, signedAt);
    if (expected !== signature) {
      throw new QueryError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.', 403);
    }
  }

  private start(body: Record<string, unknown>): SimulatedAdsExport {
    const formats = body.exportDataFormat;
    if (formats !== undefined && (!Array.isArray(formats) || formats.some((format) => format !== 'CSV'))) {
      throw new QueryError('InvalidParameterValueException', `exportDataFormat ${JSON.stringify(formats)} is not supported: use ["CSV"]`);
    }
    const agentIds = this.agentFilter(body.filters);
    const startTime = epochSeconds(body.startTime, 'startTime');
    const endTime = epochSeconds(body.endTime, 'endTime');
    if (startTime !== undefined && endTime !== undefined && startTime >= endTime) {
      throw new QueryError('InvalidParameterValueException', 'startTime must be before endTime');
    }
    const request: AdsStartRequest = {
      ...(agentIds ? { agentIds } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
    };
    const id = `export-${createHash('sha256').update(`ads-export-${++this.created}`).digest('hex').slice(0, 16)}`;
    const task: SimulatedAdsExport = { id, request, behaviour: this.options.behaviourFor?.(request) ?? DEFAULT_ADS_EXPORT, createdAt: this.now() };
    this.exports.set(id, task);
    return task;
  }

  private describe(body: Record<string, unknown>): Record<string, unknown> {
    const ids = body.exportIds;
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) {
      throw new QueryError('InvalidParameterValueException', 'exportIds must be a list of strings');
    }
    const agentIds = this.agentFilter(body.filters);
    const maxResults = body.maxResults === undefined ? 100 : Number(body.maxResults);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) throw new QueryError('InvalidParameterValueException', 'maxResults must be 1-100');
    // Unknown ids are not an error: they are simply not in the answer.
    const matching = [...this.exports.values()].filter(
      (task) => (!ids || (ids as string[]).includes(task.id)) && (!agentIds || agentIds.some((agent) => task.request.agentIds?.includes(agent))),
    );
    const offset = body.nextToken === undefined ? 0 : Number(Buffer.from(String(body.nextToken), 'base64url').toString());
    if (!Number.isInteger(offset) || offset < 0) throw new QueryError('InvalidParameterValueException', 'nextToken is not valid');
    const page = matching.slice(offset, offset + maxResults);
    for (const task of page) if (this.endedAt(task) !== undefined) task.terminalSeenAt ??= this.now();
    return {
      exportsInfo: page.map((task) => this.view(task)),
      ...(offset + maxResults < matching.length ? { nextToken: Buffer.from(String(offset + maxResults)).toString('base64url') } : {}),
    };
  }

  private agentFilter(filters: unknown): string[] | undefined {
    if (filters === undefined) return undefined;
    if (!Array.isArray(filters)) throw new QueryError('InvalidParameterValueException', 'filters must be a list');
    const agents: string[] = [];
    for (const filter of filters as { name?: unknown; values?: unknown; condition?: unknown }[]) {
      if (filter.name !== 'agentIds') throw new QueryError('InvalidParameterValueException', `Filter name ${String(filter.name)} is not supported: use agentIds`);
      if (filter.condition !== 'EQUALS') throw new QueryError('InvalidParameterValueException', `Filter condition ${String(filter.condition)} is not supported: use EQUALS`);
      if (!Array.isArray(filter.values) || filter.values.length === 0) throw new QueryError('InvalidParameterValueException', 'Filter values must name at least one agent');
      for (const agent of filter.values as unknown[]) {
        if (typeof agent !== 'string' || (this.options.agents && !this.options.agents(agent))) {
          throw new QueryError('InvalidParameterValueException', `Agent ${String(agent)} was not found`);
        }
        agents.push(agent);
      }
    }
    return agents;
  }

  private view(task: SimulatedAdsExport): Record<string, unknown> {
    const { status, statusMessage } = this.status(task);
    return {
      exportId: task.id,
      exportStatus: status,
      statusMessage,
      exportRequestTime: task.createdAt / 1000,
      ...(status === 'SUCCEEDED'
        ? {
            configurationsDownloadUrl: `https://aws-application-discovery-service-sim.s3.${this.options.region}.amazonaws.com/exports/${task.id}.zip?X-Amz-Expires=3600&X-Amz-Signature=simulated`,
            isTruncated: task.behaviour.truncated ?? false,
          }
        : {}),
      ...(task.request.startTime !== undefined ? { requestedStartTime: task.request.startTime } : {}),
      ...(task.request.endTime !== undefined ? { requestedEndTime: task.request.endTime } : {}),
    };
  }
}

/** Recomputes the signature of a received request with the same date and signed headers. */
async function expectedSignature(request: ReceivedRequest, signedHeaders: string[], credentials: AwsCredentialIdentity, region: string, signedAt: number): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) if (name !== 'authorization') headers[name] = request.headers[name]!;
  const [path, query = ''] = request.path.split('?');
  const host = request.headers.host!;
  const signer = new SignatureV4({ service: 'discovery', region, credentials, sha256: NodeSha256 });
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: 'https:',
      hostname: host.split(':')[0]!,
      path: path!,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers,
      body: request.body,
    },
    { signingDate: new Date(signedAt), signableHeaders: new Set(signedHeaders) },
  );
  return /Signature=([0-9a-f]{64})$/.exec(resigned.headers.authorization ?? '')?.[1] ?? '';
}


function epochSeconds(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new QueryError('InvalidParameterValueException', `${field} must be a timestamp in epoch seconds`);
  return value;
}

function json(status: number, body: unknown, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  return { status, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: JSON.stringify(body) };
}
