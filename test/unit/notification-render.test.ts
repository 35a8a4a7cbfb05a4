import { describe, expect, it } from 'vitest';
import { recordForFailure, recordForState, renderNotification, s3ConsoleUrl, SUBJECT_LIMIT, type NotificationRecord } from '../../shared/notify/record.ts';
import { renderSlackMessage } from '../../shared/notify/slack/render.ts';
import { EXPORT_STATUSES, type ExportStatus } from '../../shared/export-kinds/status.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

// The email people read: what SNS sends to every email subscription, rendered from one record.

const ACCOUNT = '123456789012';
const SNAPSHOT_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:rds:prod-db-2026-11-23-03-10`;
const NOW = new Date('2026-11-23T05:17:10.000Z');

function state(status: ExportStatus, overrides: Partial<ExportState> = {}): ExportState {
  // Asserted rather than annotated: the state gains fields other steps need that a notification never reads.
  return {
    request: {
      source: { arn: SNAPSHOT_ARN, type: 'SNAPSHOT', region: 'eu-west-1', account: ACCOUNT, name: 'rds:prod-db-2026-11-23-03-10' },
      exportId: 'rds-prod-db-2026-11-23-03-10-c2865e44c1',
      s3Bucket: 'example-exports',
      s3Prefix: 'rds-prod-db-2026-11-23-03-10/2026-11-23',
      iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/export`,
      kmsKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      requestedAt: '2026-11-23T03:15:00.000Z',
      deadline: '2026-11-24T03:15:00.000Z',
    },
    status,
    percent: status === 'COMPLETE' ? 100 : status === 'STARTING' ? 0 : 52,
    notifiedStatus: 'NONE',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 60,
    exportStartedAt: '2026-11-23T03:15:00.000Z',
    adopted: false,
    polls: 4,
    bounds: { minSeconds: 60, maxSeconds: 3600 },
    ...(status === 'COMPLETE' ? { extractedDataGb: 42 } : {}),
    ...(status === 'FAILED' ? { failureCause: 'The S3 bucket example-exports does not exist in eu-west-1.' } : {}),
    ...overrides,
  } as ExportState;
}

const CONSOLE_LINK =
  'https://eu-west-1.console.aws.amazon.com/s3/buckets/example-exports?prefix=rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/';

function bodyLines(body: string): string[] {
  return body.split('\n');
}

describe('the notification email', () => {
  describe.each(EXPORT_STATUSES)('for %s', (status) => {
    // Prepare + Act (shared by the assertions below)
    const notification = renderNotification(recordForState(state(status), NOW));

    it('has a subject SNS accepts: at most 100 printable ASCII characters on one line, saying what and how it ended', () => {
      // Assess
      expect(notification.subject.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
      expect(notification.subject).toMatch(/^[\x20-\x7e]+$/);
      expect(notification.subject).not.toMatch(/[\r\n]/);
      expect(notification.subject).toBe(`Export ${status}: DB snapshot rds:prod-db-2026-11-23-03-10`);
    });

    it('gives the source, export id, status with progress, elapsed time, s3:// URI and S3 console link', () => {
      // Assess
      const lines = bodyLines(notification.body);
      expect(lines).toContain(`Source:      ${SNAPSHOT_ARN}`);
      expect(lines).toContain('Export ID:   rds-prod-db-2026-11-23-03-10-c2865e44c1');
      expect(lines).toContain(`Status:      ${status} (${state(status).percent}%)`);
      expect(lines).toContain('Elapsed:     2h 2m 10s');
      expect(lines).toContain('S3 location: s3://example-exports/rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/');
      expect(lines).toContain(`S3 console:  ${CONSOLE_LINK}`);
    });

    it('ends with the record as JSON on the last line', () => {
      // Assess
      expect(JSON.parse(bodyLines(notification.body).at(-1)!)).toEqual(notification.record);
      expect(notification.record.status).toBe(status);
    });
  });

  it('reads in full as reviewed, for a completed export', () => {
    // Act
    const { body } = renderNotification(recordForState(state('COMPLETE'), NOW));

    // Assess
    expect(body).toMatchInlineSnapshot(`
      "Export COMPLETE: DB snapshot rds:prod-db-2026-11-23-03-10

      Source:      arn:aws:rds:eu-west-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10
      Kind:        DB snapshot
      Account:     123456789012 (eu-west-1)
      Export ID:   rds-prod-db-2026-11-23-03-10-c2865e44c1
      Status:      COMPLETE (100%)
      S3 location: s3://example-exports/rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/
      S3 console:  https://eu-west-1.console.aws.amazon.com/s3/buckets/example-exports?prefix=rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/
      Elapsed:     2h 2m 10s
      Data size:   42 GB

      -- record --
      {"status":"COMPLETE","sourceArn":"arn:aws:rds:eu-west-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10","sourceType":"SNAPSHOT","account":"123456789012","region":"eu-west-1","exportId":"rds-prod-db-2026-11-23-03-10-c2865e44c1","percent":100,"s3Uri":"s3://example-exports/rds-prod-db-2026-11-23-03-10/2026-11-23/rds-prod-db-2026-11-23-03-10-c2865e44c1/","elapsedSeconds":7330,"extractedDataGb":42,"at":"2026-11-23T05:17:10.000Z"}"
    `);
  });

  it('gives the cause of a failed export and what to try', () => {
    // Act
    const { body } = renderNotification(recordForState(state('FAILED'), NOW));

    // Assess
    expect(bodyLines(body)).toContain('Cause:       The S3 bucket example-exports does not exist in eu-west-1.');
    expect(bodyLines(body)).toContain('What to try: Check that the bucket exists in this region and the export role can write to it.');
  });

  it('gives the caught error and what to try when a step failed', () => {
    // Prepare
    const record = recordForFailure(
      { ...state('IN_PROGRESS'), error: { Error: 'ExportServiceError', Cause: JSON.stringify({ errorMessage: 'StartExportTask failed: KMSKeyNotAccessibleFault: key disabled' }) } },
      NOW,
    );

    // Act
    const { subject, body } = renderNotification(record);

    // Assess
    expect(subject).toBe('Export FAILED: DB snapshot rds:prod-db-2026-11-23-03-10');
    expect(bodyLines(body)).toContain('Cause:       ExportServiceError: StartExportTask failed: KMSKeyNotAccessibleFault: key disabled');
    expect(body).toMatch(/^What to try: Check the KMS key/m);
  });

  it.each([
    ['TIMED_OUT', /^What to try: The deadline passed.*deadlineSeconds/m],
    ['CANCELED', /^What to try: The export task was canceled before it finished.*export it again with: npx export-orchestrator start --source-arn arn:aws:rds:\S+ --again$/m],
  ] as const)('tells the reader what to try after %s', (status, advice) => {
    expect(renderNotification(recordForState(state(status), NOW)).body).toMatch(advice);
  });

  it.each([
    ['a snapshot: its next attempt', SNAPSHOT_ARN, `export it again with: npx export-orchestrator start --source-arn ${SNAPSHOT_ARN} --again`],
    ['a live cluster: a plain start, its id carrying the minute', `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:prod-aurora`, `export it again with: npx export-orchestrator start --source-arn arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:prod-aurora`],
    ['an EC2 image: a new export', 'arn:aws:ec2:eu-west-1::image/ami-0123456789abcdef0', 'start a new export'],
  ])('tells how to export %s again after AWS kept failing through the retries', (_, sourceArn, command) => {
    // Prepare
    const record: NotificationRecord = { status: 'FAILED', sourceArn, sourceType: 'SNAPSHOT', error: { name: 'TransientAwsError', message: 'DynamoDB: ServiceUnavailable' }, at: NOW.toISOString() };

    // Act
    const lines = bodyLines(renderNotification(record).body);

    // Assess
    expect(lines).toContain(`What to try: An AWS service the workflow needs (DynamoDB, Lambda, RDS) kept failing through the step's retries (hours, for the admission). When it is back, the hourly sweep starts a snapshot it selects again if nothing was exported (within its look-back window); to do it yourself, ${command}`);
  });

  it.each(['STARTING', 'IN_PROGRESS', 'COMPLETE', 'CANCELING'] as const)('gives no cause and no advice for %s', (status) => {
    const { body } = renderNotification(recordForState(state(status), NOW));
    expect(body).not.toMatch(/^(Cause|What to try):/m);
  });

  it('keeps a multi-line cause on its own line of the body', () => {
    // Prepare
    const record = recordForState(state('FAILED', { failureCause: 'Export failed.\nTable orders: access denied\r\n  retry later' }), NOW);

    // Act
    const lines = bodyLines(renderNotification(record).body);

    // Assess
    expect(lines).toContain('Cause:       Export failed. Table orders: access denied retry later');
  });

  it('keeps the subject within 100 ASCII characters for a very long, non-ASCII snapshot name', () => {
    // Prepare
    const arn = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:nächtlich-${'x'.repeat(240)}`;
    const record: NotificationRecord = { status: 'COMPLETE', sourceArn: arn, sourceType: 'SNAPSHOT', at: NOW.toISOString() };

    // Act
    const { subject } = renderNotification(record);

    // Assess
    expect(subject).toHaveLength(SUBJECT_LIMIT);
    expect(subject).toMatch(/^Export COMPLETE: DB snapshot n\?chtlich-x+\.\.\.$/);
  });

  it('names the kind from the ARN when a failed start never typed the source', () => {
    // Prepare: the input was refused, so only the raw sourceArn is known.
    const record = recordForFailure(
      { sourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster-snapshot:nightly`, s3Bucket: 'Bad_Name', error: { Error: 'InvalidExportRequest', Cause: 's3Bucket "Bad_Name" is not a bucket name' } },
      NOW,
    );

    // Act
    const { subject, body } = renderNotification(record);

    // Assess
    expect(subject).toBe('Export FAILED: DB cluster snapshot nightly');
    expect(body).toMatch(/^What to try: Correct the execution input/m);
    expect(body).not.toContain('S3 console');
  });

  describe('S3 console link', () => {
    it('opens the export folder in the region of the source', () => {
      expect(s3ConsoleUrl({ sourceArn: 'arn:aws:rds:ap-southeast-2:123456789012:cluster:prod-aurora', s3Uri: 's3://bucket-1/exports/x-1/' })).toBe(
        'https://ap-southeast-2.console.aws.amazon.com/s3/buckets/bucket-1?prefix=exports/x-1/',
      );
    });

    it('encodes what a query string cannot carry, and keeps the slashes', () => {
      expect(s3ConsoleUrl({ sourceArn: SNAPSHOT_ARN, s3Uri: 's3://bucket-1/a b/c&d=e/x/' })).toBe(
        'https://eu-west-1.console.aws.amazon.com/s3/buckets/bucket-1?prefix=a%20b/c%26d%3De/x/',
      );
    });

    it('ends the prefix with a slash, so the console opens the folder', () => {
      expect(s3ConsoleUrl({ sourceArn: SNAPSHOT_ARN, s3Uri: 's3://bucket-1/x-1' })).toBe('https://eu-west-1.console.aws.amazon.com/s3/buckets/bucket-1?prefix=x-1/');
    });

    it.each([
      ['a China region', 'arn:aws-cn:rds:cn-north-1:123456789012:snapshot:db', 's3://b/x/'],
      ['GovCloud', 'arn:aws-us-gov:rds:us-gov-west-1:123456789012:snapshot:db', 's3://b/x/'],
      ['a source that is not an ARN', 'garbage', 's3://b/x/'],
      ['no S3 location', SNAPSHOT_ARN, undefined],
    ])('gives no link for %s rather than a wrong one', (_, sourceArn, s3Uri) => {
      expect(s3ConsoleUrl({ sourceArn, ...(s3Uri ? { s3Uri } : {}) })).toBeUndefined();
    });
  });
});

describe('the notifications of a member account', () => {
  const MEMBER_SNAPSHOT = 'arn:aws:rds:ap-south-1:210987654321:snapshot:orders-1';

  it('name the account and region in the email, the record, the attributes and Slack', () => {
    // Act
    const { body, attributes, record } = renderNotification(recordForFailure({ sourceArn: MEMBER_SNAPSHOT, error: { Error: 'ExportServiceError', Cause: 'boom' } }, NOW));
    const slack = renderSlackMessage(record);

    // Assess
    expect(bodyLines(body)).toContain('Account:     210987654321 (ap-south-1)');
    expect(record).toMatchObject({ account: '210987654321', region: 'ap-south-1' });
    expect(attributes).toMatchObject({ account: '210987654321', region: 'ap-south-1' });
    expect(JSON.stringify(slack)).toContain('210987654321 (ap-south-1)');
  });

  it('say what to do when the member role cannot be assumed', () => {
    // Act
    const cause = 'Account 210987654321 (ap-south-1): this deployment cannot assume arn:aws:iam::210987654321:role/export-orchestrator-member (AccessDenied: …).';
    const { body } = renderNotification(recordForFailure({ sourceArn: MEMBER_SNAPSHOT, error: { Error: 'MemberAccessDenied', Cause: JSON.stringify({ errorMessage: cause }) } }, NOW));

    // Assess: not the export role's advice (AccessDenied), the member stack's.
    expect(bodyLines(body)).toContain(`Cause:       MemberAccessDenied: ${cause}`);
    expect(bodyLines(body)).toContain(
      `What to try: Deploy the member stack (member/member-account.yml) in account 210987654321, with this deployment's roles and external id (docs/organisation.md), or remove the account from memberAccounts; then export it again with: npx export-orchestrator start --source-arn ${MEMBER_SNAPSHOT} --again. The other accounts are not affected.`,
    );
  });
});
