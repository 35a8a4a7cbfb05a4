import { QueryError, type QueryService } from './aws-query.ts';

export interface PublishedMessage {
  topicArn: string;
  subject: string;
  message: string;
  attributes: Record<string, string>;
  at: number;
}

/** SNS Publish behind the real SNS client: keeps every message, as an email subscriber would get it. */
export class SnsRecorder implements QueryService {
  readonly messages: PublishedMessage[] = [];
  readonly calls: Record<string, number> = {};

  constructor(private readonly onPublish: (message: PublishedMessage) => void = () => {}) {}

  handle(action: string, params: URLSearchParams): Record<string, unknown> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    if (action !== 'Publish') throw new QueryError('InvalidAction', `The recorder does not implement ${action}`);
    const attributes: Record<string, string> = {};
    for (let i = 1; params.has(`MessageAttributes.entry.${i}.Name`); i++) {
      attributes[params.get(`MessageAttributes.entry.${i}.Name`)!] = params.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
    }
    const message: PublishedMessage = {
      topicArn: params.get('TopicArn') ?? '',
      subject: params.get('Subject') ?? '',
      message: params.get('Message') ?? '',
      attributes,
      at: Date.now(),
    };
    this.messages.push(message);
    this.onPublish(message);
    return { MessageId: `msg-${this.messages.length}` };
  }
}
