import { describe, expect, it } from 'vitest';
import { membersOf } from '../../shared/accounts/members.ts';
import type { RequestDefaults } from '../../shared/accounts/members.ts';
import { buildRdsRequest } from '../../shared/export-kinds/rds/request.ts';
import { exportDefaultsShape, membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { InvalidExportRequest } from '../../shared/runtime/errors.ts';

const HOME = '111111111111';
const MEMBER = '222222222222';
const KEY = 'mrk-1234abcd12ab34cd56ef1234567890ab';
const members = membersOf(readConfig(membersConfigShape, { MEMBER_ACCOUNTS: MEMBER, MEMBER_REGIONS: 'us-east-1,eu-west-1', ORCHESTRATOR_ACCOUNT: HOME, AWS_REGION: 'us-east-1' }));
/** A central bucket and a multi-Region key per region ({region}), as docs/organisation.md sets them up. */
const defaults = {
  ...readConfig(exportDefaultsShape, {
    EXPORT_BUCKET: 'central-exports-{region}',
    EXPORT_ROLE_ARN: `arn:aws:iam::${HOME}:role/export-orchestrator-export`,
    EXPORT_KMS_KEY_ID: `arn:aws:kms:{region}:${HOME}:key/${KEY}`,
    AWS_REGION: 'us-east-1',
  }),
  members,
};
const REQUESTED_AT = new Date('2026-12-02T10:00:00Z');

/** The problems an input is refused with (fails the test when it is accepted). */
function problemsOf(input: Record<string, unknown>, config: RequestDefaults = defaults): string[] {
  try {
    buildRdsRequest(input, config, REQUESTED_AT);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidExportRequest);
    return (error as InvalidExportRequest).problems;
  }
  return expect.fail('expected an InvalidExportRequest');
}

describe('an RDS request for a source of a member account', () => {
  it("is accepted in a served place, with the member's export role and the bucket and key of the source's region", () => {
    // Act
    const request = buildRdsRequest({ sourceArn: `arn:aws:rds:eu-west-1:${MEMBER}:snapshot:orders-1` }, defaults, REQUESTED_AT);

    // Assess
    expect(request.source).toMatchObject({ account: MEMBER, region: 'eu-west-1' });
    expect(request.iamRoleArn).toBe(`arn:aws:iam::${MEMBER}:role/export-orchestrator-member-export`);
    expect(request.s3Bucket).toBe('central-exports-eu-west-1');
    expect(request.kmsKeyId).toBe(`arn:aws:kms:eu-west-1:${HOME}:key/${KEY}`);
  });

  it("keeps the deployment's own export role for its own account's sources, in any served region", () => {
    const request = buildRdsRequest({ sourceArn: `arn:aws:rds:eu-west-1:${HOME}:snapshot:orders-1` }, defaults, REQUESTED_AT);
    expect(request.iamRoleArn).toBe(`arn:aws:iam::${HOME}:role/export-orchestrator-export`);
    expect(request.s3Bucket).toBe('central-exports-eu-west-1');
  });

  it('is refused outside the served places, naming the field, the account or region, and how to add it', () => {
    // Act
    const account = problemsOf({ sourceArn: 'arn:aws:rds:us-east-1:444444444444:snapshot:orders-1' });
    const region = problemsOf({ sourceArn: `arn:aws:rds:ap-south-1:${MEMBER}:snapshot:orders-1` });

    // Assess
    expect(account).toEqual([expect.stringMatching(/^sourceArn "arn:aws:rds:us-east-1:444444444444:snapshot:orders-1" is in 444444444444\/us-east-1, which this deployment does not serve: account 444444444444 is not a member .*add it to memberAccounts/)]);
    expect(region).toEqual([expect.stringMatching(/is in 222222222222\/ap-south-1, which this deployment does not serve: region ap-south-1 is not served \(served: us-east-1, eu-west-1\): add it to memberRegions$/)]);
  });

  it("refuses a key of another region than the source's, and a role of another account than the member's", () => {
    // Act
    const problems = problemsOf({
      sourceArn: `arn:aws:rds:eu-west-1:${MEMBER}:snapshot:orders-1`,
      kmsKeyId: `arn:aws:kms:us-east-1:${HOME}:key/${KEY}`,
      iamRoleArn: `arn:aws:iam::${HOME}:role/export-orchestrator-export`,
    });

    // Assess
    expect(problems).toEqual([
      `iamRoleArn "arn:aws:iam::${HOME}:role/export-orchestrator-export" is a role of account ${HOME}, but the source is in member account ${MEMBER}: RDS takes a role of the source's own account; leave iamRoleArn out to use the member export role arn:aws:iam::${MEMBER}:role/export-orchestrator-member-export`,
      expect.stringContaining(`kmsKeyId "arn:aws:kms:us-east-1:${HOME}:key/${KEY}" is in us-east-1, but the source is in eu-west-1 (RDS encrypts an export with a key of the source's region)`),
    ]);
  });

  it('without members refuses a source of another region, as before', () => {
    const { members: _, ...alone } = defaults;
    const problems = problemsOf({ sourceArn: `arn:aws:rds:eu-west-1:${HOME}:snapshot:orders-1`, kmsKeyId: `arn:aws:kms:us-east-1:${HOME}:key/${KEY}`, s3Bucket: 'central' }, alone);
    expect(problems).toEqual([expect.stringContaining('is in eu-west-1, but this stack runs in us-east-1')]);
  });
});
