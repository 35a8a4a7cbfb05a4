import type { HttpRequest, HttpResponse } from '@smithy/types';
import { NamedError } from '../shared/runtime/errors.ts';

/**
 * The AWS Query protocol (form-encoded request, XML answer) that RDS and SNS speak, enough of it
 * for the simulators to sit behind the real SDK clients as their HTTP handler: the SDK serialises,
 * signs, retries and parses errors exactly as it does against AWS.
 */
export interface QueryService {
  /** Answers one action; throws a QueryError for an AWS error answer. `request` says who signed it (local/identity.ts callerOf). */
  handle(action: string, params: URLSearchParams, request?: HttpRequest): Record<string, unknown>;
}

/** An AWS error answer of a simulator: its code and HTTP status, sent back as the service's protocol says. */
export class QueryError extends NamedError {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** How a service's Query dialect wraps answers and errors, and names list items. */
export interface QueryDialect {
  listItem: string;
  success(action: string, fieldsXml: string, requestId: string): string;
  failure(error: QueryError, requestId: string): string;
}

/** RDS and SNS: `<ActionResponse><ActionResult>…`, lists of `<member>`, errors in `<ErrorResponse>`. */
export function awsQueryDialect(xmlNamespace: string): QueryDialect {
  return {
    listItem: 'member',
    success: (action, fieldsXml, requestId) =>
      `<${action}Response xmlns="${xmlNamespace}"><${action}Result>${fieldsXml}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
    failure: (error, requestId) =>
      `<ErrorResponse xmlns="${xmlNamespace}"><Error><Type>Sender</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export function queryHandler(service: QueryService, dialect: QueryDialect | string) {
  const { listItem, success, failure } = typeof dialect === 'string' ? awsQueryDialect(dialect) : dialect;
  let requestCount = 0;
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const params = new URLSearchParams(bodyText(request.body));
      const action = params.get('Action') ?? '';
      const requestId = `sim-${++requestCount}`;
      try {
        return respond(200, success(action, toXml(service.handle(action, params, request), listItem), requestId));
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        return respond(error.statusCode, failure(error, requestId));
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

/** Objects become elements, arrays become repeated list items (or the given item name via `{ $items, $name }`). */
function toXml(value: unknown, listItem: string): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return escapeXml(String(value));
  if (Array.isArray(value)) return value.map((item) => `<${listItem}>${toXml(item, listItem)}</${listItem}>`).join('');
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.$items)) {
    return record.$items.map((item) => `<${String(record.$name)}>${toXml(item, listItem)}</${String(record.$name)}>`).join('');
  }
  return Object.entries(record)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([key, v]) => `<${key}>${toXml(v, listItem)}</${key}>`)
    .join('');
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
