import { isTransient } from '../shared/runtime/aws-errors.ts';
import { ExportTaskNotFound, NamedError } from '../shared/runtime/errors.ts';

/** The command line is wrong (unknown flag, bad value, missing argument): exit status 2. */
export class UsageError extends NamedError {}

/** Something the operator should know, already phrased for them (an unknown export id, nothing to cancel): exit status 1. */
export class CliError extends NamedError {}

/** The endpoint answered, but not as an AWS API does (an HTML error page, a proxy, a web server). */
export class NonAwsAnswer extends CliError {
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly contentType: string,
  ) {
    super(`${endpoint} answered HTTP ${status} with ${contentType.includes('html') ? 'an HTML page' : `"${contentType}"`}, not an AWS API response: check --endpoint-url, --region and any proxy`);
  }
}

interface RawResponse {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

/** What no AWS API answers with. */
const NON_AWS_CONTENT = /text\/html|text\/plain/i;

function nonAwsAnswerOf(response: RawResponse | undefined, request: { protocol?: string; hostname?: string; port?: number } | undefined): NonAwsAnswer | undefined {
  const contentType = response?.headers?.['content-type'] ?? response?.headers?.['Content-Type'] ?? '';
  if (!NON_AWS_CONTENT.test(contentType)) return undefined;
  const endpoint = request?.hostname ? `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}` : 'the endpoint';
  return new NonAwsAnswer(endpoint, response?.statusCode ?? 0, contentType);
}

/**
 * A middleware for every SDK client of the CLI: an answer that is not an AWS API's (an HTML page from a
 * web server or proxy, also with HTTP 200, which the SDK would read as an empty result) fails as
 * NonAwsAnswer, described in one line, instead of an XML parse error or an empty listing.
 */
export function rejectNonAwsAnswers(stack: { add(middleware: unknown, options: { step: 'deserialize'; name: string; priority: 'high' }): void }): void {
  const middleware =
    (next: (args: { request?: unknown }) => Promise<{ response?: unknown }>) =>
    async (args: { request?: unknown }) => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      let result;
      try {
        result = await next(args);
      } catch (error) {
        throw nonAwsAnswerOf((error as { $response?: RawResponse }).$response, request) ?? error;
      }
      const refused = nonAwsAnswerOf(result.response as RawResponse | undefined, request);
      if (refused) throw refused;
      return result;
    };
  stack.add(middleware, { step: 'deserialize', name: 'rejectNonAwsAnswers', priority: 'high' });
}

/**
 * The ADS client (no SDK, shared/export-kinds/ads/client.ts) reads a proxy's or web server's page as the
 * error's text, or fails to parse it as JSON: the same one line as NonAwsAnswer.
 */
function webPageAnswer(errors: ErrorShape[]): string | undefined {
  const page = errors.find((e) => /^\s*<(?:!doctype|html)/i.test(e.message ?? '') || /Unexpected token '<'/.test(e.message ?? ''));
  if (!page) return undefined;
  const status = page.$metadata?.httpStatusCode ?? (page as { status?: number }).status;
  return `the endpoint answered${status ? ` HTTP ${status}` : ''} with a web page, not an AWS API response: check --endpoint-url, --region and any proxy`;
}

/** Why a service cannot be listed here (no endpoint in the region, an endpoint that is no AWS API), or undefined for any other failure. */
export function serviceUnavailable(error: unknown): string | undefined {
  const page = webPageAnswer(chain(error));
  if (page) return page;
  for (const e of chain(error)) {
    if (e instanceof NonAwsAnswer) return e.message;
    if (/^(?:ENOTFOUND|EAI_AGAIN)$/.test(e.code ?? '')) return `its endpoint does not resolve (${e.code}), so the service is not offered in this region`;
    if (/^(?:UnknownEndpoint|InvalidAction|UnknownOperationException|OptInRequired)$/.test(e.name ?? '')) return `${e.name}: ${oneLine(e.message ?? '')}`;
  }
  return undefined;
}

export const EXIT_OK = 0;
export const EXIT_AWS = 1;
export const EXIT_USAGE = 2;

interface ErrorShape {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The error and its causes, outermost first (the shared adapters wrap SDK errors in named ones). */
function chain(error: unknown): ErrorShape[] {
  const errors: ErrorShape[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && errors.length < 8) {
    errors.push(current as ErrorShape);
    current = (current as ErrorShape).cause;
  }
  return errors;
}

const CREDENTIALS = /CredentialsProviderError|Could not load credentials|Could not resolve credentials|credentials? (?:is|are) missing|Unable to find (?:a )?credentials/i;
const BAD_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'AuthFailure']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'UnauthorizedOperation']);
const NETWORK = /^(?:ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|TimeoutError|RequestTimeout)$/;

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/**
 * Every failure of a command as ONE line for stderr, and the exit status: 2 for a wrong command
 * line, 1 for anything AWS (or the export) said.
 */
export function describeFailure(error: unknown, context: { profile?: string } = {}): { line: string; exitCode: number } {
  if (error instanceof UsageError) return { line: `export-orchestrator: ${oneLine(error.message)} (see export-orchestrator --help)`, exitCode: EXIT_USAGE };
  const line = (text: string) => ({ line: `export-orchestrator: ${oneLine(text)}`, exitCode: EXIT_AWS });
  if (error instanceof CliError) return line(error.message);
  const errors = chain(error);
  const nonAws = errors.find((e): e is NonAwsAnswer => e instanceof NonAwsAnswer);
  if (nonAws) return line(nonAws.message);
  const page = webPageAnswer(errors);
  if (page) return line(page);
  const root = errors.at(-1) ?? {};
  const outer = errors[0] ?? {};
  // The shared adapters name the operation ("DescribeExportTasks failed: Throttling: Rate exceeded"); a raw SDK error only itself.
  const said = outer !== root && outer.message ? outer.message : `${root.name ?? 'Error'}: ${root.message ?? String(error)}`;
  if (errors.some((e) => CREDENTIALS.test(`${e.name} ${e.message}`))) {
    if (context.profile) return line(`no AWS credentials from profile "${context.profile}": is it in ~/.aws/config or ~/.aws/credentials, and logged in? (${said})`);
    return line(`no AWS credentials: pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (${said})`);
  }
  if (errors.some((e) => /Region is missing/i.test(e.message ?? ''))) return line('no AWS region: pass --region, or set AWS_REGION, or give the profile a region');
  if (errors.some((e) => BAD_CREDENTIALS.has(e.name ?? ''))) return line(`AWS refused the credentials (${said}): check --profile or renew the session`);
  if (errors.some((e) => DENIED.has(e.name ?? ''))) return line(`not allowed (${said})`);
  const notFound = errors.find((e): e is ExportTaskNotFound => e instanceof ExportTaskNotFound);
  if (notFound) return line(`${notFound.message} (in this account and region)`);
  const network = errors.find((e) => NETWORK.test(e.code ?? '') || NETWORK.test(e.name ?? ''));
  if (network) return line(`cannot reach AWS (${network.code ?? network.name}: ${network.message}): check --endpoint-url, --region and the network`);
  if (errors.some((e) => isTransient(e) && ((e.$metadata?.httpStatusCode ?? 0) === 429 || /thrott|rate exceeded|too many requests|slow ?down|limit exceeded/i.test(`${e.name} ${e.message}`)))) {
    return line(`AWS throttled the request even after retries (${said}): try again in a minute, or with a larger --page-size or --interval`);
  }
  return line(said);
}
