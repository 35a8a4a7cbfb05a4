import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isTransient } from '../../runtime/aws-errors.ts';
import { NamedError } from '../../runtime/errors.ts';
import { SDK_OPTIONS } from '../../runtime/sdk-options.ts';
import { adsEndpoint, AdsSigner } from './signer.ts';

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

/**
 * A small client of Application Discovery Service's protocol (awsJson1_1, signed by signer.ts): its SDK
 * client is not on our registry. Errors come back shaped like SDK errors (AdsServiceException).
 */
export class AdsClient {
  private readonly signer: AdsSigner;
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;

  constructor(options: AdsClientOptions) {
    this.signer = new AdsSigner(options);
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
    const headers = await this.signer.sign(url, operation, body);
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
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
