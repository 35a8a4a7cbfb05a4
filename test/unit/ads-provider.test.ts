import { describe, expect, it } from 'vitest';
import { AdsExportProvider } from '../../shared/export-kinds/ads/ads-provider.ts';
import { AdsClient } from '../../shared/export-kinds/ads/client.ts';
import { validateAdsExportParameters } from '../../shared/export-kinds/ads/request.ts';
import { CannotCancelExport, ExportServiceError, ExportTaskNotFound, InvalidExportRequest, TransientAwsError } from '../../shared/runtime/errors.ts';
import { failure } from '../support/failure.ts';

const AGENT = 'o-0123456789abcdef0';

describe('validateAdsExportParameters', () => {
  function problemsOf(raw: unknown): string[] {
    try {
      validateAdsExportParameters(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidExportRequest);
      return (error as InvalidExportRequest).problems;
    }
    throw new Error('expected the request to be refused');
  }

  it('accepts one agent with a time range, times in canonical ISO form', () => {
    expect(validateAdsExportParameters({ agentIds: [AGENT], startTime: '2026-01-01T00:00:00+01:00', endTime: '2026-01-02T00:00:00Z' })).toEqual({
      agentIds: [AGENT],
      startTime: '2025-12-31T23:00:00.000Z',
      endTime: '2026-01-02T00:00:00.000Z',
    });
  });

  it('accepts no filter at all: everything ADS holds', () => {
    expect(validateAdsExportParameters({})).toEqual({});
  });

  it.each([
    [{ agentIds: [AGENT, 'o-1'] }, 'exactly one agent'],
    [{ agentIds: [] }, 'exactly one agent'],
    [{ agentIds: ['has space'] }, 'agentIds[0] "has space" is not an agent id'],
    [{ agentIds: [AGENT], startTime: 'yesterday' }, 'startTime "yesterday" is not an ISO-8601 time'],
    [{ agentIds: [AGENT], endTime: '2026-01-01' }, 'endTime "2026-01-01" is not an ISO-8601 time'],
    [{ agentIds: [AGENT], startTime: '2026-01-02T00:00:00Z', endTime: '2026-01-01T00:00:00Z' }, 'is not before endTime'],
    [{ startTime: '2026-01-01T00:00:00Z' }, 'startTime/endTime need agentIds'],
    [{ agentIds: AGENT }, 'agentIds must be an array with one agent id, got a string ("o-'],
    [{ agentId: AGENT }, 'unknown field(s) "agentId": allowed are agentIds, startTime, endTime'],
  ])('refuses %j, saying why', (raw, message) => {
    expect(problemsOf(raw)).toEqual([expect.stringContaining(message)]);
  });
});

/** A fetch that answers from a script and records what the client sent (target and JSON body). */
function scriptedFetch(...answers: Array<Response | Error>) {
  const sent: { target: string; body: Record<string, unknown> }[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    sent.push({ target: headers.get('x-amz-target') ?? '', body: JSON.parse(String(init?.body)) as Record<string, unknown> });
    const answer = answers.shift();
    if (!answer) throw new Error('the script ran out of answers');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, sent };
}

const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' } });
const fault = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } });

function providerWith(fetch: typeof globalThis.fetch): AdsExportProvider {
  return new AdsExportProvider(new AdsClient({ region: 'us-west-2', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, fetch }));
}

describe('AdsExportProvider', () => {
  it('starts a CSV export of one agent over a time range, times in epoch seconds, and reads it IN_PROGRESS', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch(ok({ exportId: 'export-abc' }));

    // Act
    const started = await providerWith(fetch).start({ agentIds: [AGENT], startTime: '2026-01-01T00:00:00.000Z', endTime: '2026-01-01T06:00:00.500Z' });

    // Assess
    expect(sent).toEqual([
      {
        target: 'AWSPoseidonService_V2015_11_01.StartExportTask',
        body: {
          exportDataFormat: ['CSV'],
          filters: [{ name: 'agentIds', values: [AGENT], condition: 'EQUALS' }],
          startTime: 1767225600,
          endTime: 1767247200.5,
        },
      },
    ]);
    expect(started).toEqual({ exportId: 'export-abc', sourceArn: '', status: 'IN_PROGRESS', percent: 0, adopted: false });
  });

  it('sends no filter and no times for an export of everything', async () => {
    const { fetch, sent } = scriptedFetch(ok({ exportId: 'export-all' }));

    await providerWith(fetch).start({});

    expect(sent[0]!.body).toEqual({ exportDataFormat: ['CSV'] });
  });

  it('never retries StartExportTask (no client token: a second send may start a second export)', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch(fault(500, { __type: 'ServerInternalErrorException', message: 'boom' }), ok({ exportId: 'export-2' }));

    // Act
    const error = await failure<Error>(providerWith(fetch).start({}));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toBe('StartExportTask failed: ServerInternalErrorException: boom');
    expect(sent).toHaveLength(1);
  });

  it('retries a throttled DescribeExportTasks once, then reads the export', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch(
      fault(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }),
      ok({ exportsInfo: [{ exportId: 'export-1', exportStatus: 'IN_PROGRESS', statusMessage: 'running', exportRequestTime: 1767225600 }] }),
    );

    // Act
    const observation = await providerWith(fetch).describe('export-1');

    // Assess
    expect(sent.map((call) => call.body)).toEqual([{ exportIds: ['export-1'] }, { exportIds: ['export-1'] }]);
    expect(observation).toMatchObject({ exportId: 'export-1', status: 'IN_PROGRESS', percent: 0, taskStartTime: '2026-01-01T00:00:00.000Z' });
  });

  it('follows nextToken until it finds the export', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch(
      ok({ exportsInfo: [], nextToken: 'page-2' }),
      ok({ exportsInfo: [{ exportId: 'export-1', exportStatus: 'SUCCEEDED' }] }),
    );

    // Act
    const observation = await providerWith(fetch).describe('export-1');

    // Assess
    expect(sent.map((call) => call.body)).toEqual([{ exportIds: ['export-1'] }, { exportIds: ['export-1'], nextToken: 'page-2' }]);
    expect(observation.status).toBe('COMPLETE');
  });

  it('reads an export ADS does not list as ExportTaskNotFound', async () => {
    const { fetch } = scriptedFetch(ok({ exportsInfo: [] }));

    await expect(providerWith(fetch).describe('export-missing')).rejects.toThrow(ExportTaskNotFound);
  });

  it('lists every export of an agent across pages, and stops when a token comes back twice', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch(
      ok({ exportsInfo: [{ exportId: 'a', exportStatus: 'SUCCEEDED' }], nextToken: 't1' }),
      ok({ exportsInfo: [{ exportId: 'b', exportStatus: 'FAILED' }], nextToken: 't2' }),
      ok({ exportsInfo: [{ exportId: 'c', exportStatus: 'IN_PROGRESS' }], nextToken: 't1' }),
    );
    const listed: string[] = [];

    // Act
    for await (const info of providerWith(fetch).exports({ agentIds: [AGENT], pageSize: 1 })) listed.push(info.exportId);

    // Assess
    expect(listed).toEqual(['a', 'b', 'c']);
    expect(sent[0]!.body).toEqual({ filters: [{ name: 'agentIds', values: [AGENT], condition: 'EQUALS' }], maxResults: 1 });
    expect(sent.map((call) => call.body.nextToken)).toEqual([undefined, 't1', 't2']);
  });

  it.each([
    ['a namespaced __type', fault(400, { __type: 'com.amazonaws.discovery#InvalidParameterValueException', message: 'bad agent' }), ExportServiceError, 'InvalidParameterValueException: bad agent'],
    ['the error type in X-Amzn-ErrorType only', fault(403, '', { 'x-amzn-errortype': 'AuthorizationErrorException:http://internal/' }), ExportServiceError, 'AuthorizationErrorException: '],
    ['HomeRegionNotSetException', fault(400, { __type: 'HomeRegionNotSetException', message: 'set a home region' }), ExportServiceError, 'HomeRegionNotSetException: set a home region'],
    ['an HTML 502 from a proxy', fault(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }), TransientAwsError, 'Http502: <html>Bad Gateway</html>'],
  ] as const)('maps %s to %o with the service type and message', async (_label, response, errorClass, detail) => {
    // Prepare: the second answer is there for the one retry a transient error gets
    const { fetch } = scriptedFetch(response, response.clone());

    // Act
    const error = await failure<Error>(providerWith(fetch).describe('export-1'));

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect(error.message).toContain(`DescribeExportTasks failed: ${detail}`);
  });

  it('reads no answer at all (connection refused) as TransientAwsError', async () => {
    // Prepare
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const { fetch, sent } = scriptedFetch(refused, refused);

    // Act
    const error = await failure<Error>(providerWith(fetch).describe('export-1'));

    // Assess
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toContain('ECONNREFUSED');
    expect(sent).toHaveLength(2);
  });

  it('cannot cancel: CannotCancelExport says the export goes on and the workflow stops following it, and nothing is sent', async () => {
    // Prepare
    const { fetch, sent } = scriptedFetch();

    // Act
    const error = await failure<CannotCancelExport>(providerWith(fetch).cancel('export-1'));

    // Assess
    expect(error).toBeInstanceOf(CannotCancelExport);
    expect(error).toMatchObject({ name: 'CannotCancelExport', exportId: 'export-1' });
    expect(error.message).toMatch(/cannot cancel export export-1: it has no cancel operation.*stops following it/);
    expect(sent).toEqual([]);
  });
});
