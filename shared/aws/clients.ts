import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { RdsExportProvider } from './rds-provider.ts';
import { SnsPublisher } from './sns-publisher.ts';

/**
 * Clients for the deployed Lambdas, made once per cold start. One SDK retry only: longer backoff
 * belongs to the state machine's Retry, which waits without billing Lambda time.
 */
const SDK_OPTIONS = { maxAttempts: 2 } as const;

export const rdsExportProvider = (): RdsExportProvider => new RdsExportProvider(new RDSClient(SDK_OPTIONS));
export const snsPublisher = (topicArn: string): SnsPublisher => new SnsPublisher(new SNSClient(SDK_OPTIONS), topicArn);
