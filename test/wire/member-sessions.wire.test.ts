/**
 * The member sessions' STS adapter against moto (real SDK, real SigV4, real XML): AssumeRole of a
 * member role answers credentials of that account, which the sessions keep and the next call signs
 * with (GetCallerIdentity with them names the member account, as AWS does).
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, inject, it } from 'vitest';
import { membersOf } from '../../shared/accounts/members.ts';
import { MemberSessions } from '../../shared/accounts/sessions.ts';
import { stsRoleAssumer } from '../../shared/accounts/sts-role-assumer.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';

const endpoint = inject('motoEndpoint');
const REGION = 'us-east-1';
const MEMBER = '210987654321';

describe.skipIf(!endpoint)('member sessions against moto (wire)', () => {
  const clientConfig = { endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };

  it("assumes the member role once and signs with the member account's session", async () => {
    // Prepare
    // moto grants AssumeRole without the role (its trust is not modelled: local/sts-simulator.ts refuses a missing one).
    const roleName = 'export-orchestrator-member';
    const members = membersOf(readConfig(membersConfigShape, { MEMBER_ACCOUNTS: MEMBER, MEMBER_ROLE_NAME: roleName, MEMBER_EXTERNAL_ID: 'org-7', ORCHESTRATOR_ACCOUNT: '123456789012', AWS_REGION: REGION, AWS_LAMBDA_FUNCTION_NAME: 'export-orchestrator-wire' }));
    const sessions = new MemberSessions(members, async () => stsRoleAssumer(clientConfig), () => new Date());

    // Act
    const first = await sessions.credentials({ account: MEMBER, region: REGION });
    const again = await sessions.credentials({ account: MEMBER, region: 'eu-west-1' });
    const identity = await new STSClient({ ...clientConfig, credentials: first }).send(new GetCallerIdentityCommand({}));

    // Assess
    expect(again).toBe(first);
    expect(first.sessionToken).toBeTruthy();
    expect(first.expiration.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(identity.Account).toBe(MEMBER);
    expect(identity.Arn).toContain(`assumed-role/${roleName}/export-orchestrator-wire`);
  });
});
