import { describe, expect, it } from 'vitest';
import { memberRoleArn, membersOf, placeOfSource, servedPlaces, serves, unservedPlaceProblem, type Members } from '../../shared/accounts/members.ts';
import { placeClientConfigs } from '../../shared/accounts/clients.ts';
import { MemberSessions, RENEW_BEFORE_EXPIRY_MS, type AssumeRoleRequest, type RoleAssumer } from '../../shared/accounts/sessions.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { ConfigurationError, MemberAccessDenied, TransientAwsError } from '../../shared/runtime/errors.ts';

const HOME = '111111111111';
const A = '222222222222';
const B = '333333333333';
const MEMBERS: Members = membersOf(
  readConfig(membersConfigShape, { MEMBER_ACCOUNTS: `${A},${B}`, MEMBER_REGIONS: 'eu-west-1,us-east-1', ORCHESTRATOR_ACCOUNT: HOME, AWS_REGION: 'eu-west-1', AWS_LAMBDA_FUNCTION_NAME: 'export-orchestrator-prod-startExport' }),
);

/** A virtual clock and an STS whose sessions last an hour from the clock's now; each AssumeRole is recorded. */
function sts(answer: (request: AssumeRoleRequest) => Error | undefined = () => undefined) {
  let now = Date.parse('2026-12-02T10:00:00Z');
  const requests: AssumeRoleRequest[] = [];
  const assumer: RoleAssumer = {
    assumeRole: async (request) => {
      requests.push(request);
      const refusal = answer(request);
      if (refusal) throw refusal;
      return { accessKeyId: `ASIA-${requests.length}`, secretAccessKey: 's', sessionToken: 't', expiration: new Date(now + request.durationSeconds * 1000) };
    },
  };
  const clock = () => new Date(now);
  return { requests, sessions: new MemberSessions(MEMBERS, async () => assumer, clock), advance: (ms: number) => (now += ms) };
}

const awsError = (name: string, message: string, status = 403) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('the members configuration', () => {
  it('serves the own account and every member, in every member region', () => {
    expect(servedPlaces(MEMBERS)).toEqual([
      { account: HOME, region: 'eu-west-1' },
      { account: HOME, region: 'us-east-1' },
      { account: A, region: 'eu-west-1' },
      { account: A, region: 'us-east-1' },
      { account: B, region: 'eu-west-1' },
      { account: B, region: 'us-east-1' },
    ]);
    expect(MEMBERS.sessionName).toBe('export-orchestrator-prod-startExport');
    expect(memberRoleArn(MEMBERS, A)).toBe(`arn:aws:iam::${A}:role/export-orchestrator-member`);
  });

  it('with no member serves the own account in the stack region only', () => {
    const alone = membersOf(readConfig(membersConfigShape, { AWS_REGION: 'eu-west-1', ORCHESTRATOR_ACCOUNT: HOME }));
    expect(servedPlaces(alone)).toEqual([{ account: HOME, region: 'eu-west-1' }]);
    expect(serves(alone, { account: HOME, region: 'us-east-1' })).toBe(false);
  });

  it("refuses to name the served places without the own account's id (ORCHESTRATOR_ACCOUNT) rather than leave the own account out", () => {
    // Prepare: a member, but no ORCHESTRATOR_ACCOUNT (never so when deployed).
    const homeUnknown = membersOf(readConfig(membersConfigShape, { MEMBER_ACCOUNTS: A, AWS_REGION: 'eu-west-1' }));

    // Act
    const served = () => servedPlaces(homeUnknown);

    // Assess
    expect(served).toThrow(ConfigurationError);
    expect(served).toThrow(/ORCHESTRATOR_ACCOUNT is not set/);
  });

  it('lists every malformed account id and region in one error', () => {
    // Act
    const read = () => readConfig(membersConfigShape, { MEMBER_ACCOUNTS: '222222222222, 12345,abc', MEMBER_REGIONS: 'eu-west-1,Europe', MEMBER_ROLE_NAME: 'arn:aws:iam::1:role/x' });

    // Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/MEMBER_ACCOUNTS: "12345", "abc" are not a 12-digit AWS account id: list account ids separated by commas \(memberAccounts\)/);
    expect(read).toThrow(/MEMBER_REGIONS: "Europe" is not an AWS region: list region codes separated by commas \(memberRegions\)/);
    expect(read).toThrow(/MEMBER_ROLE_NAME: must be an IAM role name/);
  });

  it('refuses member regions of another partition', () => {
    expect(() => membersOf(readConfig(membersConfigShape, { MEMBER_REGIONS: 'eu-west-1,cn-north-1', AWS_REGION: 'eu-west-1' }))).toThrow(/cn-north-1, outside the stack's partition aws/);
  });

  it('says which account or region of a source is not served, and how to add it', () => {
    const problem = unservedPlaceProblem('sourceArn', 'arn:aws:rds:ap-south-1:444444444444:snapshot:x', { account: '444444444444', region: 'ap-south-1' }, MEMBERS);
    expect(problem).toContain('is in 444444444444/ap-south-1, which this deployment does not serve');
    expect(problem).toContain(`account 444444444444 is not a member (served: ${HOME}, ${A}, ${B}): add it to memberAccounts`);
    expect(problem).toContain('region ap-south-1 is not served (served: eu-west-1, us-east-1): add it to memberRegions');
    expect(unservedPlaceProblem('sourceArn', 'arn', { account: A, region: 'us-east-1' }, MEMBERS)).toBeUndefined();
  });
});

describe('member sessions', () => {
  it('assume the member role once per account, whatever the region and however many calls', async () => {
    // Prepare
    const { sessions, requests } = sts();

    // Act
    const got = await Promise.all([
      sessions.credentials({ account: A, region: 'eu-west-1' }),
      sessions.credentials({ account: A, region: 'us-east-1' }),
      sessions.credentials({ account: A, region: 'eu-west-1' }),
      sessions.credentials({ account: B, region: 'eu-west-1' }),
    ]);

    // Assess
    expect(requests.map((request) => request.roleArn)).toEqual([`arn:aws:iam::${A}:role/export-orchestrator-member`, `arn:aws:iam::${B}:role/export-orchestrator-member`]);
    expect(requests[0]).toMatchObject({ sessionName: 'export-orchestrator-prod-startExport', durationSeconds: 3600 });
    expect(got[0]).toBe(got[1]);
    expect(got[3]!.accessKeyId).not.toBe(got[0]!.accessKeyId);
  });

  it('renew a session shortly before it expires, not after, on the virtual clock', async () => {
    // Prepare
    const { sessions, requests, advance } = sts();
    const first = await sessions.credentials({ account: A, region: 'eu-west-1' });

    // Act
    advance(3600_000 - RENEW_BEFORE_EXPIRY_MS - 1);
    const stillFirst = await sessions.credentials({ account: A, region: 'eu-west-1' });
    advance(1);
    const renewed = await sessions.credentials({ account: A, region: 'eu-west-1' });

    // Assess
    expect(stillFirst).toBe(first);
    expect(renewed).not.toBe(first);
    expect(renewed.expiration.getTime() - first.expiration.getTime()).toBe(3600_000 - RENEW_BEFORE_EXPIRY_MS);
    expect(requests).toHaveLength(2);
  });

  it('pass the external id when one is set', async () => {
    const withId = { ...MEMBERS, externalId: 'org-7' };
    const requests: AssumeRoleRequest[] = [];
    const sessions = new MemberSessions(withId, async () => ({ assumeRole: async (r) => (requests.push(r), { accessKeyId: 'k', secretAccessKey: 's', sessionToken: 't', expiration: new Date(Date.now() + 3600_000) }) }), () => new Date());
    await sessions.credentials({ account: A, region: 'eu-west-1' });
    expect(requests[0]!.externalId).toBe('org-7');
  });

  it("turn a refused role into MemberAccessDenied naming the account, the role and what to do, and do not ask again for a minute", async () => {
    // Prepare
    const { sessions, requests, advance } = sts((request) => (request.roleArn.includes(A) ? awsError('AccessDenied', `User: x is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`) : undefined));

    // Act
    const refused = sessions.credentials({ account: A, region: 'us-east-1' });
    const other = sessions.credentials({ account: B, region: 'us-east-1' });

    // Assess
    await expect(refused).rejects.toBeInstanceOf(MemberAccessDenied);
    await expect(refused).rejects.toThrow(`Account ${A} (us-east-1): this deployment cannot assume arn:aws:iam::${A}:role/export-orchestrator-member (AccessDenied: User: x is not authorized`);
    await expect(refused).rejects.toThrow(`Deploy the member stack (member/member-account.yml) in account ${A}`);
    await expect(other).resolves.toMatchObject({ accessKeyId: expect.any(String) });
    await expect(sessions.credentials({ account: A, region: 'eu-west-1' })).rejects.toBeInstanceOf(MemberAccessDenied);
    expect(requests.filter((request) => request.roleArn.includes(A))).toHaveLength(1);
    advance(60_000);
    await expect(sessions.credentials({ account: A, region: 'eu-west-1' })).rejects.toBeInstanceOf(MemberAccessDenied);
    expect(requests.filter((request) => request.roleArn.includes(A))).toHaveLength(2);
  });

  it('turn throttling into a TransientAwsError and ask again on the next call', async () => {
    // Prepare
    let throttled = true;
    const { sessions, requests } = sts(() => (throttled ? awsError('Throttling', 'Rate exceeded', 400) : undefined));

    // Act
    const first = sessions.credentials({ account: A, region: 'eu-west-1' });
    await expect(first).rejects.toBeInstanceOf(TransientAwsError);
    throttled = false;
    const second = await sessions.credentials({ account: A, region: 'eu-west-1' });

    // Assess
    await expect(first).rejects.toThrow(`AssumeRole of arn:aws:iam::${A}:role/export-orchestrator-member for ${A}/eu-west-1 failed, to be retried`);
    expect(second.accessKeyId).toBe('ASIA-2');
    expect(requests).toHaveLength(2);
  });
});

describe('client configs per place', () => {
  it("use the Lambda's own credentials in its own account and the member session in a member's, in the place's region", async () => {
    // Prepare
    const { sessions } = sts();
    const configFor = placeClientConfigs(MEMBERS, sessions);

    // Act
    const own = configFor({ account: HOME, region: 'us-east-1' }, { maxAttempts: 2 });
    const member = configFor({ account: A, region: 'us-east-1' }, { maxAttempts: 2 });

    // Assess
    expect(own).toEqual({ maxAttempts: 2, region: 'us-east-1' });
    expect(member.region).toBe('us-east-1');
    await expect((member.credentials as () => Promise<unknown>)()).resolves.toMatchObject({ accessKeyId: 'ASIA-1', sessionToken: 't' });
  });
});

describe('the place of a source that may name its account and its region', () => {
  it("is the deployment's own account, in the stack's region, for what the source leaves out", () => {
    // Act
    const unnamed = placeOfSource(MEMBERS, {});
    const regionOnly = placeOfSource(MEMBERS, { region: 'us-east-1' });
    const accountOnly = placeOfSource(MEMBERS, { account: A });

    // Assess
    expect(unnamed).toEqual({ account: HOME, region: 'eu-west-1' });
    expect(regionOnly).toEqual({ account: HOME, region: 'us-east-1' });
    expect(accountOnly).toEqual({ account: A, region: 'eu-west-1' });
  });

  it('is the account and the region the source names', () => {
    expect(placeOfSource(MEMBERS, { account: B, region: 'us-east-1' })).toEqual({ account: B, region: 'us-east-1' });
  });

  it('needs no ORCHESTRATOR_ACCOUNT when the source names its account, and names it when the source is in the own account', () => {
    // Prepare: no ORCHESTRATOR_ACCOUNT (never so when deployed; a test or a local run may leave it out).
    const homeUnknown = membersOf(readConfig(membersConfigShape, { MEMBER_ACCOUNTS: A, AWS_REGION: 'eu-west-1' }));

    // Act
    const named = placeOfSource(homeUnknown, { account: A });
    const own = () => placeOfSource(homeUnknown, { region: 'us-east-1' });

    // Assess
    expect(named).toEqual({ account: A, region: 'eu-west-1' });
    expect(own).toThrow(ConfigurationError);
    expect(own).toThrow("Configuration: ORCHESTRATOR_ACCOUNT is not set: a source that names no account is in the deployment's own account, whose id it gives (serverless.yml sets it to AWS::AccountId)");
  });

  it('names AWS_REGION when the source names no region and the stack has none', () => {
    // Prepare
    const noRegion = membersOf(readConfig(membersConfigShape, { ORCHESTRATOR_ACCOUNT: HOME }));

    // Act, Assess
    expect(() => placeOfSource(noRegion, { account: HOME })).toThrow(/AWS_REGION is not set/);
  });
});
