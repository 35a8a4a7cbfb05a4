// Posting to a Slack incoming webhook: retries within the Lambda's time, never a word of the
// webhook URL in a message (./redact.ts).
import { NamedError } from '../../runtime/errors.ts';
import { clip } from '../../runtime/format.ts';
import { redact } from './redact.ts';
import type { SlackMessage } from './render.ts';

/**
 * Slack did not take the message (429, 5xx, no answer) within the attempts or the time the Lambda
 * had. Thrown so the asynchronous invocation fails: Lambda retries it, then parks the SNS event in
 * the notifier's dead-letter queue.
 */
export class SlackDeliveryFailed extends NamedError {}

/**
 * Slack answered that the webhook itself is no good (403 invalid_token, 404 no_service or
 * channel_not_found, 410 channel_is_archived, or a redirect). Retrying now cannot help, but the message is kept:
 * thrown, it ends in the dead-letter queue, to be redriven once the parameter holds a working URL.
 */
export class SlackWebhookRejected extends NamedError {}

/** The value in the parameter is not a URL we may post to. The message never repeats the value. */
export class SlackWebhookInvalid extends NamedError {}

export interface SlackRetryPolicy {
  /** Posts in all, the first one included. */
  maxAttempts: number;
  /** First backoff after a 5xx or no answer; doubles each time, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest wait for one answer. */
  requestTimeoutMs: number;
  /** Kept back from the Lambda's remaining time to log and return before it is cut off. */
  reserveMs: number;
  /** No point in waiting for a retry that would have less than this to get its answer. */
  minRequestMs: number;
}

export const DEFAULT_RETRY_POLICY: SlackRetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  requestTimeoutMs: 5000,
  reserveMs: 1000,
  minRequestMs: 1000,
};

export interface SlackRetry {
  attempt: number;
  /** What went wrong, with the webhook URL redacted. */
  problem: string;
  httpStatus?: number;
  waitMs: number;
}

export interface SlackPostDeps {
  fetch: typeof fetch;
  /** The Lambda's context.getRemainingTimeInMillis; without it, only the attempts bound the retries. */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  policy?: Partial<SlackRetryPolicy>;
  onRetry?: (retry: SlackRetry) => void;
}

export type SlackPostResult =
  | { outcome: 'posted'; attempts: number }
  /** Slack refused the payload itself (400, 413): sending it again cannot help, so it is neither retried nor thrown. */
  | { outcome: 'refused'; httpStatus: number; reason: string; attempts: number };

type Answer =
  | { kind: 'posted' }
  | { kind: 'refused'; httpStatus: number; reason: string }
  | { kind: 'rejected'; httpStatus: number; reason: string }
  | { kind: 'retry'; problem: string; httpStatus?: number; retryAfterMs?: number };

const PAYLOAD_FAULTS = new Set([400, 413]);
const TRANSIENT = (status: number) => status === 408 || status === 429 || status >= 500;

export async function postToSlack(url: string, payload: SlackMessage, deps: SlackPostDeps): Promise<SlackPostResult> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
  const remainingMs = deps.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  checkWebhookUrl(url);
  const body = JSON.stringify(payload);
  let last = 'no attempt made';
  for (let attempt = 1; ; attempt++) {
    const budgetMs = remainingMs() - policy.reserveMs;
    if (budgetMs < policy.minRequestMs) {
      throw new SlackDeliveryFailed(`Slack did not take the message: the Lambda ran out of time after ${attempt - 1} attempt(s) (last: ${last})`);
    }
    const answer = await postOnce(url, body, Math.min(policy.requestTimeoutMs, budgetMs), deps.fetch);
    if (answer.kind === 'posted') return { outcome: 'posted', attempts: attempt };
    if (answer.kind === 'refused') return { outcome: 'refused', httpStatus: answer.httpStatus, reason: answer.reason, attempts: attempt };
    if (answer.kind === 'rejected') {
      throw new SlackWebhookRejected(`Slack rejected the webhook: HTTP ${answer.httpStatus} ${answer.reason}; check the URL in the parameter`);
    }
    last = answer.problem;
    if (attempt >= policy.maxAttempts) {
      throw new SlackDeliveryFailed(`Slack did not take the message after ${attempt} attempt(s) (last: ${last})`);
    }
    const backoffMs = Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
    const waitMs = answer.retryAfterMs ?? backoffMs;
    const leftMs = remainingMs() - policy.reserveMs;
    if (waitMs + policy.minRequestMs > leftMs) {
      throw new SlackDeliveryFailed(
        `Slack did not take the message after ${attempt} attempt(s) (last: ${last}); the next try, in ${waitMs} ms, would not fit in the ${Math.max(0, leftMs)} ms the Lambda has left`,
      );
    }
    deps.onRetry?.({ attempt, problem: last, ...(answer.httpStatus ? { httpStatus: answer.httpStatus } : {}), waitMs });
    await sleep(waitMs);
  }
}

async function postOnce(url: string, body: string, timeoutMs: number, fetcher: typeof fetch): Promise<Answer> {
  let response: Response;
  try {
    response = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      // A webhook that redirects is not one Slack issued: say so rather than post elsewhere.
      redirect: 'manual',
    });
  } catch (error) {
    return { kind: 'retry', problem: describeFetchError(error, url) };
  }
  const reason = redact(await readReason(response), url);
  if (response.ok) return { kind: 'posted' };
  if (PAYLOAD_FAULTS.has(response.status)) return { kind: 'refused', httpStatus: response.status, reason };
  if (TRANSIENT(response.status)) {
    // Slack sends Retry-After with 429; a 503 may carry one too.
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return { kind: 'retry', problem: `HTTP ${response.status} ${reason}`, httpStatus: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'rejected', httpStatus: response.status, reason };
}

/** Slack's reason is a short code (invalid_blocks, rate_limited); an error page is cut to its first words. */
async function readReason(response: Response): Promise<string> {
  try {
    const text = (await response.text()).replace(/\s+/g, ' ').trim();
    return clip(text, 201) || 'no reason given';
  } catch {
    return 'no reason readable';
  }
}

/** Retry-After in seconds, or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The URL's path is the secret. Posting over plain HTTP would hand it to anyone on the way, so
 * only HTTPS, or HTTP to this machine (the local run and the tests).
 */
function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // URL's own error carries the input: never rethrow it.
    throw new SlackWebhookInvalid('The Slack webhook parameter does not hold a URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new SlackWebhookInvalid(`The Slack webhook URL must use https (it uses ${parsed.protocol.replace(/[^a-z]/g, '')})`);
  }
}

/** A failed fetch, as words: its name, message and cause (undici puts the socket error there), redacted. */
function describeFetchError(error: unknown, url: string): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 3; depth++) {
    const { name, message, code: errorCode } = current as { name?: string; message?: string; code?: unknown };
    // Socket errors say the most by their code (ECONNREFUSED); a DOMException's code is a number that says nothing.
    parts.push([typeof errorCode === 'string' ? errorCode : (name ?? 'Error'), message].filter(Boolean).join(': '));
    current = (current as { cause?: unknown }).cause;
  }
  return redact(parts.join(' <- ') || String(error), url);
}
