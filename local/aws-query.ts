import type { HttpRequest, HttpResponse } from '@smithy/types';

/**
 * The AWS Query protocol (form-encoded request, XML answer) that RDS and SNS speak, enough of it
 * for the simulators to sit behind the real SDK clients as their HTTP handler: the SDK serialises,
 * signs, retries and parses errors exactly as it does against AWS.
 */
export interface QueryService {
  /** Answers one action; throws a QueryError for an AWS error answer. */
  handle(action: string, params: URLSearchParams): Record<string, unknown>;
}

export class QueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

export function queryHandler(service: QueryService, xmlNamespace: string) {
  let requestCount = 0;
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const params = new URLSearchParams(bodyText(request.body));
      const action = params.get('Action') ?? '';
      const requestId = `sim-${++requestCount}`;
      try {
        const result = service.handle(action, params);
        const xml = `<${action}Response xmlns="${xmlNamespace}"><${action}Result>${toXml(result)}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
        return respond(200, xml);
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        const xml = `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
        return respond(error.statusCode, xml);
      }
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
  };
}

/** `ExportOnly.member.1=a&ExportOnly.member.2=b` → ['a', 'b']; lists with a named member use it (`Values.Value.1`). */
export function queryList(params: URLSearchParams, name: string, member = 'member'): string[] {
  const values: string[] = [];
  for (let i = 1; params.has(`${name}.${member}.${i}`); i++) values.push(params.get(`${name}.${member}.${i}`)!);
  return values;
}

function respond(statusCode: number, xml: string): { response: HttpResponse } {
  const body = new TextEncoder().encode(xml);
  return { response: { statusCode, reason: undefined, headers: { 'content-type': 'text/xml', 'content-length': String(body.length) }, body } as HttpResponse };
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return '';
}

/** Objects become elements, arrays become repeated `<member>` (or the given item name via `{ $items, $name }`). */
function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return escapeXml(String(value));
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.$items)) {
    return record.$items.map((item) => `<${String(record.$name)}>${toXml(item)}</${String(record.$name)}>`).join('');
  }
  return Object.entries(record)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([key, v]) => `<${key}>${toXml(v)}</${key}>`)
    .join('');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
