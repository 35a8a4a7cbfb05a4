import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';

// Powertools reads its level when the logger is made, and goes back to it on every invocation:
// it must be set before shared/runtime/logger.ts is imported (vitest.config.ts silences every other file).
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

import { makeHandler, type SlackNotifyDeps } from '../../functions/slack-notify/app.ts';
import { SecretUnavailable, ssmSecret, type SecretSource } from '../../shared/notify/slack/ssm-secret.ts';
import { renderNotification, type NotificationRecord } from '../../shared/notify/record.ts';
import { SlackDeliveryFailed, SlackWebhookInvalid, SlackWebhookRejected } from '../../shared/notify/slack/post.ts';
import { renderSlackMessage, type SlackMessage } from '../../shared/notify/slack/render.ts';
import { failure } from '../support/failure.ts';
import { lambdaContext } from '../support/lambda.ts';

// The notifier Lambda against a real HTTP server on loopback standing in for Slack's webhook, and
// SSM behind aws-sdk-client-mock. Waits between retries are recorded, not slept.

const REGION = 'eu-west-1';
const PARAMETER = '/export-orchestrator/test/slack-webhook';
const TOKEN = 'SECRETTOKEN';
const SNAPSHOT_ARN = 'arn:aws:rds:eu-west-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10';

// ---------------------------------------------------------------------------------------------
// A Slack webhook on 127.0.0.1: answers from a script, records what it was sent.

interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer: the client must give up on its own. */
  hang?: boolean;
}
interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

let server: Server;
let port: number;
let script: ScriptedAnswer[] = [];
let received: ReceivedRequest[] = [];

function answer(...answers: ScriptedAnswer[]): void {
  script = answers;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    received.push({ method: request.method ?? '', path: request.url ?? '', contentType: request.headers['content-type'], body: await readBody(request) });
    // The last scripted answer repeats: "always 500" is one entry.
    const next = (script.length > 1 ? script.shift() : script[0]) ?? { status: 200, body: 'ok' };
    if (next.hang) return;
    response.writeHead(next.status, { 'content-type': 'text/plain', ...next.headers });
    response.end(next.body ?? (next.status === 200 ? 'ok' : ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const webhookUrl = () => `http://127.0.0.1:${port}/services/T000/B000/${TOKEN}`;

// ---------------------------------------------------------------------------------------------
// What the Lambda writes: Powertools prints through a Console on process.stdout / process.stderr.

let output: string[] = [];
let spies: MockInstance[] = [];

function logLines(): Array<Record<string, unknown>> {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const ssmMock = mockClient(SSMClient);

beforeEach(() => {
  received = [];
  script = [{ status: 200, body: 'ok' }];
  output = [];
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  spies = [vi.spyOn(process.stdout, 'write').mockImplementation(capture), vi.spyOn(process.stderr, 'write').mockImplementation(capture)];
  ssmMock.reset();
  ssmMock.on(GetParameterCommand).callsFake(() => ({ Parameter: { Name: PARAMETER, Type: 'SecureString', Value: webhookUrl() } }));
});

afterEach(() => {
  for (const spy of spies) spy.mockRestore();
  // Whatever a test did, the webhook's secret parts never reached a log line.
  const everything = output.join('');
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain('/services/T000/B000');
});

afterAll(() => {
  ssmMock.restore();
});

// ---------------------------------------------------------------------------------------------

/** The notifier's context, with the given milliseconds left of the invocation. */
const slackContext = (remainingMs = 30_000) => lambdaContext('export-orchestrator-test-slackNotify', { region: REGION, remainingMs });

function record(status: NotificationRecord['status'] = 'COMPLETE'): NotificationRecord {
  return {
    status,
    sourceArn: SNAPSHOT_ARN,
    sourceType: 'SNAPSHOT',
    exportId: 'rds-prod-db-2026-11-23-03-10-c2865e44c1',
    percent: 100,
    s3Uri: 's3://example-exports/rds-prod-db/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/',
    elapsedSeconds: 7330,
    at: '2026-11-23T05:17:10.000Z',
  };
}

/** The SNS event a Lambda subscription receives for one message the notify step published. */
function snsEvent(notification = renderNotification(record())): SNSEvent {
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: `arn:aws:sns:${REGION}:123456789012:export-orchestrator-test:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55`,
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: '2026-11-23T05:17:10.000Z',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem',
          MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e',
          Message: notification.body,
          MessageAttributes: {
            status: { Type: 'String', Value: notification.attributes.status },
            sourceType: { Type: 'String', Value: notification.attributes.sourceType },
          },
          Type: 'Notification',
          UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe',
          TopicArn: `arn:aws:sns:${REGION}:123456789012:export-orchestrator-test`,
          Subject: notification.subject,
        },
      },
    ],
  };
}

interface Notifier {
  invoke: (event?: SNSEvent, context?: Context) => Promise<unknown>;
  sleeps: number[];
}

function notifier(options: { webhook?: SecretSource; policy?: SlackNotifyDeps['policy'] } = {}): Notifier {
  const sleeps: number[] = [];
  const handler = makeHandler({
    webhook: options.webhook ?? ssmSecret(PARAMETER, { region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    fetch: globalThis.fetch,
    policy: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 400, requestTimeoutMs: 2000, reserveMs: 500, minRequestMs: 200, ...options.policy },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    // No jitter: the backoff is exactly base × 2^(attempt − 1).
    random: () => 1,
  });
  return { invoke: (event = snsEvent(), context = slackContext()) => handler(event, context), sleeps };
}

// ---------------------------------------------------------------------------------------------

describe('slack-notify handler', () => {
  it('posts the notification to the webhook as Block Kit JSON', async () => {
    // Prepare
    const { invoke } = notifier();

    // Act
    const result = await invoke();

    // Assess
    expect(result).toEqual({ posted: 1, refused: 0 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', path: `/services/T000/B000/${TOKEN}`, contentType: 'application/json; charset=utf-8' });
    const sent = JSON.parse(received[0]!.body) as SlackMessage;
    expect(sent).toEqual(renderSlackMessage(record()));
    expect(sent.attachments[0]!.color).toBe('#2EB67D');
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'INFO', message: 'posted the notification to Slack', status: 'COMPLETE', attempts: 1 }));
  });

  it('waits as long as Retry-After says after a 429, then posts', async () => {
    // Prepare
    answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } }, { status: 200, body: 'ok' });
    const { invoke, sleeps } = notifier();

    // Act
    const result = await invoke();

    // Assess
    expect(result).toEqual({ posted: 1, refused: 0 });
    expect(received).toHaveLength(2);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(sleeps).toEqual([2000]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: 'WARN', message: 'Slack did not take the message; trying again', httpStatus: 429, waitMs: 2000, problem: 'HTTP 429 rate_limited' }),
    );
  });

  it('honours Retry-After on a 503 too', async () => {
    // Prepare
    answer({ status: 503, body: 'maintenance', headers: { 'retry-after': '3' } }, { status: 200, body: 'ok' });
    const { invoke, sleeps } = notifier();

    // Act
    await invoke();

    // Assess
    expect(sleeps).toEqual([3000]);
  });

  it('backs off exponentially after 5xx answers, then posts', async () => {
    // Prepare
    answer({ status: 500, body: 'rollup_error' }, { status: 503 }, { status: 200, body: 'ok' });
    const { invoke, sleeps } = notifier();

    // Act
    const result = await invoke();

    // Assess
    expect(result).toEqual({ posted: 1, refused: 0 });
    expect(received).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up after the attempts bound with SlackDeliveryFailed, so the invocation fails into the dead-letter queue', async () => {
    // Prepare
    answer({ status: 500, body: 'rollup_error' });
    const { invoke, sleeps } = notifier();

    // Act
    const error = await failure(invoke());

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryFailed);
    expect(error.name).toBe('SlackDeliveryFailed');
    expect(error.message).toBe('Slack did not take the message after 4 attempt(s) (last: HTTP 500 rollup_error)');
    expect(received).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 400]);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'ERROR', errorName: 'SlackDeliveryFailed' }));
  });

  it('gives up at once when Retry-After would outlast the Lambda, rather than be cut off waiting', async () => {
    // Prepare
    answer({ status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } });
    const { invoke, sleeps } = notifier();

    // Act
    const error = await failure(invoke(snsEvent(), slackContext(10_000)));

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryFailed);
    expect(error.message).toMatch(/^Slack did not take the message after 1 attempt\(s\) \(last: HTTP 429 rate_limited\); the next try, in 30000 ms, would not fit in the \d+ ms the Lambda has left$/);
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not post at all when the Lambda has no time left', async () => {
    const error = await failure(notifier().invoke(snsEvent(), slackContext(300)));
    expect(error).toBeInstanceOf(SlackDeliveryFailed);
    expect(error.message).toMatch(/ran out of time after 0 attempt/);
    expect(received).toHaveLength(0);
  });

  it('logs a 400 with Slack\'s reason at error level and neither retries nor throws', async () => {
    // Prepare
    answer({ status: 400, body: 'invalid_blocks' });
    const { invoke, sleeps } = notifier();

    // Act
    const result = await invoke();

    // Assess
    expect(result).toEqual({ posted: 0, refused: 1 });
    expect(received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'Slack refused the message as malformed; not retried', httpStatus: 400, reason: 'invalid_blocks', status: 'COMPLETE' }),
    );
  });

  it.each([
    [403, 'invalid_token'],
    [404, 'no_service'],
    [410, 'channel_is_archived'],
    [302, 'moved'],
  ])('throws SlackWebhookRejected without retrying when Slack answers %i %s', async (status, reason) => {
    // Prepare
    answer({ status, body: reason });

    // Act
    const error = await failure(notifier().invoke());

    // Assess
    expect(error).toBeInstanceOf(SlackWebhookRejected);
    expect(error.message).toBe(`Slack rejected the webhook: HTTP ${status} ${reason}; check the URL in the parameter`);
    expect(received).toHaveLength(1);
  });

  it('reads the parameter again after Slack rejected the webhook, so a replaced URL is picked up', async () => {
    // Prepare
    answer({ status: 403, body: 'invalid_token' }, { status: 200, body: 'ok' });
    const { invoke } = notifier();

    // Act
    const error = await failure(invoke());
    const retried = await invoke();

    // Assess
    expect(error).toBeInstanceOf(SlackWebhookRejected);
    expect(retried).toEqual({ posted: 1, refused: 0 });
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('abandons a request Slack does not answer and tries again', async () => {
    // Prepare
    answer({ status: 0, hang: true }, { status: 200, body: 'ok' });
    const { invoke, sleeps } = notifier({ policy: { requestTimeoutMs: 150 } });

    // Act
    const result = await invoke();

    // Assess
    expect(result).toEqual({ posted: 1, refused: 0 });
    expect(received).toHaveLength(2);
    expect(sleeps).toEqual([100]);
    expect(logLines()).toContainEqual(expect.objectContaining({ level: 'WARN', problem: expect.stringMatching(/^TimeoutError/) }));
  });

  it('retries when nothing listens, and says so without the URL', async () => {
    // Prepare: a port on loopback that was just freed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${freePort}/services/T000/B000/${TOKEN}`;
    const { invoke } = notifier({ webhook: { get: async () => url }, policy: { maxAttempts: 2 } });

    // Act
    const error = await failure(invoke());

    // Assess
    expect(error).toBeInstanceOf(SlackDeliveryFailed);
    expect(error.message).toMatch(/after 2 attempt\(s\) \(last: TypeError: fetch failed <- ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
    expect(error.message).not.toContain(TOKEN);
    expect(error.stack).not.toContain(TOKEN);
  });

  it.each([
    ['not a URL', `not a url ${TOKEN}`, 'The Slack webhook parameter does not hold a URL'],
    ['plain HTTP to another host', `http://hooks.slack.example/services/T000/B000/${TOKEN}`, 'The Slack webhook URL must use https (it uses http)'],
  ])('refuses a webhook that is %s without repeating it', async (_, url, message) => {
    // Act
    const error = await failure(notifier({ webhook: { get: async () => url } }).invoke());

    // Assess
    expect(error).toBeInstanceOf(SlackWebhookInvalid);
    expect(error.message).toBe(message);
    expect(received).toHaveLength(0);
  });

  it('posts a message that is not ours as it came', async () => {
    // Prepare
    const event = snsEvent();
    event.Records[0]!.Sns.Message = 'Someone published this by hand';
    event.Records[0]!.Sns.Subject = 'Hello';

    // Act
    const result = await notifier().invoke(event);

    // Assess
    expect(result).toEqual({ posted: 1, refused: 0 });
    expect(JSON.parse(received[0]!.body)).toMatchObject({ text: ':envelope: Hello' });
  });

  describe('the webhook URL in SSM', () => {
    it('is read once, decrypted, across two invocations of the same Lambda', async () => {
      // Prepare
      const { invoke } = notifier();

      // Act
      await invoke();
      await invoke();

      // Assess
      expect(received).toHaveLength(2);
      const reads = ssmMock.commandCalls(GetParameterCommand);
      expect(reads).toHaveLength(1);
      expect(reads[0]!.args[0].input).toEqual({ Name: PARAMETER, WithDecryption: true });
    });

    it('fails the invocation naming the parameter when SSM cannot give it, and reads again next time', async () => {
      // Prepare
      ssmMock.on(GetParameterCommand).rejectsOnce(new ParameterNotFound({ message: 'not found', $metadata: {} })).callsFake(() => ({
        Parameter: { Name: PARAMETER, Type: 'SecureString', Value: webhookUrl() },
      }));
      const { invoke } = notifier();

      // Act
      const error = await failure(invoke());
      const retried = await invoke();

      // Assess
      expect(error).toBeInstanceOf(SecretUnavailable);
      expect(error.message).toBe(`SSM GetParameter ${PARAMETER} failed: ParameterNotFound`);
      expect(retried).toEqual({ posted: 1, refused: 0 });
      expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
    });

    it('refuses a parameter that is not a SecureString, without repeating its value', async () => {
      // Prepare
      ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Type: 'String', Value: webhookUrl() } });

      // Act
      const error = await failure(notifier().invoke());

      // Assess
      expect(error).toBeInstanceOf(SecretUnavailable);
      expect(error.message).toBe(`SSM parameter ${PARAMETER} is a String; store the secret as a SecureString`);
      expect(received).toHaveLength(0);
    });
  });

  it('keeps the webhook URL out of every log line and error, whatever Slack answers', async () => {
    // Prepare: every kind of answer in one run, with the most verbose logging.
    const errors: Error[] = [];
    const cases: ScriptedAnswer[][] = [
      [{ status: 200, body: 'ok' }],
      [{ status: 429, body: `rate_limited ${webhookUrl()}`, headers: { 'retry-after': '1' } }, { status: 200 }],
      [{ status: 500, body: `error at /services/T000/B000/${TOKEN}` }],
      [{ status: 400, body: `invalid_payload for ${TOKEN}` }],
      [{ status: 403, body: `invalid_token ${TOKEN}` }],
    ];

    // Act
    for (const answers of cases) {
      answer(...answers);
      await notifier()
        .invoke()
        .catch((error: Error) => errors.push(error));
    }

    // Assess: Slack echoing the URL or token is redacted too (afterEach checks the logs once more).
    expect(errors.map((error) => error.name)).toEqual(['SlackDeliveryFailed', 'SlackWebhookRejected']);
    for (const error of errors) {
      expect(`${error.message}\n${error.stack}`).not.toContain(TOKEN);
    }
    expect(logLines().length).toBeGreaterThanOrEqual(cases.length);
    expect(output.join('')).toContain('[webhook]');
  });
});
