import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import { RdsExportProvider } from './rds-provider.ts';
import { SDK_OPTIONS } from './sdk-options.ts';
import { SnsPublisher } from './sns-publisher.ts';

/** Clients for the deployed Lambdas, made once per cold start (and for the local run, with its own endpoint). */

export const rdsExportProvider = (clientConfig: RDSClientConfig = {}): RdsExportProvider =>
  new RdsExportProvider(new RDSClient({ ...SDK_OPTIONS, ...clientConfig }));

export const snsPublisher = (topicArn: string, clientConfig: SNSClientConfig = {}): SnsPublisher =>
  new SnsPublisher(new SNSClient({ ...SDK_OPTIONS, ...clientConfig }), topicArn);
