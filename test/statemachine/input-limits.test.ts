import { describe, expect, it } from 'vitest';
import type { EventLog } from '../../local/step-functions-simulator.ts';
import { parseScenario, runScenario, type ScenarioResult } from '../../local/scenario.ts';
import type { PublishedMessage } from '../../local/sns-recorder.ts';
import { INPUT_LIMITS, utf8Bytes } from '../../shared/export-kinds/input-limits.ts';
import { slackMessageFor } from '../../shared/notify/slack/render.ts';

// Whatever the input, no state, task output, execution output, SNS message or Slack post reaches
// the 256 KB that Step Functions and SNS allow (past it Step Functions fails the execution with
// States.DataLimitExceeded, which no Catch on States.ALL sees, so nothing would be notified). The
// real definition runs on aws-local-stepfunctions with the real handlers; every state's input and
// output and every published message is measured.

const LIMIT = 256 * 1024;

interface Measured {
  result: ScenarioResult;
  largestState: { bytes: number; state: string };
  messages: PublishedMessage[];
  largestSlackPost: number;
}

async function runMeasured(input: Record<string, unknown>): Promise<Measured> {
  const largestState = { bytes: 0, state: '' };
  const messages: PublishedMessage[] = [];
  // What the workflow makes of the input: every state's output, and every state's input but the
  // first one's (that is the execution input itself, which StartExecution bounds at 256 KB).
  const measure = (event: EventLog) => {
    if (event.type !== 'StateEntered' && event.type !== 'StateExited') return;
    const values = event.type === 'StateExited' ? [event.state.output] : event.state.name === 'AdmitExport' ? [] : [event.state.input];
    for (const value of values) {
      const bytes = value === undefined ? 0 : utf8Bytes(JSON.stringify(value));
      if (bytes > largestState.bytes) Object.assign(largestState, { bytes, state: `${event.type} ${event.state.name}` });
    }
  };
  const result = await runScenario(parseScenario({ input }), { onEvent: measure, onPublish: (message) => messages.push(message) });
  const largestSlackPost = Math.max(0, ...messages.map((m) => utf8Bytes(JSON.stringify(slackMessageFor({ Subject: m.subject, Message: m.message }).message))));
  return { result, largestState, messages, largestSlackPost };
}

function expectAllUnderLimit({ result, largestState, messages, largestSlackPost }: Measured): void {
  expect(largestState.bytes, `largest state: ${largestState.state}`).toBeLessThan(LIMIT);
  for (const message of messages) expect(utf8Bytes(message.message) + utf8Bytes(message.subject)).toBeLessThan(LIMIT);
  expect(largestSlackPost).toBeLessThan(LIMIT);
  expect(utf8Bytes(JSON.stringify(result))).toBeLessThan(LIMIT);
}

/** The input with an unknown field `padding` that brings it to `bytes` in all: with its error beside it, past 256 KB. */
function paddedTo(bytes: number, input: Record<string, unknown>): Record<string, unknown> {
  const padded = { ...input, padding: '' };
  padded.padding = 'x'.repeat(bytes - utf8Bytes(JSON.stringify(padded)));
  return padded;
}

const OVERSIZED: Array<[string, Record<string, unknown>, RegExp]> = [
  ['a 70 KB s3Prefix', { s3Prefix: 'p'.repeat(70 * 1024) }, /s3Prefix "p+…" is 71,680 UTF-8 bytes: use at most 1,024/],
  ['a 140 KB bucket name', { s3Bucket: 'b'.repeat(140 * 1024) }, /s3Bucket "b+…" is 143,360 characters: use 3–63/],
  ['10,000 exportOnly entries', { exportOnly: Array.from({ length: 10_000 }, (_, i) => `database_${i}`) }, /exportOnly has 10,000 entries: RDS takes at most 200/],
  [
    'all three, and 1,000 unknown fields, in one input 256 bytes short of the 256 KB StartExecution allows',
    paddedTo(INPUT_LIMITS.executionInput.max - 256, {
      s3Prefix: 'p'.repeat(70 * 1024),
      s3Bucket: 'b'.repeat(60 * 1024),
      exportOnly: Array.from({ length: 10_000 }, (_, i) => `db${i}`),
      ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`unknownField${i}`, i])),
    }),
    /unknown field\(s\) "unknownField0", .* and 996 more/,
  ],
];

describe('oversized inputs through the real state machine', () => {
  it.each(OVERSIZED)('%s ends in a named error, notified, every state and message under 256 KB', async (_, input, problem) => {
    // Prepare
    expect(utf8Bytes(JSON.stringify(input))).toBeLessThan(INPUT_LIMITS.executionInput.max);

    // Act
    const measured = await runMeasured(input);

    // Assess: refused before anything is queued or started, with a clear named error...
    const { result, messages } = measured;
    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('InvalidExportRequest');
    expect(result.cause).toMatch(problem);
    expect(result.exports).toEqual([]);
    // ...notified once, the cause clipped but telling...
    expect(result.notifications.map((n) => n.status)).toEqual(['FAILED']);
    expect(messages[0]!.message).toMatch(problem);
    expect(messages[0]!.message).toMatch(/What to try: Correct the execution input as the cause says/);
    // ...and nothing anywhere near 256 KB.
    expectAllUnderLimit(measured);
    expect(measured.largestState.bytes, measured.largestState.state).toBeLessThan(16 * 1024);
  });

  it('a request with every field at its maximum exports, every state and message under 256 KB', async () => {
    // Prepare: 200 exportOnly entries of three 64-character names, a 1,024-byte prefix, a 63-character bucket.
    const name = (c: string, i: number) => `${c}${String(i).padStart(63, '0')}`;
    const input = {
      s3Bucket: `b${'x'.repeat(61)}b`,
      s3Prefix: `${'€'.repeat(300)}/${'p'.repeat(100)}/{date}`.slice(0, 1024),
      exportOnly: Array.from({ length: INPUT_LIMITS.exportOnly.max }, (_, i) => [name('d', i), name('s', i), name('t', i)].join('.')),
    };

    // Act
    const measured = await runMeasured(input);

    // Assess
    expect(measured.result.executionStatus).toBe('SUCCEEDED');
    expect(measured.result.exports.map((e) => e.status)).toEqual(['COMPLETE']);
    expectAllUnderLimit(measured);
  });
});
