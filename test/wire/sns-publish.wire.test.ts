/**
 * SnsPublisher against moto: the Publish our publisher serialises, as a subscriber receives it.
 * Each test subscribes an SQS queue to a fresh topic and reads what moto delivered to it.
 *
 * What moto 5.x does (verified while writing these tests):
 * - SNS -> SQS delivery happens inside the Publish call, so the message is in the queue when
 *   publish() resolves (ReceiveMessage needs no wait).
 * - Default delivery wraps the message in the SNS JSON envelope (Type, TopicArn, Subject, Message,
 *   MessageAttributes as {Type, Value}); RawMessageDelivery gives the body as is and the attributes
 *   as SQS message attributes; subscription FilterPolicy on message attributes is applied.
 * - A Subject over 100 characters answers 400 InvalidParameter; Publish to a topic that does not
 *   exist answers 404 NotFound ("Endpoint does not exist").
 * - GET /moto-api/data.json (moto's backend dump) answers 500 once the RDS tests have created a
 *   DB cluster (DBCluster.master_user_password raises NotImplementedError), so it is not used here.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SnsPublisher } from '../../shared/notify/sns-publisher.ts';
import { ExportServiceError } from '../../shared/runtime/errors.ts';
import { SUBJECT_LIMIT, renderNotification, type NotificationRecord } from '../../shared/notify/record.ts';

const endpoint = inject('motoEndpoint');

/** moto keeps its state for the whole run (and longer, with MOTO_ENDPOINT): every name carries this. */
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** The JSON an SQS subscriber gets from SNS without raw message delivery. */
interface SnsEnvelope {
  Type: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

function record(snapshotName: string, overrides: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    status: 'COMPLETE',
    sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${snapshotName}`,
    sourceType: 'SNAPSHOT',
    exportId: `${snapshotName.slice(0, 40)}-0123456789`,
    percent: 100,
    s3Uri: `s3://wire-export-bucket/${snapshotName}/2026-01-01/`,
    elapsedSeconds: 754,
    extractedDataGb: 12,
    at: new Date().toISOString(),
    ...overrides,
  };
}

describe.skipIf(!endpoint)('SnsPublisher against moto (wire)', () => {
  let sns: SNSClient;
  let sqs: SQSClient;

  beforeAll(() => {
    const options = {
      endpoint,
      region: REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    };
    sns = new SNSClient(options);
    sqs = new SQSClient(options);
  });

  afterAll(() => {
    sns?.destroy();
    sqs?.destroy();
  });

  /** A fresh topic with one fresh SQS queue subscribed to it. */
  async function topicWithQueue(label: string, subscription: Record<string, string> = {}): Promise<{ topicArn: string; queueUrl: string }> {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${label}-${run}` }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${label}-${run}` }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn, Attributes: subscription }));
    return { topicArn: TopicArn!, queueUrl: QueueUrl! };
  }

  async function delivered(queueUrl: string): Promise<Message[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    return Messages;
  }

  it('a subscriber receives the subject, the body and the status and sourceType attributes', async () => {
    // Prepare
    const { topicArn, queueUrl } = await topicWithQueue('wire-notify');
    const notification = renderNotification(record(`nightly-${run}`));

    // Act
    await new SnsPublisher(sns, topicArn).publish(notification);

    // Assess
    const messages = await delivered(queueUrl);
    expect(messages).toHaveLength(1);
    const envelope = JSON.parse(messages[0]!.Body!) as SnsEnvelope;
    expect(envelope).toMatchObject({
      Type: 'Notification',
      TopicArn: topicArn,
      Subject: `Export COMPLETE: DB snapshot nightly-${run}`,
      Message: notification.body,
    });
    expect(envelope.Subject).toBe(notification.subject);
    expect(envelope.MessageAttributes).toEqual({
      status: { Type: 'String', Value: 'COMPLETE' },
      sourceType: { Type: 'String', Value: 'SNAPSHOT' },
    });
    // The machine-readable record rides at the end of the body and survives the trip.
    expect(JSON.parse(envelope.Message.split('-- record --\n')[1]!)).toEqual(notification.record);
  });

  it('with raw message delivery the body arrives as is and the attributes as SQS message attributes', async () => {
    // Prepare
    const { topicArn, queueUrl } = await topicWithQueue('wire-raw', { RawMessageDelivery: 'true' });
    const notification = renderNotification(record(`raw-${run}`, { sourceType: 'CLUSTER_SNAPSHOT', sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:raw-${run}` }));

    // Act
    await new SnsPublisher(sns, topicArn).publish(notification);

    // Assess
    const messages = await delivered(queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.Body).toBe(notification.body);
    expect(messages[0]!.MessageAttributes).toEqual({
      status: { DataType: 'String', StringValue: 'COMPLETE' },
      sourceType: { DataType: 'String', StringValue: 'CLUSTER_SNAPSHOT' },
    });
  });

  it('a subscription filter policy on the status attribute gets only the statuses it asks for', async () => {
    // Prepare: an on-call queue that only wants failures and timeouts
    const { topicArn, queueUrl } = await topicWithQueue('wire-filtered', {
      FilterPolicy: JSON.stringify({ status: ['FAILED', 'TIMED_OUT'] }),
    });
    const publisher = new SnsPublisher(sns, topicArn);
    const completed = renderNotification(record(`filtered-ok-${run}`));
    const failed = renderNotification(record(`filtered-bad-${run}`, { status: 'FAILED', failureCause: 'S3 bucket not found' }));

    // Act
    await publisher.publish(completed);
    await publisher.publish(failed);

    // Assess
    const messages = await delivered(queueUrl);
    expect(messages.map((m) => (JSON.parse(m.Body!) as SnsEnvelope).Subject)).toEqual([failed.subject]);
  });

  it("a subject cut to SNS's 100-character limit is accepted as is", async () => {
    // Prepare: SNS refuses subjects over 100 characters (moto too: 400 InvalidParameter)
    const { topicArn, queueUrl } = await topicWithQueue('wire-long-subject');
    const notification = renderNotification(record(`a-very-long-snapshot-name-${'x'.repeat(120)}-${run}`));
    expect(notification.subject).toHaveLength(SUBJECT_LIMIT);

    // Act
    await new SnsPublisher(sns, topicArn).publish(notification);

    // Assess
    const messages = await delivered(queueUrl);
    expect(messages.map((m) => (JSON.parse(m.Body!) as SnsEnvelope).Subject)).toEqual([notification.subject]);
    expect(notification.subject.endsWith('...')).toBe(true);
  });

  it('publishing to a topic that does not exist fails as ExportServiceError naming the NotFound error', async () => {
    // Prepare
    const missingTopic = `arn:aws:sns:${REGION}:${ACCOUNT}:missing-${run}`;
    const notification = renderNotification(record(`orphan-${run}`));

    // Act
    const error = await new SnsPublisher(sns, missingTopic).publish(notification).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { name?: string } },
    );

    // Assess: a 404 is not transient, so the state machine does not retry it
    expect(error).toBeInstanceOf(ExportServiceError);
    expect(error!.message).toMatch(/^SNS Publish failed: NotFound/);
    expect(error!.cause?.name).toBe('NotFoundException');
  });
});
