/**
 * The ADS client and provider on the wire: real HTTP to a node:http server on 127.0.0.1.
 *
 * There is no ADS in moto 5.x (no "discovery" backend: every request answers 500), so the wire
 * format is checked on a loopback server that records what arrives: method, path, headers, JSON
 * body, and the SigV4 signature, recomputed here with @smithy/signature-v4 and a pure-JS SHA-256
 * (independent of the client's node:crypto hashing). The provider's lifecycle is then run against
 * local/ads-simulator.ts served by the same kind of server, with signature checking on.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256Js } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdsExportProvider } from '../../shared/export-kinds/ads/ads-provider.ts';
import { AdsClient } from '../../shared/export-kinds/ads/client.ts';
import { TRUNCATED_WARNING } from '../../shared/export-kinds/ads/status.ts';
import { CannotCancelExport, ExportServiceError, TransientAwsError } from '../../shared/runtime/errors.ts';
import { AdsExportSimulator, type AdsExportBehaviour } from '../../local/ads-simulator.ts';
import { failure } from '../support/failure.ts';

const REGION = 'us-west-2';
const CREDENTIALS = { accessKeyId: 'AKIDADSWIRE', secretAccessKey: 'ads-wire-secret', sessionToken: 'session-token-of-the-lambda-role' };
const AGENT = 'o-0123456789abcdef0';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; headers?: Record<string, string>; body: string };

/** A loopback HTTP server that records each request and answers with `reply`. */
async function loopback(reply: (request: Received) => Answer | Promise<Answer>): Promise<{ server: Server; endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      void Promise.resolve(reply(request)).then((answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', ...answer.headers });
        res.end(answer.body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const close = (server: Server | undefined) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));

describe('AdsClient wire format (loopback HTTP)', () => {
  let server: Server;
  let endpoint: string;
  let received: Received[];
  let answers: Answer[];
  let provider: AdsExportProvider;

  beforeAll(async () => {
    ({ server, endpoint, received } = await loopback(() => answers.shift() ?? { status: 500, body: '{"__type":"NoScriptedAnswer"}' }));
    provider = new AdsExportProvider(new AdsClient({ region: REGION, credentials: CREDENTIALS, endpoint }));
  });

  afterAll(() => close(server));

  beforeEach(() => {
    received.length = 0;
    answers = [];
  });

  it('StartExportTask is a POST / of awsJson1_1 with the ADS X-Amz-Target and the export filter as JSON', async () => {
    // Prepare
    answers.push({ status: 200, body: JSON.stringify({ exportId: 'export-wire-1' }) });

    // Act
    const started = await provider.start({ agentIds: [AGENT], startTime: '2026-01-01T00:00:00.000Z', endTime: '2026-01-02T00:00:00.000Z' });

    // Assess
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request).toMatchObject({ method: 'POST', path: '/' });
    expect(request!.headers['x-amz-target']).toBe('AWSPoseidonService_V2015_11_01.StartExportTask');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(request!.body)).toEqual({
      exportDataFormat: ['CSV'],
      filters: [{ name: 'agentIds', values: [AGENT], condition: 'EQUALS' }],
      startTime: 1767225600,
      endTime: 1767312000,
    });
    expect(started).toMatchObject({ exportId: 'export-wire-1', status: 'IN_PROGRESS', percent: 0 });
  });

  it('signs with SigV4 for discovery in the region, the session token included, and the signature recomputes exactly', async () => {
    // Prepare
    answers.push({ status: 200, body: JSON.stringify({ exportsInfo: [{ exportId: 'export-wire-1', exportStatus: 'IN_PROGRESS', exportRequestTime: 1767225600 }] }) });

    // Act
    await provider.describe('export-wire-1');

    // Assess: the header's form
    const [request] = received;
    const headers = request!.headers as Record<string, string>;
    const match = /^AWS4-HMAC-SHA256 Credential=AKIDADSWIRE\/(\d{8})\/us-west-2\/discovery\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
    expect(match, headers.authorization).not.toBeNull();
    const [, day, signedList, signature] = match!;
    expect(headers['x-amz-date']).toMatch(new RegExp(`^${day}T\\d{6}Z$`));
    expect(headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    const signed = signedList!.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target']));
    expect(headers.host).toBe(new URL(endpoint).host);

    // Assess: the signature itself, recomputed from what arrived
    const amzDate = headers['x-amz-date']!;
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const resign = (body: string) =>
      new SignatureV4({ service: 'discovery', region: REGION, credentials: CREDENTIALS, sha256: Sha256Js }).sign(
        {
          method: request!.method,
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: request!.path,
          query: {},
          headers: Object.fromEntries(signed.filter((name) => name !== 'x-amz-content-sha256').map((name) => [name, headers[name]!])),
          body,
        },
        { signingDate, signableHeaders: new Set(signed) },
      );
    const expected = await resign(request!.body);
    expect(expected.headers.authorization).toBe(headers.authorization);
    // ...and a signature is bound to its body: another body signs differently
    expect((await resign('{"exportIds":["export-other"]}')).headers.authorization).not.toContain(`Signature=${signature}`);
  });

  it('DescribeExportTasks sends the export id and reads the answer, epoch seconds as ISO', async () => {
    // Prepare
    answers.push({
      status: 200,
      body: JSON.stringify({
        exportsInfo: [{ exportId: 'export-wire-2', exportStatus: 'SUCCEEDED', statusMessage: 'done', exportRequestTime: 1767225600.25, isTruncated: true, configurationsDownloadUrl: 'https://x/y.zip' }],
      }),
    });

    // Act
    const observation = await provider.describe('export-wire-2');

    // Assess
    expect(received[0]!.headers['x-amz-target']).toBe('AWSPoseidonService_V2015_11_01.DescribeExportTasks');
    expect(JSON.parse(received[0]!.body)).toEqual({ exportIds: ['export-wire-2'] });
    expect(observation).toEqual({
      exportId: 'export-wire-2',
      sourceArn: '',
      status: 'COMPLETE',
      percent: 100,
      taskStartTime: '2026-01-01T00:00:00.250Z',
      warning: TRUNCATED_WARNING,
      downloadUrl: 'https://x/y.zip',
    });
  });

  it('a 400 ThrottlingException is TransientAwsError (after the one quick retry a read gets)', async () => {
    // Prepare
    const throttled = { status: 400, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) };
    answers.push(throttled, throttled);

    // Act
    const error = await failure<Error>(provider.describe('export-wire-1'));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toBe('DescribeExportTasks failed: ThrottlingException: Rate exceeded');
    expect(received).toHaveLength(2);
  });

  it('a 400 InvalidParameterValueException is ExportServiceError with the service type and message, not retried', async () => {
    // Prepare
    answers.push({
      status: 400,
      headers: { 'x-amzn-requestid': 'req-123' },
      body: JSON.stringify({ __type: 'com.amazonaws.discovery#InvalidParameterValueException', message: 'Agent o-0123456789abcdef0 was not found' }),
    });

    // Act
    const error = await failure<Error & { cause?: Record<string, unknown> }>(provider.start({ agentIds: [AGENT] }));

    // Assess
    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error.message).toBe('StartExportTask failed: InvalidParameterValueException: Agent o-0123456789abcdef0 was not found');
    expect(error.cause).toMatchObject({
      name: 'InvalidParameterValueException',
      type: 'com.amazonaws.discovery#InvalidParameterValueException',
      $metadata: { httpStatusCode: 400, requestId: 'req-123' },
    });
    expect(received).toHaveLength(1);
  });

  it('a 503 with no JSON body is TransientAwsError', async () => {
    const unavailable = { status: 503, headers: { 'content-type': 'text/plain' }, body: 'Service Unavailable' };
    answers.push(unavailable, unavailable);

    await expect(provider.describe('export-wire-1')).rejects.toThrow(TransientAwsError);
  });

  it('no server listening (connection refused) is TransientAwsError', async () => {
    // Prepare: a port that was just free
    const { server: gone, endpoint: deadEndpoint } = await loopback(() => ({ status: 200, body: '{}' }));
    await close(gone);
    const orphan = new AdsExportProvider(new AdsClient({ region: REGION, credentials: CREDENTIALS, endpoint: deadEndpoint }));

    // Act
    const error = await failure<Error>(orphan.describe('export-wire-1'));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('AdsExportProvider lifecycle against the ADS simulator (loopback HTTP, signatures checked)', () => {
  let server: Server;
  let endpoint: string;
  let received: Received[];
  let simulator: AdsExportSimulator;
  let behaviour: AdsExportBehaviour;
  let provider: AdsExportProvider;

  beforeAll(async () => {
    ({ server, endpoint, received } = await loopback((request) =>
      simulator.answer({
        method: request.method,
        path: request.path,
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
        body: request.body,
      }),
    ));
  });

  afterAll(() => close(server));

  beforeEach(() => {
    // The simulator's clock and the signer's are both Date: fake it only, so sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-01T00:00:00Z'));
    behaviour = { exportSeconds: 600 };
    simulator = new AdsExportSimulator({ region: REGION, credentials: CREDENTIALS, agents: (id) => id === AGENT, behaviourFor: () => behaviour });
    provider = new AdsExportProvider(new AdsClient({ region: REGION, credentials: CREDENTIALS, endpoint }));
    received.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

  it('starts, reads IN_PROGRESS at 0 %, then COMPLETE at 100 % with the download URL', async () => {
    // Act
    const started = await provider.start({ agentIds: [AGENT], startTime: '2026-02-01T00:00:00.000Z', endTime: '2026-02-02T00:00:00.000Z' });
    advance(300);
    const running = await provider.describe(started.exportId);
    advance(301);
    const done = await provider.describe(started.exportId);

    // Assess
    expect(started).toMatchObject({ status: 'IN_PROGRESS', percent: 0, adopted: false });
    expect(running).toMatchObject({ exportId: started.exportId, status: 'IN_PROGRESS', percent: 0, taskStartTime: '2026-03-01T00:00:00.000Z' });
    expect(done).toMatchObject({
      status: 'COMPLETE',
      percent: 100,
      requestedStartTime: '2026-02-01T00:00:00.000Z',
      requestedEndTime: '2026-02-02T00:00:00.000Z',
      downloadUrl: expect.stringContaining(`/exports/${started.exportId}.zip`),
    });
    expect(done).not.toHaveProperty('warning');
    expect(simulator.calls).toEqual({ StartExportTask: 1, DescribeExportTasks: 2 });
  });

  it('a truncated export completes with the narrow-the-time-range warning', async () => {
    behaviour = { exportSeconds: 60, truncated: true };
    const { exportId } = await provider.start({ agentIds: [AGENT] });
    advance(61);

    expect(await provider.describe(exportId)).toMatchObject({ status: 'COMPLETE', warning: TRUNCATED_WARNING });
  });

  it("a failed export reads FAILED with ADS's statusMessage as the cause", async () => {
    behaviour = { exportSeconds: 600, fail: { afterSeconds: 90, message: 'Export failed: agent data is unavailable for the requested range' } };
    const { exportId } = await provider.start({ agentIds: [AGENT] });
    advance(91);

    expect(await provider.describe(exportId)).toMatchObject({ status: 'FAILED', percent: 0, failureCause: 'Export failed: agent data is unavailable for the requested range' });
  });

  it('cancel is CannotCancelExport, sends nothing, and the export still completes', async () => {
    // Prepare
    const { exportId } = await provider.start({});
    received.length = 0;

    // Act
    const error = await failure<Error>(provider.cancel(exportId));
    advance(601);
    const after = await provider.describe(exportId);

    // Assess
    expect(error).toBeInstanceOf(CannotCancelExport);
    expect(received.map((request) => request.headers['x-amz-target'])).toEqual(['AWSPoseidonService_V2015_11_01.DescribeExportTasks']);
    expect(after.status).toBe('COMPLETE');
  });

  it("lists an agent's exports across the simulator's pages", async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await provider.start({ agentIds: [AGENT] })).exportId);
    await provider.start({});

    // Act
    const listed: string[] = [];
    for await (const info of provider.exports({ agentIds: [AGENT], pageSize: 2 })) listed.push(info.exportId);

    // Assess
    expect(listed).toEqual(ids);
    expect(simulator.calls.DescribeExportTasks).toBe(3);
  });

  it("an unknown agent is the service's InvalidParameterValueException, as ExportServiceError", async () => {
    const error = await failure<Error>(provider.start({ agentIds: ['o-ffffffffffffffff0'] }));

    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error.message).toBe('StartExportTask failed: InvalidParameterValueException: Agent o-ffffffffffffffff0 was not found');
  });

  it('the simulator refuses a request signed with another secret (InvalidSignatureException)', async () => {
    // Prepare
    const forger = new AdsExportProvider(new AdsClient({ region: REGION, credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' }, endpoint }));

    // Act
    const error = await failure<Error>(forger.start({}));

    // Assess
    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error.message).toMatch(/^StartExportTask failed: InvalidSignatureException: The request signature we calculated does not match/);
    expect(simulator.exports.size).toBe(0);
  });

  it('the simulator refuses a request signed for another region (the credential scope is checked)', async () => {
    const elsewhere = new AdsExportProvider(new AdsClient({ region: 'eu-central-1', credentials: CREDENTIALS, endpoint }));

    const error = await failure<Error>(elsewhere.start({}));

    expect(error.message).toContain("IncompleteSignatureException: Malformed SigV4 signature: the credential scope's region eu-central-1 is not us-west-2");
  });

  it("the simulator's in-process fetch (the local run's transport) answers the signed client the same way", async () => {
    // Prepare
    const local = new AdsExportProvider(new AdsClient({ region: REGION, credentials: CREDENTIALS, fetch: simulator.fetch }));

    // Act
    const { exportId } = await local.start({ agentIds: [AGENT] });
    advance(601);
    const done = await local.describe(exportId);

    // Assess
    expect(done.status).toBe('COMPLETE');
    expect(simulator.received.map((request) => [request.path, request.headers.host])).toEqual([
      ['/', `discovery.${REGION}.amazonaws.com`],
      ['/', `discovery.${REGION}.amazonaws.com`],
    ]);
    expect(received).toHaveLength(0);
  });
});
