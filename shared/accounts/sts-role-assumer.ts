import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { SDK_OPTIONS } from '../runtime/sdk-options.ts';
import type { AssumeRoleRequest, RoleAssumer, SessionCredentials } from './sessions.ts';

/**
 * STS's AssumeRole, the sessions' adapter (loaded on the first call for a member account, so a
 * deployment without members never loads the STS client). The client is regional: it calls
 * sts.<the Lambda's region>.amazonaws.com, as AWS advises (lower latency, no dependency on us-east-1).
 */
export const stsRoleAssumer = (client: STSClientConfig | STSClient = {}): RoleAssumer => {
  // The CLI hands its own client (its --profile, --region, --endpoint-url).
  const sts = client instanceof STSClient ? client : new STSClient({ ...SDK_OPTIONS, ...client });
  return {
    async assumeRole(request: AssumeRoleRequest): Promise<SessionCredentials> {
      const { Credentials } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.sessionName,
          DurationSeconds: request.durationSeconds,
          ...(request.externalId ? { ExternalId: request.externalId } : {}),
        }),
      );
      if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken || !Credentials.Expiration) {
        throw Object.assign(new Error(`AssumeRole of ${request.roleArn} answered without credentials`), { name: 'IncompleteCredentials' });
      }
      return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken, expiration: Credentials.Expiration };
    },
  };
};
