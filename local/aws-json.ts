import type { HttpRequest, HttpResponse } from '@smithy/types';
import { QueryError } from './aws-query.ts';

/**
 * The AWS JSON protocol (DynamoDB, Step Functions): the operation in X-Amz-Target, JSON both ways,
 * errors as `{"__type", "message"}`. Like queryHandler, it sits behind the real SDK clients.
 */
export interface JsonService {
  /** `request` says who signed it (local/identity.ts callerOf). */
  handle(operation: string, body: Record<string, unknown>, request?: HttpRequest): Record<string, unknown> | Promise<Record<string, unknown>>;
}

export function jsonHandler(service: JsonService) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: HttpRequest): Promise<{ response: HttpResponse }> {
      const target = headerValue(request.headers, 'x-amz-target') ?? '';
      const operation = target.slice(target.indexOf('.') + 1);
      const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      try {
        return respond(200, await service.handle(operation, JSON.parse(text || '{}') as Record<string, unknown>, request));
      } catch (error) {
        if (!(error instanceof QueryError)) throw error;
        return respond(error.statusCode, { __type: error.code, message: error.message });
      }
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
  };
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function respond(statusCode: number, body: unknown): { response: HttpResponse } {
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  return {
    response: { statusCode, headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(bytes.length) }, body: bytes } as HttpResponse,
  };
}
