import { describe, expect, it } from 'vitest';
import { isTransient, toWorkflowError } from '../../shared/runtime/aws-errors.ts';
import { AdsServiceException } from '../../shared/export-kinds/ads/client.ts';
import { ExportServiceError, MemberAccessDenied, TransientAwsError } from '../../shared/runtime/errors.ts';

/** What Node's net/http layers throw: name "Error", the reason in `code`. */
const nodeError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });

describe('isTransient', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'])('takes a network error with code %s as transient', (code) => {
    expect(isTransient(nodeError(code))).toBe(true);
  });

  it('reads the code along the cause chain, as fetch wraps it', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: nodeError('ECONNREFUSED') });

    expect(isTransient(fetchFailed)).toBe(true);
  });

  it.each(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'])('takes the SDK or service timeout %s as transient', (name) => {
    expect(isTransient(Object.assign(new Error('timed out'), { name }))).toBe(true);
  });

  it('takes throttling and 5xx as transient, and an access denial or a plain bug as permanent', () => {
    expect(isTransient(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('oops'), { name: 'InternalFailure', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isTransient(Object.assign(new Error('KMS denied'), { name: 'KMSAccessDeniedException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isTransient(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});

describe('toWorkflowError', () => {
  it('names a network error by its code and makes it a TransientAwsError, so the state machine retries it', () => {
    const error = toWorkflowError('SNS Publish', nodeError('ECONNREFUSED'));

    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.message).toBe('SNS Publish failed: ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443');
  });

  it('keeps a permanent error an ExportServiceError', () => {
    expect(toWorkflowError('SNS Publish', Object.assign(new Error('denied'), { name: 'KMSAccessDeniedException' }))).toBeInstanceOf(ExportServiceError);
  });

  it("passes the workflow's own named error through unchanged, so the state machine still matches its name", () => {
    // Prepare: a member session refused while the call was being signed.
    const refused = new MemberAccessDenied('Account 111111111111 (eu-west-1): this deployment cannot assume the member role');

    // Act
    const error = toWorkflowError('RDS DescribeExportTasks', refused);

    // Assess
    expect(error).toBe(refused);
  });

  it("maps an ADS service exception as any service's answer, though it is a named error too", () => {
    // Prepare: ADS answered a throttling error and a refusal.
    const throttled = new AdsServiceException('ThrottlingException', 'Rate exceeded', 400, 'com.amazonaws.discovery#ThrottlingException');
    const refused = new AdsServiceException('InvalidParameterValueException', 'bad agent id', 400, 'com.amazonaws.discovery#InvalidParameterValueException');

    // Act
    const transient = toWorkflowError('ADS StartExportTask', throttled);
    const permanent = toWorkflowError('ADS StartExportTask', refused);

    // Assess
    expect(transient).toBeInstanceOf(TransientAwsError);
    expect(transient.message).toBe('ADS StartExportTask failed: ThrottlingException: Rate exceeded');
    expect(transient.cause).toBe(throttled);
    expect(permanent).toBeInstanceOf(ExportServiceError);
    expect(permanent.message).toBe('ADS StartExportTask failed: InvalidParameterValueException: bad agent id');
  });
});
