import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { RDSClient, type RDSClientConfig } from '@aws-sdk/client-rds';
import type { SFNClientConfig } from '@aws-sdk/client-sfn';
import { SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import type { SlotConfig } from '../config.ts';
import type { DispatchDeps } from '../queue.ts';
import type { ExportProvider } from '../provider.ts';
import { ConfigurationError, InvalidExportRequest } from '../errors.ts';
import type { ExportRequest } from '../request.ts';
import { adsExportProvider, type AdsClientOptions } from './ads-provider.ts';
import { coordinationStore } from './coordination-store.ts';
import { ec2ImageExportProvider } from './ec2-image-provider.ts';
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import { RdsExportProvider } from './rds-provider.ts';
import { SDK_OPTIONS } from './sdk-options.ts';
import { SnsPublisher } from './sns-publisher.ts';
import { taskCallbacks } from './step-functions.ts';

/** Clients for the deployed Lambdas, made once per cold start (and for the local run, with its own endpoint). */

export const rdsExportProvider = (clientConfig: RDSClientConfig = {}): RdsExportProvider =>
  new RdsExportProvider(new RDSClient({ ...SDK_OPTIONS, ...clientConfig }));

/** Where the providers of the other kinds talk to; the local run points them at its simulators. */
export interface ProviderConfig {
  /** Application Discovery Service answers in the Migration Hub home region only. */
  adsRegion?: string;
  rds?: RDSClientConfig;
  ec2?: EC2ClientConfig;
  ads?: Partial<AdsClientOptions>;
}

/**
 * The provider of a request's kind. Each is made on first use and kept for the warm Lambda, so an
 * RDS export never builds the EC2 or ADS client.
 */
export function exportProviders(config: ProviderConfig = {}): (request: ExportRequest) => ExportProvider {
  const made = new Map<string, ExportProvider>();
  const make = (kind: string): ExportProvider => {
    switch (kind) {
      case 'rds':
        return rdsExportProvider(config.rds);
      case 'ec2-image':
        return withRequest(ec2ImageExportProvider(config.ec2), (request) => request.ec2Image);
      case 'ads': {
        const region = config.ads?.region ?? config.adsRegion;
        if (!region) throw new ConfigurationError('Configuration: ADS_REGION (or AWS_REGION) is not set: kind "ads" needs the Migration Hub home region');
        return withRequest(adsExportProvider({ ...config.ads, region }), (request) => request.ads);
      }
      default:
        throw new InvalidExportRequest([`kind "${kind}" has no export provider`]);
    }
  };
  return (request) => {
    const kind = request.kind ?? 'rds';
    if (!made.has(kind)) made.set(kind, make(kind));
    return made.get(kind)!;
  };
}

/** A provider of another start request, behind the workflow's ExportRequest. */
function withRequest<R>(provider: ExportProvider<R>, requestOf: (request: ExportRequest) => R | undefined): ExportProvider {
  return {
    start: (request) => {
      const own = requestOf(request);
      if (own === undefined) throw new InvalidExportRequest([`a ${request.kind} request carries no ${request.kind} parameters`]);
      return provider.start(own);
    },
    describe: (taskId) => provider.describe(taskId),
    cancel: (taskId) => provider.cancel(taskId),
  };
}

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
