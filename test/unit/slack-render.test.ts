import { describe, expect, it } from 'vitest';
import { renderNotification, type NotificationRecord } from '../../shared/notify/record.ts';
import {
  FOREIGN_STYLE,
  parseNotificationRecord,
  renderSlackMessage,
  slackMessageFor,
  slackMessagePreview,
  STATUS_STYLE,
  type SlackBlock,
  type SlackMessage,
} from '../../shared/notify/slack/render.ts';
import { parseRetryAfter } from '../../shared/notify/slack/post.ts';
import { redact } from '../../shared/notify/slack/redact.ts';
import { EXPORT_STATUSES, type ExportStatus } from '../../shared/export-kinds/status.ts';

// The Slack message people read: Block Kit in a coloured attachment, rendered from our record.

const SNAPSHOT_ARN = 'arn:aws:rds:eu-west-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10';
const S3_URI = 's3://example-exports/rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/';
const CONSOLE_LINK =
  'https://eu-west-1.console.aws.amazon.com/s3/buckets/example-exports?prefix=rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/';

function record(status: ExportStatus, overrides: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    status,
    sourceArn: SNAPSHOT_ARN,
    sourceType: 'SNAPSHOT',
    exportId: 'rds-prod-db-2026-11-23-03-10-c2865e44c1',
    percent: status === 'COMPLETE' ? 100 : 52,
    s3Uri: S3_URI,
    elapsedSeconds: 7330,
    ...(status === 'COMPLETE' ? { extractedDataGb: 42 } : {}),
    ...(status === 'FAILED' ? { failureCause: 'The S3 bucket example-exports does not exist.' } : {}),
    at: '2026-11-23T05:17:10.000Z',
    ...overrides,
  };
}

function blocks(message: SlackMessage): SlackBlock[] {
  return message.attachments[0]!.blocks;
}

/** Every piece of text in the message, for "does it say X" questions. */
function allText(message: SlackMessage): string {
  return JSON.stringify(message);
}

const EXPECTED_STYLE: Record<ExportStatus, [emoji: string, color: string]> = {
  STARTING: [':hourglass_flowing_sand:', '#439FE0'],
  IN_PROGRESS: [':arrows_counterclockwise:', '#439FE0'],
  COMPLETE: [':white_check_mark:', '#2EB67D'],
  FAILED: [':x:', '#E01E5A'],
  CANCELING: [':octagonal_sign:', '#ECB22E'],
  CANCELED: [':no_entry_sign:', '#ECB22E'],
  TIMED_OUT: [':alarm_clock:', '#E01E5A'],
};

describe('renderSlackMessage', () => {
  describe.each(EXPORT_STATUSES)('for %s', (status) => {
    // Prepare + Act
    const message = renderSlackMessage(record(status));
    const [emoji, color] = EXPECTED_STYLE[status];

    it(`shows ${EXPECTED_STYLE[status][0]} and the colour ${EXPECTED_STYLE[status][1]}`, () => {
      expect(STATUS_STYLE[status]).toEqual({ emoji, color });
      expect(message.attachments).toHaveLength(1);
      expect(message.attachments[0]!.color).toBe(color);
      expect(blocks(message)[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: `${emoji} Export ${status}`, emoji: true } });
    });

    it('has notification text that says what and how it went', () => {
      expect(message.text).toBe(`${emoji} Export ${status}: DB snapshot rds:prod-db-2026-11-23-03-10`);
    });

    it('names the source, progress, duration and links the S3 folder in the console', () => {
      const text = allText(message);
      expect(blocks(message)[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*DB snapshot* `rds:prod-db-2026-11-23-03-10`' } });
      expect(text).toContain(`*Status*\\n${status}`);
      expect(text).toContain(`*Progress*\\n`);
      expect(text).toContain('*Elapsed*\\n2h 2m 10s');
      expect(text).toContain(`<${CONSOLE_LINK}|${S3_URI}>`);
      expect(text).toContain(SNAPSHOT_ARN);
    });

    it('keeps within Block Kit limits (header 150, section 3000, field 2000, at most 10 fields)', () => {
      for (const block of blocks(message)) {
        if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(150);
        if (block.type === 'section' && 'fields' in block) {
          expect(block.fields.length).toBeLessThanOrEqual(10);
          for (const field of block.fields) expect(field.text.length).toBeLessThanOrEqual(2000);
        }
        if (block.type === 'section' && 'text' in block) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      }
    });
  });

  it('reads as reviewed for a completed export', () => {
    expect(renderSlackMessage(record('COMPLETE'))).toMatchInlineSnapshot(`
      {
        "attachments": [
          {
            "blocks": [
              {
                "text": {
                  "emoji": true,
                  "text": ":white_check_mark: Export COMPLETE",
                  "type": "plain_text",
                },
                "type": "header",
              },
              {
                "text": {
                  "text": "*DB snapshot* \`rds:prod-db-2026-11-23-03-10\`",
                  "type": "mrkdwn",
                },
                "type": "section",
              },
              {
                "fields": [
                  {
                    "text": "*Status*
      COMPLETE",
                    "type": "mrkdwn",
                  },
                  {
                    "text": "*Progress*
      \`██████████\` 100%",
                    "type": "mrkdwn",
                  },
                  {
                    "text": "*Elapsed*
      2h 2m 10s",
                    "type": "mrkdwn",
                  },
                  {
                    "text": "*Data size*
      42 GB",
                    "type": "mrkdwn",
                  },
                  {
                    "text": "*Export ID*
      \`rds-prod-db-2026-11-23-03-10-c2865e44c1\`",
                    "type": "mrkdwn",
                  },
                ],
                "type": "section",
              },
              {
                "text": {
                  "text": "*S3 location*
      <https://eu-west-1.console.aws.amazon.com/s3/buckets/example-exports?prefix=rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/|s3://example-exports/rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/>",
                  "type": "mrkdwn",
                },
                "type": "section",
              },
              {
                "elements": [
                  {
                    "text": "arn:aws:rds:eu-west-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10 · <!date^1795411030^{date_short_pretty} {time_secs}|2026-11-23T05:17:10.000Z>",
                    "type": "mrkdwn",
                  },
                ],
                "type": "context",
              },
            ],
            "color": "#2EB67D",
          },
        ],
        "text": ":white_check_mark: Export COMPLETE: DB snapshot rds:prod-db-2026-11-23-03-10",
      }
    `);
  });

  it('gives the cause as a quote and what to try when the export failed', () => {
    // Act
    const message = renderSlackMessage(record('FAILED'));

    // Assess
    expect(blocks(message)).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Cause*\n>The S3 bucket example-exports does not exist.' } });
    expect(blocks(message)).toContainEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*What to try*\nCheck that the bucket exists in this region and the export role can write to it.' },
    });
  });

  it('gives the caught error of a failed step as the cause', () => {
    const message = renderSlackMessage({ status: 'FAILED', sourceArn: SNAPSHOT_ARN, sourceType: 'SNAPSHOT', error: { name: 'ExportServiceError', message: 'AccessDenied' }, at: '2026-11-23T05:17:10.000Z' });
    expect(allText(message)).toContain('*Cause*\\n>ExportServiceError: AccessDenied');
    expect(allText(message)).toContain('*What to try*\\nCheck the export role');
  });

  it.each(['STARTING', 'IN_PROGRESS', 'COMPLETE', 'CANCELING'] as const)('has no cause and no advice for %s', (status) => {
    expect(allText(renderSlackMessage(record(status)))).not.toMatch(/\*(Cause|What to try)\*/);
  });

  it('escapes markup in what RDS or an error says, so it cannot become a link or a mention', () => {
    // Act
    const message = renderSlackMessage(record('FAILED', { failureCause: 'bad <!channel> & <https://evil.example|click>' }));

    // Assess
    expect(allText(message)).toContain('>bad &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(allText(message)).not.toContain('<!channel>');
  });

  it('quotes each line of a multi-line cause', () => {
    const message = renderSlackMessage(record('FAILED', { failureCause: 'line one\nline two' }));
    expect(blocks(message)).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Cause*\n>line one\n>line two' } });
  });

  it('cuts a huge cause to fit a section, without leaving half an escape behind', () => {
    // Act
    const message = renderSlackMessage(record('FAILED', { failureCause: '&'.repeat(5000) }));

    // Assess
    const cause = blocks(message).find((block) => block.type === 'section' && 'text' in block && block.text.text.startsWith('*Cause*'));
    const text = (cause as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/(&amp;)+…$/);
  });

  it('shows the S3 location as code when there is no console link (another partition)', () => {
    const message = renderSlackMessage(record('COMPLETE', { sourceArn: 'arn:aws-cn:rds:cn-north-1:123456789012:snapshot:db', s3Uri: 's3://b/x/' }));
    expect(allText(message)).toContain('*S3 location*\\n`s3://b/x/`');
    expect(allText(message)).not.toContain('console.aws.amazon.com');
  });

  it('leaves out what the record does not have', () => {
    // Prepare: a failure before the request was built has no export id, progress or location.
    const message = renderSlackMessage({ status: 'FAILED', sourceArn: 'garbage', sourceType: 'UNKNOWN', error: { name: 'InvalidExportRequest', message: 'x' }, at: 'not a date' });

    // Assess
    const text = allText(message);
    expect(text).not.toMatch(/\*(Progress|Elapsed|Data size|Export ID|S3 location)\*/);
    expect(text).toContain('garbage · not a date');
    expect(message.text).toBe(':x: Export FAILED: source garbage');
  });

  it('previews as readable lines for the terminal: links by their label, dates by their text', () => {
    expect(slackMessagePreview(renderSlackMessage(record('FAILED')))).toEqual([
      '[#E01E5A]',
      '*:x: Export FAILED*',
      '*DB snapshot* `rds:prod-db-2026-11-23-03-10`',
      '*Status* FAILED  |  *Progress* `█████░░░░░` 52%  |  *Elapsed* 2h 2m 10s  |  *Export ID* `rds-prod-db-2026-11-23-03-10-c2865e44c1`',
      '*S3 location*',
      `${S3_URI} ↗`,
      '*Cause*',
      '>The S3 bucket example-exports does not exist.',
      '*What to try*',
      'Check that the bucket exists in this region and the export role can write to it.',
      `${SNAPSHOT_ARN} · 2026-11-23T05:17:10.000Z`,
    ]);
  });
});

describe('slackMessageFor (one SNS message)', () => {
  it('finds our record on the last line of the email body and renders it', () => {
    // Prepare: the message exactly as the notify step publishes it.
    const published = renderNotification(record('COMPLETE'));

    // Act
    const { message, record: parsed } = slackMessageFor({ Subject: published.subject, Message: published.body });

    // Assess
    expect(parsed).toEqual(record('COMPLETE'));
    expect(message).toEqual(renderSlackMessage(record('COMPLETE')));
  });

  it('posts any other message as it came, in grey, under its subject', () => {
    // Act
    const { message, record: parsed } = slackMessageFor({ Subject: 'ALARM: "queue depth"', Message: 'Threshold crossed: 1 datapoint > 0' });

    // Assess
    expect(parsed).toBeUndefined();
    expect(message.attachments[0]!.color).toBe(FOREIGN_STYLE.color);
    expect(message.text).toBe(':envelope: ALARM: "queue depth"');
    expect(blocks(message)[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'Threshold crossed: 1 datapoint &gt; 0' } });
  });

  it('gives a foreign message without a subject a title of its own', () => {
    expect(slackMessageFor({ Subject: null, Message: '' }).message.text).toBe(':envelope: Message on the export notifications topic');
  });
});

describe('parseNotificationRecord', () => {
  it.each([
    ['plain text', 'hello'],
    ['JSON that is not a record', 'text\n{"status":"DONE","sourceArn":"x","sourceType":"y","at":"z"}'],
    ['a record with a field of the wrong type', 'text\n{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z","percent":"ten"}'],
    ['JSON on an earlier line only', '{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z"}\nthanks'],
    ['a record without its time', 'text\n{"status":"FAILED","sourceArn":"x","sourceType":"y"}'],
    ['a JSON array', 'text\n[{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z"}]'],
    ['a record with a null optional field', 'text\n{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z","exportId":null}'],
    ['a record whose error has no message', 'text\n{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z","error":{"name":"E"}}'],
    ['a record with a notice we never send', 'text\n{"status":"FAILED","sourceArn":"x","sourceType":"y","at":"z","notice":"LUNCH"}'],
    ['a record whose verification has no warnings', 'text\n{"status":"COMPLETE","sourceArn":"x","sourceType":"y","at":"z","verification":{}}'],
  ])('finds no record in %s', (_, message) => {
    expect(parseNotificationRecord(message)).toBeUndefined();
  });

  it('tolerates trailing whitespace after the record, and fields it does not know', () => {
    const parsed = parseNotificationRecord('x\n{"status":"FAILED","sourceArn":"a","sourceType":"b","at":"c","future":1}\n\n');
    expect(parsed).toEqual({ status: 'FAILED', sourceArn: 'a', sourceType: 'b', at: 'c' });
  });

  it('reads back every field of the record the notify step publishes, and only those', () => {
    // Prepare
    const published = record('FAILED', {
      account: '123456789012',
      region: 'eu-west-1',
      warning: 'partial data left in S3',
      error: { name: 'ExportFailed', message: 'the bucket is gone' },
      taskId: 'export-ami-0123456789abcdef0',
      notice: 'CANCEL_STUCK',
      extractedDataGb: 3,
      verification: { warnings: ['2 tables failed'] } as unknown as NotificationRecord['verification'],
    });
    const { body } = renderNotification(published);
    const withExtraErrorField = body.replace('"message":"the bucket is gone"', '"message":"the bucket is gone","stack":"at x"');

    // Act
    const parsed = parseNotificationRecord(withExtraErrorField);

    // Assess
    expect(withExtraErrorField).not.toBe(body);
    expect(parsed).toEqual(published);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T05:17:10Z');
  it.each([
    ['seconds', '3', 3000],
    ['an HTTP date', 'Mon, 23 Nov 2026 05:17:40 GMT', 30_000],
    ['a date already past', 'Mon, 23 Nov 2026 05:00:00 GMT', 0],
    ['nothing', null, undefined],
    ['nonsense', 'soon', undefined],
  ])('reads %s', (_, header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});

describe('redact', () => {
  const url = 'https://hooks.slack.com/services/T0ABCDEF12/B0ABCDEF34/abcdefghijklmnopqrstuvwx';
  it.each([
    ['the whole URL', `failed to post to ${url}`, 'failed to post to [webhook]'],
    ['the URL without its scheme', 'connect hooks.slack.com/services/T0ABCDEF12/B0ABCDEF34/abcdefghijklmnopqrstuvwx', 'connect [webhook]'],
    ['the path', 'POST /services/T0ABCDEF12/B0ABCDEF34/abcdefghijklmnopqrstuvwx 500', 'POST [webhook] 500'],
    ['the token alone', 'token abcdefghijklmnopqrstuvwx is invalid', 'token [webhook] is invalid'],
    ['the URL encoded', encodeURIComponent(url), '[webhook]'],
  ])('hides %s', (_, text, expected) => {
    expect(redact(text, url)).toBe(expected);
  });

  it('leaves text without the URL as it is', () => {
    expect(redact('connect ECONNREFUSED hooks.slack.com:443 (services)', url)).toBe('connect ECONNREFUSED hooks.slack.com:443 (services)');
  });
});
