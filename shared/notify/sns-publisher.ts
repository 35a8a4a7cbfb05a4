import { PublishCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import type { Notification } from './record.ts';
import { toWorkflowError } from '../runtime/aws-errors.ts';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';

export interface NotificationPublisher {
  publish(notification: Notification): Promise<void>;
}

export class SnsPublisher implements NotificationPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const attributes = Object.fromEntries(
      Object.entries(notification.attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
    );
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: notification.subject,
          Message: notification.body,
          MessageAttributes: attributes,
        }),
      );
    } catch (error) {
      throw toWorkflowError('SNS Publish', error);
    }
  }
}

/** Made once per cold start, like the other clients. */
export const snsPublisher = (topicArn: string, clientConfig: SNSClientConfig = {}): SnsPublisher =>
  new SnsPublisher(new SNSClient({ ...SDK_OPTIONS, ...clientConfig }), topicArn);
