import { DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { queryHandler } from '../../local/aws-query.ts';
import { accountOfAccessKey, callerOf, LOCAL_AUTH_SCHEMES, LocalIdentities, localCredentials } from '../../local/identity.ts';
import { seededRandom } from '../../local/random.ts';
import { RdsExportSimulator, type ExportBehaviour } from '../../local/rds-simulator.ts';
import { StsSimulator, STS_XML_NAMESPACE } from '../../local/sts-simulator.ts';
import type { AwsCredentialIdentity } from '@smithy/types';

const CENTRAL = '111111111111';
const MEMBER = '222222222222';
const REGION = 'eu-west-1';
const MEMBER_SNAPSHOT = `arn:aws:rds:${REGION}:${MEMBER}:snapshot:orders-2026-12-01`;
const BEHAVIOUR: ExportBehaviour = { startingSeconds: 60, exportSeconds: 600, progress: 'steady', cancelSeconds: 30, dataGb: 1 };

function world({ roles = [MEMBER], externalId }: { roles?: string[]; externalId?: string } = {}) {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const identities = new LocalIdentities(clock.now);
  const rds = new RdsExportSimulator({ sources: () => true, behaviourFor: () => BEHAVIOUR, random: seededRandom(1), throttleRate: 0, now: clock.now, identities });
  const sts = new StsSimulator({ identities, roleExists: (account, name) => roles.includes(account) && name === 'export-orchestrator-member', ...(externalId ? { externalId } : {}) });
  const rdsAs = (credentials: AwsCredentialIdentity, region = REGION) =>
    new RDSClient({ region, credentials, httpAuthSchemes: LOCAL_AUTH_SCHEMES, maxAttempts: 1, requestHandler: queryHandler(rds, 'http://rds.amazonaws.com/doc/2014-10-31/') });
  const stsClient = new STSClient({ region: REGION, credentials: localCredentials(CENTRAL), httpAuthSchemes: LOCAL_AUTH_SCHEMES, maxAttempts: 1, requestHandler: queryHandler(sts, STS_XML_NAMESPACE) });
  return { clock, rds, sts, rdsAs, stsClient };
}

const start = (sourceArn: string) =>
  new StartExportTaskCommand({ ExportTaskIdentifier: 'orders-export', SourceArn: sourceArn, S3BucketName: 'central', IamRoleArn: `arn:aws:iam::${MEMBER}:role/x`, KmsKeyId: 'k' });
const assume = (account: string, ExternalId?: string) =>
  new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/export-orchestrator-member`, RoleSessionName: 'export-orchestrator-test', ...(ExternalId ? { ExternalId } : {}) });

describe('local identities', () => {
  it('carry their account in the access key, and the signer stamps key and region into the request', async () => {
    // Prepare
    const credentials = localCredentials(MEMBER);
    let seen: ReturnType<typeof callerOf>;
    const client = new RDSClient({
      region: REGION,
      credentials,
      httpAuthSchemes: LOCAL_AUTH_SCHEMES,
      requestHandler: queryHandler({ handle: (_action, _params, request) => ((seen = request && callerOf(request)), { ExportTasks: [] }) }, 'http://rds.amazonaws.com/doc/2014-10-31/'),
    });

    // Act
    await client.send(new DescribeExportTasksCommand({}));

    // Assess
    expect(credentials.accessKeyId).toHaveLength(20);
    expect(accountOfAccessKey(credentials.accessKeyId)).toBe(MEMBER);
    expect(seen).toMatchObject({ account: MEMBER, region: REGION, service: 'rds', accessKeyId: credentials.accessKeyId });
  });
});

describe('the local STS', () => {
  it('issues a session whose credentials are the member account', async () => {
    // Prepare
    const { stsClient, sts } = world();

    // Act
    const { Credentials, AssumedRoleUser } = await stsClient.send(assume(MEMBER));

    // Assess
    expect(accountOfAccessKey(Credentials!.AccessKeyId!)).toBe(MEMBER);
    expect(Credentials!.AccessKeyId).toMatch(/^ASIA/);
    expect(Credentials!.Expiration!.getTime()).toBe(Date.parse('2026-12-01T01:00:00Z'));
    expect(AssumedRoleUser!.Arn).toBe(`arn:aws:sts::${MEMBER}:assumed-role/export-orchestrator-member/export-orchestrator-test`);
    expect(sts.assumeRoleCalls.get(MEMBER)).toBe(1);
  });

  it('answers AccessDenied for a role missing in its account, or an external id that does not match', async () => {
    // Prepare
    const { stsClient } = world({ roles: [], externalId: 'org-secret' });
    const withId = world({ externalId: 'org-secret' }).stsClient;

    // Act
    const missing = stsClient.send(assume(MEMBER, 'org-secret'));
    const wrongId = withId.send(assume(MEMBER, 'guess'));
    const rightId = withId.send(assume(MEMBER, 'org-secret'));

    // Assess
    await expect(missing).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining(`on resource: arn:aws:iam::${MEMBER}:role/export-orchestrator-member`) });
    await expect(wrongId).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(rightId).resolves.toMatchObject({ Credentials: expect.anything() });
  });
});

describe('the RDS simulator with identities', () => {
  it("refuses a member's source started with the central account's credentials, as RDS answers for a snapshot it cannot see", async () => {
    // Prepare
    const { rdsAs, rds } = world();

    // Act
    const started = rdsAs(localCredentials(CENTRAL)).send(start(MEMBER_SNAPSHOT));

    // Assess
    await expect(started).rejects.toMatchObject({ name: 'DBSnapshotNotFoundFault' });
    expect(rds.tasks.size).toBe(0);
  });

  it("exports a member's source with the member's assumed role, and shows its task to that place only", async () => {
    // Prepare
    const { rdsAs, stsClient } = world();
    const { Credentials } = await stsClient.send(assume(MEMBER));
    const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };

    // Act
    const started = await rdsAs(session).send(start(MEMBER_SNAPSHOT));
    const asMember = await rdsAs(session).send(new DescribeExportTasksCommand({}));
    const asCentral = await rdsAs(localCredentials(CENTRAL)).send(new DescribeExportTasksCommand({}));
    const otherRegion = await rdsAs(session, 'us-east-1').send(new DescribeExportTasksCommand({}));

    // Assess
    expect(started.Status).toBe('STARTING');
    expect(asMember.ExportTasks?.map((task) => task.ExportTaskIdentifier)).toEqual(['orders-export']);
    expect(asCentral.ExportTasks).toEqual([]);
    expect(otherRegion.ExportTasks).toEqual([]);
  });

  it('refuses an expired session and a request nobody signed', async () => {
    // Prepare
    const { rdsAs, stsClient, clock, rds } = world();
    const { Credentials } = await stsClient.send(assume(MEMBER));
    const session = { accessKeyId: Credentials!.AccessKeyId!, secretAccessKey: Credentials!.SecretAccessKey!, sessionToken: Credentials!.SessionToken! };
    clock.advance(3600_000);

    // Act
    const expired = rdsAs(session).send(new DescribeExportTasksCommand({}));
    const unsigned = () => rds.handle('DescribeExportTasks', new URLSearchParams());

    // Assess
    await expect(expired).rejects.toMatchObject({ name: 'ExpiredToken' });
    expect(unsigned).toThrow(expect.objectContaining({ code: 'MissingAuthenticationToken' }));
  });
});
