import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  recordForFailure,
  recordForState,
  renderNotification,
  SUBJECT_LIMIT,
  type FailedStepInput,
  type NotificationRecord,
} from '../../shared/notify/record.ts';
import type { RdsRequest } from '../../shared/export-kinds/rds/request.ts';
import { EXPORT_STATUSES, type ExportStatus } from '../../shared/export-kinds/status.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';

const ACCOUNT = '123456789012';
const NOW = new Date('2026-03-04T06:08:12.000Z');

function request(name = 'orders-db-final', overrides: Partial<RdsRequest> = {}): RdsRequest {
  return {
    source: { arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:${name}`, type: 'SNAPSHOT', region: 'us-east-1', account: ACCOUNT, name },
    exportId: 'orders-db-final-0123456789',
    s3Bucket: 'export-bucket',
    s3Prefix: 'orders-db-final/2026-03-04',
    iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
    kmsKeyId: 'alias/rds-export',
    requestedAt: '2026-03-04T05:06:07.000Z',
    deadline: '2026-03-05T05:06:07.000Z',
    ...overrides,
  };
}

function state(status: ExportStatus, overrides: Partial<ExportState> = {}): ExportState {
  return {
    request: request(),
    status,
    percent: status === 'COMPLETE' ? 100 : 42,
    notifiedStatus: 'NONE',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 60,
    exportStartedAt: '2026-03-04T05:06:07.000Z',
    adopted: false,
    polls: 3,
    bounds: { minSeconds: 60, maxSeconds: 3600 },
    wakeByEvent: false,
    cancelBackoff: false,
    ...overrides,
  };
}

function lastLine(text: string): string {
  return text.split('\n').at(-1)!;
}

describe('renderNotification', () => {
  describe.each(EXPORT_STATUSES)('for %s', (status) => {
    const notification = renderNotification(recordForState(state(status), NOW));

    it('has a short single-line ASCII subject that starts with the status', () => {
      expect(notification.subject.length).toBeLessThanOrEqual(SUBJECT_LIMIT);
      expect(notification.subject).toMatch(/^[\x20-\x7e]+$/);
      expect(notification.subject).not.toContain('\n');
      expect(notification.subject.startsWith(`Export ${status}`)).toBe(true);
    });

    it('names the source, export id, status and S3 location in the body', () => {
      expect(notification.body).toContain(`arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders-db-final`);
      expect(notification.body).toContain('orders-db-final-0123456789');
      expect(notification.body).toContain(`Status:      ${status}`);
      expect(notification.body).toContain('s3://export-bucket/orders-db-final/2026-03-04/orders-db-final-0123456789/');
    });

    it('carries the status and source type as message attributes', () => {
      expect(notification.attributes).toEqual({ status, sourceType: 'SNAPSHOT', account: ACCOUNT, region: 'us-east-1' });
    });
  });

  it('cuts the subject of a very long snapshot name to 100 characters', () => {
    const name = `orders-${'x'.repeat(248)}`;
    const { subject } = renderNotification(recordForState(state('COMPLETE', { request: request(name) }), NOW));
    expect(subject).toHaveLength(100);
    expect(subject.startsWith('Export COMPLETE')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('keeps the subject ASCII and on one line for non-ASCII and multi-line names', () => {
    const { subject } = renderNotification({ status: 'FAILED', sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:snäp\nshot-日本`, sourceType: 'SNAPSHOT', at: NOW.toISOString() });
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThanOrEqual(100);
  });

  it('puts the record as JSON on the last line of the body', () => {
    const record = recordForState(state('IN_PROGRESS', { warning: 'some tables skipped', extractedDataGb: 12.5 }), NOW);
    const { body } = renderNotification(record);
    expect(JSON.parse(lastLine(body))).toEqual(record);
  });

  it('gives the location without a prefix when the prefix is empty', () => {
    const record = recordForState(state('COMPLETE', { request: request('orders-db-final', { s3Prefix: '' }) }), NOW);
    expect(record.s3Uri).toBe('s3://export-bucket/orders-db-final-0123456789/');
  });

  it('gives the time since the request in the record and the body', () => {
    const record = recordForState(state('COMPLETE'), NOW);
    expect(record.elapsedSeconds).toBe(3725);
    expect(renderNotification(record).body).toContain('1h 2m 5s');
  });

  it('gives the cause of a failed export and advice', () => {
    const record = recordForState(state('FAILED', { failureCause: 'The S3 bucket export-bucket does not exist.' }), NOW);
    const { body } = renderNotification(record);
    expect(body).toContain('Cause:       The S3 bucket export-bucket does not exist.');
    expect(body).toMatch(/What to try: .*bucket/);
  });

  it('advises raising the deadline when the export timed out', () => {
    expect(renderNotification(recordForState(state('TIMED_OUT'), NOW)).body).toMatch(/What to try: .*deadlineSeconds/);
  });

  it('gives no advice when the export completed', () => {
    expect(renderNotification(recordForState(state('COMPLETE'), NOW)).body).not.toContain('What to try');
  });
});

describe('recordForFailure', () => {
  const lambdaCause = JSON.stringify({
    errorType: 'ExportServiceError',
    errorMessage: 'StartExportTask failed: DBSnapshotNotFoundFault: DBSnapshot orders-db-final not found.',
    trace: ['ExportServiceError: StartExportTask failed', '    at RdsExportProvider.start'],
  });

  it('reads the message out of a Lambda error cause', () => {
    const failed: FailedStepInput = { ...state('IN_PROGRESS'), error: { Error: 'ExportServiceError', Cause: lambdaCause } };
    const record = recordForFailure(failed, NOW);
    expect(record).toMatchObject({
      status: 'FAILED',
      sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders-db-final`,
      sourceType: 'SNAPSHOT',
      exportId: 'orders-db-final-0123456789',
      elapsedSeconds: 3725,
      error: { name: 'ExportServiceError', message: 'StartExportTask failed: DBSnapshotNotFoundFault: DBSnapshot orders-db-final not found.' },
    });
  });

  it('names the error and gives its message and advice in the body', () => {
    const { subject, body } = renderNotification(recordForFailure({ ...state('IN_PROGRESS'), error: { Error: 'ExportServiceError', Cause: lambdaCause } }, NOW));
    expect(subject.startsWith('Export FAILED')).toBe(true);
    expect(body).toContain('Cause:       ExportServiceError: StartExportTask failed: DBSnapshotNotFoundFault');
    expect(body).toMatch(/What to try: Check that the snapshot or cluster exists/);
    expect(body).not.toContain('"trace"');
  });

  it('takes a plain-text cause as the message', () => {
    const record = recordForFailure({ sourceArn: 'garbage', error: { Error: 'InvalidExportRequest', Cause: 'Invalid export request: sourceArn "garbage" is not an RDS ARN' } }, NOW);
    expect(record.error).toEqual({ name: 'InvalidExportRequest', message: 'Invalid export request: sourceArn "garbage" is not an RDS ARN' });
    expect(renderNotification(record).body).toMatch(/What to try: Correct the execution input/);
  });

  it.each([
    ['JSON without errorMessage', '{"detail":"x"}', '{"detail":"x"}'],
    ['a JSON string', '"just text"', '"just text"'],
    ['JSON null', 'null', 'null'],
    ['no cause', undefined, 'no cause given'],
  ])('keeps %s readable', (_, cause, message) => {
    const record = recordForFailure({ sourceArn: 'x', error: { Error: 'States.TaskFailed', ...(cause === undefined ? {} : { Cause: cause }) } }, NOW);
    expect(record.error?.message).toBe(message);
  });

  it('finds the source in the raw execution input when the request was never built', () => {
    const arn = `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders`;
    expect(recordForFailure({ sourceArn: arn, s3Bucket: 'Bad', error: { Error: 'InvalidExportRequest' } }, NOW)).toMatchObject({ sourceArn: arn, sourceType: 'UNKNOWN' });
    expect(recordForFailure({ input: { sourceArn: arn }, error: { Error: 'States.Timeout' } }, NOW).sourceArn).toBe(arn);
    expect(recordForFailure({ sourceArn: 42, error: { Error: 'InvalidExportRequest' } }, NOW).sourceArn).toBe('unknown source');
  });

  it('renders a failure of an unknown source with a valid subject and a parsable record', () => {
    const record: NotificationRecord = recordForFailure({ error: { Error: 'InvalidExportRequest', Cause: 'input must be a JSON object' } }, NOW);
    const notification = renderNotification(record);
    expect(notification.subject).toMatch(/^Export FAILED/);
    expect(notification.attributes).toEqual({ status: 'FAILED', sourceType: 'UNKNOWN' });
    expect(JSON.parse(lastLine(notification.body))).toEqual(record);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.6, '1m 0s'],
    [125, '2m 5s'],
    [3725, '1h 2m 5s'],
    [-4, '0s'],
  ])('writes %d s as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
