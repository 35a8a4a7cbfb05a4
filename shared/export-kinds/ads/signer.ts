import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from '../../runtime/node-sha256.ts';

/**
 * AWS Application Discovery Service speaks awsJson1_1: POST /, X-Amz-Target
 * `AWSPoseidonService_V2015_11_01.<Operation>`, SigV4 with signing name "discovery" (metadata of
 * discovery-2015-11-01 in the AWS SDKs; timestamps are epoch seconds). Its SDK client is not on our
 * registry, so client.ts holds a small client of that protocol, and this file signs its requests.
 */
export const ADS_TARGET_PREFIX = 'AWSPoseidonService_V2015_11_01';
export const ADS_SIGNING_NAME = 'discovery';
export const ADS_CONTENT_TYPE = 'application/x-amz-json-1.1';

export function adsEndpoint(region: string): string {
  return `https://discovery.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/** Signs one request of the protocol: the headers to send with its body. */
export class AdsSigner {
  private readonly signer: SignatureV4;

  constructor(options: { region: string; credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider }) {
    this.signer = new SignatureV4({ service: ADS_SIGNING_NAME, region: options.region, credentials: options.credentials, sha256: NodeSha256 });
  }

  async sign(url: URL, operation: string, body: string): Promise<Record<string, string>> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname || '/',
      query: {},
      headers: { host: url.host, 'content-type': ADS_CONTENT_TYPE, 'x-amz-target': `${ADS_TARGET_PREFIX}.${operation}` },
      body,
    });
    return signed.headers;
  }
}
