import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import type { SlotConfig } from '../config.ts';
import type { DispatchDeps } from '../queue.ts';
import { coordinationStore } from './coordination-store.ts';
import { RdsExportProvider } from './rds-provider.ts';
import { SDK_OPTIONS } from './sdk-options.ts';
import { SnsPublisher } from './sns-publisher.ts';
import { taskCallbacks } from './step-functions.ts';

/** Clients for the deployed Lambdas, made once per cold start (and for the local run, with its own endpoint). */

export const rdsExportProvider = (clientConfig: RDSClientConfig = {}): RdsExportProvider =>
  new RdsExportProvider(new RDSClient({ ...SDK_OPTIONS, ...clientConfig }));

export const snsPublisher = (topicArn: string, clientConfig: SNSClientConfig = {}): SnsPublisher =>
  new SnsPublisher(new SNSClient({ ...SDK_OPTIONS, ...clientConfig }), topicArn);

/** Everything the slot dispatcher talks to: the queue table, RDS (what runs), Step Functions (whom to wake). */
export const dispatchDeps = (config: SlotConfig, clientConfig: { rds?: RDSClientConfig; dynamo?: DynamoDBClientConfig; sfn?: SFNClientConfig } = {}): DispatchDeps => {
  return {
    store: coordinationStore(config.COORDINATION_TABLE, clientConfig.dynamo),
    exports: rdsExportProvider(clientConfig.rds),
    callbacks: taskCallbacks(clientConfig.sfn),
    quota: config.EXPORT_QUOTA,
    leaseSeconds: config.SLOT_LEASE_SECONDS,
  };
};
