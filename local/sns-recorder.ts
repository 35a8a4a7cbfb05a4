import { QueryError, type QueryService } from './aws-query.ts';

export interface PublishedMessage {
  topicArn: string;
  subject: string;
  message: string;
  attributes: Record<string, string>;
  at: number;
}

/** SNS's largest message, in UTF-8 bytes. */
export const SNS_MESSAGE_LIMIT = 262_144;

/** SNS Publish behind the real SNS client: keeps every message, as an email subscriber would get it. */
export class SnsRecorder implements QueryService {
  readonly messages: PublishedMessage[] = [];
  readonly calls: Record<string, number> = {};

  /** Publish calls the topic refused (injected faults): what a CloudWatch NumberOfNotificationsFailed would not even see. */
  readonly refused: Array<{ at: number; error: string }> = [];

  constructor(
    private readonly onPublish: (message: PublishedMessage) => void = () => {},
    /** Injected faults (local/faults.ts): the error to answer instead, while a fault window is open. */
    private readonly fault: (operation: string) => Error | undefined = () => undefined,
  ) {}

  handle(action: string, params: URLSearchParams): Record<string, unknown> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    const fault = this.fault('Publish');
    if (fault) {
      this.refused.push({ at: Date.now(), error: (fault as { code?: string }).code ?? fault.name });
      throw fault;
    }
    if (action !== 'Publish') throw new QueryError('InvalidAction', `The recorder does not implement ${action}`);
    // As SNS: a message past 256 KB is refused, so a notification that large would be lost.
    if (Buffer.byteLength(params.get('Message') ?? '', 'utf8') > SNS_MESSAGE_LIMIT) throw new QueryError('InvalidParameter', 'Invalid parameter: Message too long', 400);
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
