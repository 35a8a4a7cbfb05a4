import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/notify/app.ts';
import { snsPublisher } from '../../shared/notify/sns-publisher.ts';
import { ExportServiceError, TransientAwsError } from '../../shared/runtime/errors.ts';
import { ACCOUNT, CLIENT_CONFIG, REGION } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { clock, exportState, SNAPSHOT_ARN } from '../support/requests.ts';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:export-notifications';
const snsMock = mockClient(SNSClient);
const context = lambdaContext('notify');
const handler = makeHandler({ publisher: snsPublisher(TOPIC_ARN, CLIENT_CONFIG), clock });

function published(): { Subject?: string; Message?: string; TopicArn?: string } {
  const calls = snsMock.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input;
}

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(() => {
  snsMock.restore();
});

describe('notify handler', () => {
  it('publishes the new status to the topic and records it as notified', async () => {
    // Prepare
    const state = exportState({ status: 'COMPLETE', percent: 100, notifiedStatus: 'IN_PROGRESS' });

    // Act
    const output = await handler(state, context);

    // Assess
    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: expect.stringMatching(/^Export COMPLETE: DB snapshot rds:orders-db/),
      Message: expect.stringContaining(state.request.exportId),
      MessageAttributes: {
        status: { DataType: 'String', StringValue: 'COMPLETE' },
        sourceType: { DataType: 'String', StringValue: 'SNAPSHOT' },
        // The source's place, for subscription filter policies of one team's accounts.
        account: { DataType: 'String', StringValue: ACCOUNT },
        region: { DataType: 'String', StringValue: REGION },
      },
    });
    const { Subject, Message } = published();
    expect(Subject!.length).toBeLessThanOrEqual(100);
    expect(Message).toContain(SNAPSHOT_ARN);
    expect(Message).toContain(`s3://export-bucket/${state.request.s3Prefix}/${state.request.exportId}/`);
    expect(JSON.parse(Message!.split('\n').at(-1)!)).toMatchObject({ status: 'COMPLETE', exportId: state.request.exportId });
    expect(output).toEqual({ ...state, notifiedStatus: 'COMPLETE' });
  });

  it('publishes a FAILED message naming a caught error and hands its input on unchanged', async () => {
    // Prepare: a Catch with ResultPath $.error put the error beside the state.
    const input = {
      ...exportState(),
      error: {
        Error: 'ExportServiceError',
        Cause: JSON.stringify({ errorType: 'ExportServiceError', errorMessage: 'DescribeExportTasks failed: AccessDenied: not authorized', trace: [] }),
      },
    };

    // Act
    const output = await handler(input, context);

    // Assess
    const { Subject, Message } = published();
    expect(Subject).toMatch(/^Export FAILED/);
    expect(Message).toContain('ExportServiceError: DescribeExportTasks failed: AccessDenied: not authorized');
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      MessageAttributes: {
        status: { DataType: 'String', StringValue: 'FAILED' },
        sourceType: { DataType: 'String', StringValue: 'SNAPSHOT' },
        account: { DataType: 'String', StringValue: ACCOUNT },
        region: { DataType: 'String', StringValue: REGION },
      },
    });
    expect(output).toEqual(input);
  });

  it('publishes a FAILED message for bad execution input, which never became a request', async () => {
    const input = { sourceArn: 'not-an-arn', error: { Error: 'InvalidExportRequest', Cause: 'Invalid export request: sourceArn "not-an-arn" is not an RDS snapshot' } };

    const output = await handler(input, context);

    const { Subject, Message } = published();
    expect(Subject).toMatch(/^Export FAILED/);
    expect(Message).toContain('InvalidExportRequest: Invalid export request');
    expect(output).toEqual(input);
  });

  it.each([
    ['answers 500', new SNSServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'internal error' })],
    ['throttles', new SNSServiceException({ name: 'Throttling', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' })],
  ])('fails with TransientAwsError, which the state machine retries, when SNS %s', async (_, error) => {
    snsMock.on(PublishCommand).rejects(error);

    await expect(handler(exportState(), context)).rejects.toBeInstanceOf(TransientAwsError);
  });

  it('fails with ExportServiceError when SNS refuses for good', async () => {
    snsMock
      .on(PublishCommand)
      .rejects(new SNSServiceException({ name: 'AuthorizationError', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized to publish' }));

    await expect(handler(exportState(), context)).rejects.toBeInstanceOf(ExportServiceError);
  });

  it('refuses to load without TOPIC_ARN, naming it', async () => {
    vi.stubEnv('TOPIC_ARN', undefined);

    const failure = await import('../../functions/notify/handler.ts').catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: 'ConfigurationError' });
    expect((failure as Error).message).toContain('TOPIC_ARN is not set');
  });
});
