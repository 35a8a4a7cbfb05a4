/**
 * Organisation scale (issue 14), as deployed: the central stack packaged once with member accounts
 * and Regions (config/organisation.cjs adds the central side of the trust chain), and the member
 * template (member/member-account.yml, deployed as a StackSet in every member account and Region).
 * Both pass cfn-lint; no statement grants a wildcard action; the member role trusts the orchestrator's
 * function roles only; the forwarded events are exactly those the code reads; the bus, key and bucket
 * admit the members; and the chain closes: what the central stack outputs, fed to the member template,
 * gives the roles the central policies name.
 *
 * The default packaging (no members: the template is exactly the one-account template) is
 * test/packaging.test.ts; the organisation settings' errors are checked on config/organisation.cjs directly.
 */
import { createRequire } from 'node:module';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EXPORT_FINISHED_EVENTS, RDS_EVENT_DETAIL_TYPE } from '../shared/export-kinds/rds/events.ts';
import { SNAPSHOT_CREATED_EVENTS } from '../shared/triggers/snapshot-events.ts';
import {
  ACCOUNT,
  cfnLintAvailable,
  isCi,
  list,
  packageService,
  parseCfnYaml,
  policyStatements,
  startCfnLint,
  TemplateEvaluator,
  type CfnResource,
  type CfnTemplate,
  type FoundStatement,
} from './packaging-helpers.ts';

interface OrganisationModule {
  organisationSettings: (raw: Record<string, string>, stackRegion: string) => unknown;
  addOrganisation: (template: CfnTemplate, settings: unknown) => CfnTemplate;
  forwardingRuleName: (memberRoleName: string) => string;
  MEMBERS_PER_POLICY: number;
}
const organisation = createRequire(import.meta.url)('../config/organisation.cjs') as OrganisationModule;
type ResolveVariable = (address: string) => Promise<unknown>;
type Resolver = (context: { resolveVariable: ResolveVariable }) => Promise<unknown>;
const resolvers = createRequire(import.meta.url)('../config/resolvers.cjs') as Record<'exportBucketInStackRegion' | 'kmsKeyArnInStackRegion' | 'exportBucketSetting' | 'kmsKeyIdSetting', Resolver>;

const REPO_ROOT = resolve(import.meta.dirname, '..');
const MEMBER_TEMPLATE = join(REPO_ROOT, 'member/member-account.yml');
const STAGE = 'org';
const STACK = `export-orchestrator-${STAGE}`;
const REGION = 'us-east-1';
const MEMBERS = ['111111111111', '222222222222'];
const MEMBER_REGIONS = ['us-east-1', 'eu-west-1'];
const EXTERNAL_ID = 'acme-rds-exports';
const MEMBER_ROLE = 'export-orchestrator-member';
const MEMBER_EXPORT_ROLE = 'export-orchestrator-member-export';

/**
 * The functions that call RDS, and so assume the member roles (their roles' rds: actions, test/packaging.test.ts
 * FUNCTIONS). verifyExport joins them when retainExports > 0 (it lists the export history): the unit test below.
 */
const RDS_CALLING_ROLES = [
  'AdmitExportRole',
  'CancelExportRole',
  'DispatchExportsRole',
  'ExportEventRole',
  'PlanExportsRole',
  'PollExportRole',
  'ReconcileSnapshotsRole',
  'SnapshotTriggerRole',
  'StartExportRole',
];
/** Actions without a resource type in IAM: `Resource: "*"` is as narrow as they get. */
const UNSCOPABLE_MEMBER_ACTIONS = new Set(['rds:DescribeExportTasks', 'rds:CancelExportTask']);
/** What RDS asks of the export role (shared/reference/rds-export-output.md, section 5). */
const EXPORT_ROLE_S3 = ['s3:DeleteObject*', 's3:GetBucketLocation', 's3:GetObject*', 's3:ListBucket', 's3:PutObject*'];
const EXPORT_ROLE_KMS = [
  'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:RetireGrant',
];
/** The events the code acts on: export finished (shared/export-kinds/rds/events.ts) and snapshot created (shared/triggers/snapshot-events.ts). */
const FORWARDED_EVENT_IDS = [...Object.values(EXPORT_FINISHED_EVENTS).flatMap((ids) => Object.values(ids)), ...Object.keys(SNAPSHOT_CREATED_EVENTS)];

let packageDir: string;
let central: CfnTemplate;
let cfn: TemplateEvaluator;
let member: CfnTemplate;
const lintAvailable = cfnLintAvailable();
/** One cfn-lint run over the three templates: the member template, the central one with members, and its organizationId variant. */
let lint: ReturnType<typeof startCfnLint> | undefined;
/** The packaged template organised with organizationId (config/organisation.cjs on its own, no second packaging). */
let organisedByOrgId: CfnTemplate;

beforeAll(async () => {
  member = parseCfnYaml(await readFile(MEMBER_TEMPLATE, 'utf8'));
  ({ packageDir, template: central } = await packageService(
    REPO_ROOT,
    STAGE,
    [
      '--region', REGION,
      `--param=memberAccounts=${MEMBERS.join(',')}`,
      `--param=memberRegions=${MEMBER_REGIONS.join(',')}`,
      `--param=memberExternalId=${EXTERNAL_ID}`,
      '--param=selectionInclude=prod-*',
    ],
    180_000,
    inject('bundleCache'),
  ));
  cfn = new TemplateEvaluator(central, STACK);

  // The same compiled template with organizationId instead of the account list: the members' statements taken out, then organised again.
  const base = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  for (const id of Object.keys(base.Resources).filter((id) => id.startsWith('MemberRolesAccess') || id === 'MemberEventsPolicy')) delete base.Resources[id];
  for (const id of ['ExportKey', 'ExportBucketPolicy']) {
    const document = (base.Resources[id]!.Properties!.KeyPolicy ?? base.Resources[id]!.Properties!.PolicyDocument) as { Statement: { Sid?: string }[] };
    document.Statement = document.Statement.filter((s) => !s.Sid?.startsWith('Member'));
  }
  const settings = organisation.organisationSettings({ memberAccounts: MEMBERS.join(','), memberRegions: 'us-east-1', memberRoleName: MEMBER_ROLE, memberExportRoleName: MEMBER_EXPORT_ROLE, organizationId: 'o-abcdefghij', exportPrefix: '{sourceId}/{date}' }, REGION);
  organisedByOrgId = organisation.addOrganisation(base, settings);
  const organisedPath = join(packageDir, 'organised-by-org-id.json');
  await writeFile(organisedPath, JSON.stringify(organisedByOrgId));
  // One run for the three, in each member Region: cfn-lint's start is most of its time.
  if (lintAvailable) lint = startCfnLint([MEMBER_TEMPLATE, join(packageDir, 'cloudformation-template-update-stack.json'), organisedPath], ['--regions', ...MEMBER_REGIONS]);
}, 190_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

const resourcesOf = (template: CfnTemplate, type: string): [string, CfnResource][] => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const actionsOf = (statements: FoundStatement[]): string[] => [...new Set(statements.flatMap((s) => list(s.Action)))].sort();
const identityTypes = new Set(['AWS::IAM::Role', 'AWS::IAM::RolePolicy', 'AWS::IAM::ManagedPolicy']);
/** Allow statements of identity policies (not trust policies, not resource policies). */
const identityStatements = (template: CfnTemplate): FoundStatement[] =>
  policyStatements(template).filter((s) => s.Effect === 'Allow' && !s.where.includes('/AssumeRolePolicyDocument') && identityTypes.has(template.Resources[s.holder]!.Type));

/** cfn-lint's verdict on a template: nothing to report (CI must have cfn-lint; locally its absence skips the check). */
async function expectNothingReported(lint: ReturnType<typeof startCfnLint> | undefined): Promise<void> {
  expect(lintAvailable, 'cfn-lint is not on PATH; CI must have it (pip install cfn-lint)').toBe(true);
  const result = await lint!;

  expect(result.error).toBeUndefined();
  expect(result.output.trim()).toBe('');
  expect(result.status).toBe(0);
}

/** The member template as CloudFormation would resolve it in one member account and Region, given these parameters. */
function memberStack(region: string, account: string, parameters: Record<string, string>): { template: CfnTemplate; cfn: TemplateEvaluator } {
  const template = structuredClone(member);
  for (const [name, value] of Object.entries(parameters)) template.Parameters![name]!.Default = value;
  return { template, cfn: new TemplateEvaluator(template, `StackSet-export-orchestrator-members-${account}`, { partition: 'aws', region, account }) };
}

/** The StackSet's parameters, from the central stack's outputs (docs/organisation.md). */
function stackSetParameters(extra: Record<string, string> = {}): Record<string, string> {
  const output = (name: string) => cfn.string(central.Outputs?.[name]?.Value, `output ${name}`);
  return {
    OrchestratorRoleArns: output('MemberTrustedRoleArns'),
    CentralEventBusArn: output('MemberEventBusArn'),
    ExportBucketArns: output('MemberExportBucketArn'),
    ExportKeyArns: output('MemberExportKeyArn'),
    ExternalId: EXTERNAL_ID,
    PrimaryRegion: REGION,
    ...extra,
  };
}

describe('the member template (member/member-account.yml)', () => {
  it('grants no wildcard action, and Resource "*" only to the actions that have no resource type', () => {
    const allows = policyStatements(member).filter((s) => s.Effect === 'Allow');

    expect(allows.length).toBeGreaterThan(5);
    expect(allows.filter((s) => s.NotAction !== undefined || s.NotResource !== undefined).map((s) => s.where)).toEqual([]);
    expect(allows.flatMap((s) => list(s.Action).filter((a) => a === '*' || a.endsWith(':*')).map((a) => `${s.where}: ${a}`))).toEqual([]);
    const starred = identityStatements(member).filter((s) => list(s.Resource).includes('*'));
    expect(starred.flatMap((s) => list(s.Action).filter((a) => !UNSCOPABLE_MEMBER_ACTIONS.has(a)).map((a) => `${s.where}: ${a}`))).toEqual([]);
  });

  it('gives the member role exactly the RDS calls of the workflow, the export key for RDS, and the member export role to pass', () => {
    // Prepare: the RDS actions the central function roles call in their own account (the one-account design).
    const rdsActions = actionsOf(identityStatements(central)).filter((action) => action.startsWith('rds:'));
    const statements = identityStatements(member).filter((s) => s.holder === 'MemberRole');
    const { cfn: stack } = memberStack(REGION, MEMBERS[0]!, stackSetParameters());
    const byAction = (action: string) => statements.filter((s) => list(s.Action).includes(action));

    // Assess
    expect(rdsActions).toEqual(['rds:CancelExportTask', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBSnapshots', 'rds:DescribeExportTasks', 'rds:StartExportTask']);
    expect(actionsOf(statements)).toEqual([...rdsActions, 'iam:PassRole', 'kms:CreateGrant', 'kms:DescribeKey'].sort());
    expect(list(stack.value(byAction('rds:StartExportTask')[0]!.Resource)).sort()).toEqual(
      ['cluster', 'cluster-snapshot', 'snapshot'].map((type) => `arn:aws:rds:*:${MEMBERS[0]}:${type}:*`).sort(),
    );
    const [passRole] = byAction('iam:PassRole');
    expect(stack.value(passRole!.Resource)).toBe(`arn:aws:iam::${MEMBERS[0]}:role/${MEMBER_EXPORT_ROLE}`);
    expect(passRole!.Condition).toEqual({ StringEquals: { 'iam:PassedToService': ['rds.amazonaws.com', 'export.rds.amazonaws.com'] } });
    expect(byAction('kms:CreateGrant').map((s) => s.Condition)).toEqual([{ Bool: { 'kms:GrantIsForAWSResource': 'true' } }]);
    for (const s of [...byAction('kms:CreateGrant'), ...byAction('kms:DescribeKey')]) expect(stack.value(s.Resource), s.where).toEqual([cfn.getAtt('ExportKey', 'Arn')]);
  });

  it("lets only the orchestrator's function roles assume the member role, with the external id when one is given", () => {
    // Prepare: the StackSet given the central stack's outputs, with and without an external id and an organisation.
    const trust = (parameters: Record<string, string>) => {
      const { cfn: stack } = memberStack(REGION, MEMBERS[0]!, stackSetParameters(parameters));
      return stack.value(member.Resources.MemberRole!.Properties?.AssumeRolePolicyDocument) as { Statement: Record<string, unknown>[] };
    };
    const roleArns = RDS_CALLING_ROLES.map((role) => cfn.getAtt(role, 'Arn'));

    // Assess
    expect(trust({}).Statement).toEqual([
      {
        Sid: 'OrchestratorFunctionsOnly',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: 'sts:AssumeRole',
        Condition: { ArnEquals: { 'aws:PrincipalArn': roleArns }, StringEquals: { 'sts:ExternalId': EXTERNAL_ID } },
      },
    ]);
    expect(trust({ ExternalId: '' }).Statement[0]!.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': roleArns } });
    expect(trust({ ExternalId: '', OrganizationId: 'o-abcdefghij' }).Statement[0]!.Condition).toEqual({
      ArnEquals: { 'aws:PrincipalArn': roleArns },
      StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' },
    });
    expect(trust({ OrganizationId: 'o-abcdefghij' }).Statement[0]!.Condition).toMatchObject({ StringEquals: { 'sts:ExternalId': EXTERNAL_ID, 'aws:PrincipalOrgID': 'o-abcdefghij' } });
    // The operators' roles, when named, beside the functions' (the CLI across the members), and nobody else.
    const operator = `arn:aws:iam::${ACCOUNT}:role/rds-export-operators`;
    expect(trust({ OperatorRoleArns: operator }).Statement[0]!.Condition).toMatchObject({ ArnEquals: { 'aws:PrincipalArn': [...roleArns, operator] } });
  });

  it('lets RDS export, and only RDS export of this account, assume the member export role, which reaches the central buckets and keys', () => {
    const { cfn: stack } = memberStack(REGION, MEMBERS[0]!, stackSetParameters({ ExportBucketArns: 'arn:aws:s3:::central-us,arn:aws:s3:::central-eu' }));
    const role = member.Resources.MemberExportRole!;
    const statements = identityStatements(member).filter((s) => s.holder === 'MemberExportRole');

    expect(stack.value(role.Properties?.AssumeRolePolicyDocument)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'export.rds.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': MEMBERS[0] } } }],
    });
    expect(actionsOf(statements)).toEqual([...EXPORT_ROLE_S3, ...EXPORT_ROLE_KMS].sort());
    expect(statements.map((s) => stack.value(s.Resource))).toEqual([
      ['arn:aws:s3:::central-us', 'arn:aws:s3:::central-eu'],
      ['arn:aws:s3:::central-us/*', 'arn:aws:s3:::central-eu/*'],
      [cfn.getAtt('ExportKey', 'Arn')],
      [cfn.getAtt('ExportKey', 'Arn')],
    ]);
  });

  it('forwards exactly the snapshot-created and export-finished events the code reads, to the central bus, with a role that may put only there', () => {
    const rule = member.Resources.ForwardRdsEvents!;
    const pattern = rule.Properties?.EventPattern as { source: string[]; 'detail-type': string[]; detail: { EventID: string[] } };
    const { cfn: stack } = memberStack('eu-west-1', MEMBERS[1]!, stackSetParameters());
    const parameters = stackSetParameters();
    const forwarder = identityStatements(member).filter((s) => s.holder === 'ForwardEventsRole');

    expect(pattern.source).toEqual(['aws.rds']);
    expect([...pattern.detail.EventID].sort()).toEqual([...FORWARDED_EVENT_IDS].sort());
    expect(FORWARDED_EVENT_IDS).toHaveLength(14);
    expect([...pattern['detail-type']].sort()).toEqual(Object.values(RDS_EVENT_DETAIL_TYPE).sort());
    expect(stack.value(rule.Properties?.Name)).toBe(organisation.forwardingRuleName(MEMBER_ROLE));
    expect(stack.value(rule.Properties?.Targets)).toEqual([
      { Id: 'export-orchestrator', Arn: parameters.CentralEventBusArn, RoleArn: `arn:aws:iam::${MEMBERS[1]}:role/${MEMBER_ROLE}-events` },
    ]);
    expect(stack.value(member.Resources.ForwardEventsRole!.Properties?.RoleName)).toBe(`${MEMBER_ROLE}-events`);
    expect(JSON.stringify(member.Resources.ForwardEventsRole!.Properties?.AssumeRolePolicyDocument)).toContain('"Service":"events.amazonaws.com"');
    expect(forwarder.map((s) => [s.Action, stack.value(s.Resource)])).toEqual([['events:PutEvents', parameters.CentralEventBusArn]]);
  });

  it('creates the (global) roles in PrimaryRegion only and a forwarding rule in every Region, none in the orchestrator\'s own account and Region', () => {
    const primary = memberStack(REGION, MEMBERS[0]!, stackSetParameters()).cfn;
    const other = memberStack('eu-west-1', MEMBERS[0]!, stackSetParameters()).cfn;
    const orchestrators = memberStack(REGION, ACCOUNT, stackSetParameters()).cfn;
    const roles = resourcesOf(member, 'AWS::IAM::Role');

    expect(roles.map(([id]) => id).sort()).toEqual(['ForwardEventsRole', 'MemberExportRole', 'MemberRole']);
    for (const [id, role] of roles) {
      expect(role.Condition, id).toBe('InPrimaryRegion');
      expect([primary.condition('InPrimaryRegion'), other.condition('InPrimaryRegion')], id).toEqual([true, false]);
    }
    expect(member.Resources.ForwardRdsEvents!.Condition).toBe('ForwardsEvents');
    expect([primary.condition('ForwardsEvents'), other.condition('ForwardsEvents'), orchestrators.condition('ForwardsEvents')]).toEqual([true, true, false]);
    // Nothing of any one account: the StackSet deploys the same template everywhere.
    expect(JSON.stringify(member)).not.toMatch(/\d{12}/);
  });

  it("is given by docs/organisation.md's StackSet parameters file every parameter it requires, and none it lacks", async () => {
    // Prepare: the parameters file of the docs' create-stack-set command.
    const docs = await readFile(join(REPO_ROOT, 'docs/organisation.md'), 'utf8');
    const documented = [...docs.matchAll(/"ParameterKey": "(\w+)"/g)].map((match) => match[1]!);
    const parameters = member.Parameters as Record<string, { Default?: unknown }>;
    const required = Object.keys(parameters).filter((name) => parameters[name]!.Default === undefined);

    // Assess
    expect(documented.filter((name) => !(name in parameters)), 'documented but not in the template').toEqual([]);
    expect(required.filter((name) => !documented.includes(name)), 'required but not documented').toEqual([]);
    expect(Object.keys(stackSetParameters()).filter((name) => !documented.includes(name)), 'given by this test but not documented').toEqual([]);
  });

});

describe('the central stack with member accounts (config/organisation.cjs)', () => {
  it('lets every function that calls RDS assume the member role of each member account, and no other role', () => {
    const assumes = policyStatements(central).filter((s) => s.Effect === 'Allow' && !s.where.includes('/AssumeRolePolicyDocument') && list(s.Action).includes('sts:AssumeRole'));
    const policy = central.Resources.MemberRolesAccess!;

    expect(assumes.map((s) => s.holder)).toEqual(['MemberRolesAccess']);
    expect(assumes[0]).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole' });
    expect(cfn.value(assumes[0]!.Resource)).toEqual(MEMBERS.map((account) => `arn:aws:iam::${account}:role/${MEMBER_ROLE}`));
    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(policy.Properties?.Roles).toEqual(RDS_CALLING_ROLES.map((role) => ({ Ref: role })));
  });

  it("gives the functions that reach the members the members' settings (shared/runtime/config.ts membersConfigShape)", () => {
    // Prepare: every function given MEMBER_ACCOUNTS, with its environment and its role.
    const functions = resourcesOf(central, 'AWS::Lambda::Function')
      .map(([id, fn]) => ({ id, role: (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0], env: (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables }))
      .filter(({ env }) => 'MEMBER_ACCOUNTS' in env);
    const assuming = (central.Resources.MemberRolesAccess!.Properties?.Roles as { Ref: string }[]).map((role) => role.Ref);

    // Assess
    expect(functions.length).toBeGreaterThan(0);
    for (const { id, role, env } of functions) {
      expect(env, id).toMatchObject({
        MEMBER_ACCOUNTS: MEMBERS.join(','),
        MEMBER_REGIONS: MEMBER_REGIONS.join(','),
        MEMBER_ROLE_NAME: MEMBER_ROLE,
        MEMBER_EXPORT_ROLE_NAME: MEMBER_EXPORT_ROLE,
        MEMBER_EXTERNAL_ID: EXTERNAL_ID,
        ORCHESTRATOR_ACCOUNT: { Ref: 'AWS::AccountId' },
      });
      // A function that reads the members and calls RDS may assume their roles.
      if (RDS_CALLING_ROLES.includes(role)) expect(assuming, id).toContain(role);
    }
  });

  it('grants no wildcard action, and no new Resource "*" in an identity policy', () => {
    const allows = policyStatements(central).filter((s) => s.Effect === 'Allow');
    const added = ['MemberRolesAccess', 'MemberEventsPolicy'];

    expect(allows.flatMap((s) => list(s.Action).filter((a) => a === '*' || a.endsWith(':*')).map((a) => `${s.where}: ${a}`))).toEqual([]);
    expect(allows.filter((s) => added.includes(s.holder) && list(s.Resource).includes('*')).map((s) => s.where)).toEqual([]);
  });

  it("lets the members' forwarding rules, in the member Regions, put events on the default bus, where the export and snapshot rules match them", () => {
    const [statement, ...others] = policyStatements(central).filter((s) => s.holder === 'MemberEventsPolicy');
    const policy = central.Resources.MemberEventsPolicy!;
    const rules = resourcesOf(central, 'AWS::Events::Rule').map(([, rule]) => rule.Properties ?? {});
    const rdsRules = rules.filter((rule) => JSON.stringify(rule.EventPattern ?? {}).includes('"aws.rds"'));

    expect(others).toEqual([]);
    expect(policy.Properties).toMatchObject({ EventBusName: 'default' });
    expect(cfn.value(statement!.Resource)).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`);
    expect(cfn.value((statement as { Principal?: unknown }).Principal)).toEqual({ AWS: MEMBERS.map((account) => `arn:aws:iam::${account}:root`) });
    expect(statement!.Action).toBe('events:PutEvents');
    expect(cfn.value(statement!.Condition)).toEqual({
      ArnLike: { 'aws:SourceArn': MEMBER_REGIONS.map((region) => `arn:aws:events:${region}:*:rule/${organisation.forwardingRuleName(MEMBER_ROLE)}`) },
    });
    // The forwarded events arrive on the default bus with their own account: the rules there must not filter on it.
    expect(rdsRules).toHaveLength(2);
    for (const rule of rdsRules) {
      expect(rule.EventBusName).toBeUndefined();
      expect(Object.keys(rule.EventPattern as object).sort()).toEqual(['detail', 'detail-type', 'source']);
    }
  });

  it("lets the member export roles use the stack's key and the member roles let RDS hold grants on it, nobody else of the members", () => {
    const statements = policyStatements(central).filter((s) => s.holder === 'ExportKey' && s.Sid?.startsWith('Member'));
    const principals = MEMBERS.map((account) => `arn:aws:iam::${account}:root`);
    const roles = (name: string) => MEMBERS.map((account) => `arn:aws:iam::${account}:role/${name}`);
    const grant = { Bool: { 'kms:GrantIsForAWSResource': 'true' } };

    expect(statements.map((s) => [s.Sid, cfn.value((s as { Principal?: unknown }).Principal), actionsOf([s]), cfn.value(s.Condition)])).toEqual([
      ['MemberExportRolesEncrypt', { AWS: principals }, EXPORT_ROLE_KMS.filter((a) => a !== 'kms:CreateGrant'), { ArnEquals: { 'aws:PrincipalArn': roles(MEMBER_EXPORT_ROLE) } }],
      ['MemberExportRolesGrantsForRds', { AWS: principals }, ['kms:CreateGrant'], { ArnEquals: { 'aws:PrincipalArn': roles(MEMBER_EXPORT_ROLE) }, ...grant }],
      ['MemberRolesDescribe', { AWS: principals }, ['kms:DescribeKey'], { ArnEquals: { 'aws:PrincipalArn': roles(MEMBER_ROLE) } }],
      ['MemberRolesGrantForRds', { AWS: principals }, ['kms:CreateGrant'], { ArnEquals: { 'aws:PrincipalArn': roles(MEMBER_ROLE) }, ...grant }],
    ]);
  });

  it("lets the member export roles write the stack's bucket under the export prefix, and list it", () => {
    const statements = policyStatements(central).filter((s) => s.holder === 'ExportBucketPolicy' && s.Sid?.startsWith('Member'));
    const bucket = cfn.getAtt('ExportBucket', 'Arn');
    const exportRoles = MEMBERS.map((account) => `arn:aws:iam::${account}:role/${MEMBER_EXPORT_ROLE}`);

    expect(actionsOf(statements)).toEqual(EXPORT_ROLE_S3);
    expect(statements.map((s) => cfn.value(s.Resource))).toEqual([bucket, `${bucket}/*`]);
    for (const s of statements) expect(cfn.value(s.Condition), s.Sid).toEqual({ ArnEquals: { 'aws:PrincipalArn': exportRoles } });
    // The TLS-only deny stays first.
    expect(policyStatements(central).filter((s) => s.holder === 'ExportBucketPolicy')[0]).toMatchObject({ Sid: 'TlsOnly', Effect: 'Deny' });
  });

  it('closes the trust chain: the roles the central policies name are those the StackSet, given the central outputs, creates', () => {
    // Act: the StackSet in each member's primary Region, given the central stack's outputs.
    for (const account of MEMBERS) {
      const { template, cfn: stack } = memberStack(REGION, account, stackSetParameters());
      const memberRole = `arn:aws:iam::${account}:role/${stack.value(template.Resources.MemberRole!.Properties?.RoleName)}`;
      const exportRole = `arn:aws:iam::${account}:role/${stack.value(template.Resources.MemberExportRole!.Properties?.RoleName)}`;
      const keyPolicy = JSON.stringify(cfn.value(central.Resources.ExportKey!.Properties?.KeyPolicy));
      const bucketPolicy = JSON.stringify(cfn.value(central.Resources.ExportBucketPolicy!.Properties?.PolicyDocument));
      const trusted = (stack.value(template.Resources.MemberRole!.Properties?.AssumeRolePolicyDocument) as { Statement: { Condition: { ArnEquals: Record<string, string[]> } }[] })
        .Statement[0]!.Condition.ArnEquals['aws:PrincipalArn'];

      // Assess: function role -> member role -> (RDS) -> member export role -> central key and bucket.
      expect(cfn.value(central.Resources.MemberRolesAccess!.Properties?.PolicyDocument)).toMatchObject({ Statement: [{ Resource: expect.arrayContaining([memberRole]) }] });
      expect(trusted).toEqual(RDS_CALLING_ROLES.map((role) => cfn.getAtt(role, 'Arn')));
      expect(keyPolicy).toContain(exportRole);
      expect(keyPolicy).toContain(memberRole);
      expect(bucketPolicy).toContain(exportRole);
      expect(stack.value(template.Resources.ForwardRdsEvents!.Properties?.Name)).toBe(organisation.forwardingRuleName(MEMBER_ROLE));
    }
  });

  it('restricts the bus, key and bucket to the organisation instead of listing the accounts when organizationId is set', () => {
    // Prepare: the same compiled template, organised by organisation id instead (beforeAll: organisedByOrgId).
    const organised = organisedByOrgId;
    const byOrg = new TemplateEvaluator(organised, STACK);
    const memberStatements = policyStatements(organised).filter((s) => s.holder === 'MemberEventsPolicy' || s.Sid?.startsWith('Member'));

    // Assess: any principal of the organisation, and in it only the named role (or rule).
    expect(memberStatements).toHaveLength(7);
    for (const s of memberStatements) {
      const { Principal, Condition } = byOrg.value({ Principal: (s as { Principal?: unknown }).Principal, Condition: s.Condition }) as { Principal: unknown; Condition: Record<string, Record<string, unknown>> };
      expect(Principal === '*' || JSON.stringify(Principal) === '{"AWS":"*"}', s.where).toBe(true);
      expect(Condition.StringEquals?.['aws:PrincipalOrgID'], s.where).toBe('o-abcdefghij');
      expect(Condition.ArnLike?.['aws:PrincipalArn'] ?? Condition.ArnLike?.['aws:SourceArn'], s.where).toBeDefined();
    }
    // The roles assumed are still named one by one: no account wildcard in an identity policy.
    expect(byOrg.value(organised.Resources.MemberRolesAccess!.Properties?.PolicyDocument)).toMatchObject({
      Statement: [{ Resource: MEMBERS.map((account) => `arn:aws:iam::${account}:role/${MEMBER_ROLE}`) }],
    });
    // cfn-lint checks this variant too (the cfn-lint test below).
  });

  it('outputs what the StackSet is given: the trusted roles, the bus, the bucket and the key', () => {
    expect(stackSetParameters()).toMatchObject({
      OrchestratorRoleArns: RDS_CALLING_ROLES.map((role) => cfn.getAtt(role, 'Arn')).join(','),
      CentralEventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      ExportBucketArns: cfn.getAtt('ExportBucket', 'Arn'),
      ExportKeyArns: cfn.getAtt('ExportKey', 'Arn'),
    });
  });

  describe('cfn-lint', () => {
    it.skipIf(!lintAvailable && !isCi())(
      'finds nothing to report in the member template, the central template with members and its organizationId variant, in each member Region',
      async () => {
        await expectNothingReported(lint);
      },
      150_000,
    );
  });
});

describe('organisation parameters (config/organisation.cjs)', () => {
  const settingsOf = (raw: Record<string, string>) =>
    organisation.organisationSettings({ memberRoleName: MEMBER_ROLE, memberExportRoleName: MEMBER_EXPORT_ROLE, exportPrefix: '', ...raw }, REGION) as
      | { accounts: string[]; regions: string[] }
      | undefined;

  it('adds nothing when memberAccounts is empty', () => {
    expect(settingsOf({ memberAccounts: '' })).toBeUndefined();
    expect(settingsOf({ memberAccounts: ' , ' })).toBeUndefined();
  });

  it("reads the lists, the stack's Region standing in for memberRegions", () => {
    expect(settingsOf({ memberAccounts: ' 111111111111, 222222222222 ', memberRegions: '' })).toMatchObject({ accounts: MEMBERS, regions: [REGION] });
    expect(settingsOf({ memberAccounts: '111111111111', memberRegions: 'eu-west-1,ap-southeast-2' })).toMatchObject({ regions: ['eu-west-1', 'ap-southeast-2'] });
  });

  it('refuses what would not deploy, naming every parameter at fault in one error', () => {
    const attempt = () =>
      settingsOf({ memberAccounts: '1111,222222222222,222222222222', memberRegions: 'Europe', memberRoleName: 'bad name', organizationId: 'acme' });

    expect(attempt).toThrow(/memberAccounts has "1111".*memberAccounts lists 222222222222 more than once.*memberRegions has "Europe".*memberRoleName "bad name".*organizationId "acme"/);
    expect(() => settingsOf({ memberAccounts: '111111111111', memberExportRoleName: MEMBER_ROLE })).toThrow(/must differ/);
    // The member template's forwarding rule, <memberRoleName>-rds-events, has a 64-character name at most.
    expect(() => settingsOf({ memberAccounts: '111111111111', memberRoleName: 'r'.repeat(54) })).toThrow(/at most 53 characters/);
    expect(settingsOf({ memberAccounts: '111111111111', memberRoleName: 'r'.repeat(53) })).toBeDefined();
  });

  it('gives the member roles to every function role that calls RDS, by an inline or an attached policy, and to no other', () => {
    const lambdaTrust = { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const policy = (action: string) => ({ Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
    const template: CfnTemplate = {
      Resources: {
        StartExportRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust, Policies: [{ PolicyName: 'p', PolicyDocument: policy('rds:StartExportTask') }] } },
        VerifyExportRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust, Policies: [{ PolicyName: 'p', PolicyDocument: policy('s3:GetObject') }] } },
        VerifyExportRetention: { Type: 'AWS::IAM::RolePolicy', Properties: { RoleName: { Ref: 'VerifyExportRole' }, PolicyName: 'r', PolicyDocument: policy('rds:DescribeExportTasks') } },
        NotifyRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust, Policies: [{ PolicyName: 'p', PolicyDocument: policy('sns:Publish') }] } },
        ExportRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'export.rds.amazonaws.com' }, Action: 'sts:AssumeRole' }] } } },
      },
    };

    organisation.addOrganisation(template, settingsOf({ memberAccounts: '111111111111' }));

    expect(template.Resources.MemberRolesAccess!.Properties?.Roles).toEqual([{ Ref: 'StartExportRole' }, { Ref: 'VerifyExportRole' }]);
  });

  it("gives admit the bucket and key templates that hold {region} (with members), and the stack its own Region's", async () => {
    // Prepare: serverless.yml's variables as osls resolves them.
    const context = (values: Record<string, string>) => ({
      resolveVariable: async (address: string) => (address === 'self:provider.region' ? 'eu-west-1' : values[address.replace(/^param:/, '')] ?? ''),
    });
    const regional = { exportBucket: 'acme-exports-{region}', kmsKeyArn: 'arn:aws:kms:{region}:999999999999:key/mrk-1234abcd12ab34cd56ef1234567890ab' };

    // Act / Assess: the CloudFormation parameters (the stack's own IAM, outputs) name the stack's Region's bucket and key.
    expect(await resolvers.exportBucketInStackRegion(context(regional))).toBe('acme-exports-eu-west-1');
    expect(await resolvers.kmsKeyArnInStackRegion(context(regional))).toBe('arn:aws:kms:eu-west-1:999999999999:key/mrk-1234abcd12ab34cd56ef1234567890ab');
    // admit renders the template for each source's Region (shared/export-kinds/rds/request.ts), with members only.
    expect(await resolvers.exportBucketSetting(context({ ...regional, memberAccounts: '111111111111' }))).toBe('acme-exports-{region}');
    expect(await resolvers.kmsKeyIdSetting(context({ ...regional, memberAccounts: '111111111111' }))).toBe(regional.kmsKeyArn);
    expect(await resolvers.exportBucketSetting(context(regional))).toEqual({ Ref: 'ExportBucketName' });
    expect(await resolvers.exportBucketSetting(context({ exportBucket: 'acme-exports', memberAccounts: '111111111111' }))).toEqual({ Ref: 'ExportBucketName' });
    expect(await resolvers.kmsKeyIdSetting(context({ kmsKeyArn: '', memberAccounts: '111111111111' }))).toEqual({ Ref: 'KmsKeyArn' });
  });

  it("gives the function roles the other member Regions: their own account's RDS there, and the bucket and key of each Region by name", () => {
    // Prepare: the three shapes of statement the template has (serverless.yml, config/verify-resources.cjs).
    const bucket = { 'Fn::If': ['CreateExportBucket', { Ref: 'ExportBucket' }, { Ref: 'ExportBucketName' }] };
    const key = { 'Fn::If': ['CreateExportKey', { 'Fn::GetAtt': ['ExportKey', 'Arn'] }, { Ref: 'KmsKeyArn' }] };
    const start = { Sid: 'StartExport', Effect: 'Allow', Action: 'rds:StartExportTask', Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:snapshot:*' }] };
    const read = { Sid: 'ReadExports', Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}/*', { Bucket: bucket }] } };
    const decrypt = { Sid: 'DecryptExports', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key, Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } } };
    const publish = { Sid: 'Publish', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: 'NotificationTopic' } };
    const lambdaTrust = { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    const template: CfnTemplate = {
      Resources: {
        StartExportRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: lambdaTrust, Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [start, publish] } }] } },
        VerifyExportDataAccess: { Type: 'AWS::IAM::RolePolicy', Properties: { RoleName: { Ref: 'VerifyExportRole' }, PolicyName: 'd', PolicyDocument: { Statement: [read, decrypt] } } },
      },
    };
    const keyTemplate = 'arn:aws:kms:{region}:999999999999:key/mrk-1234abcd12ab34cd56ef1234567890ab';

    // Act: the stack in us-east-1 serving eu-west-1 too, with a bucket and a multi-Region key per Region.
    organisation.addOrganisation(template, {
      ...(settingsOf({ memberAccounts: '111111111111', memberRegions: 'us-east-1,eu-west-1' }) as object),
      exportBucket: 'acme-exports-{region}',
      kmsKeyArn: keyTemplate,
    });
    const evaluate = new TemplateEvaluator({ ...template, Parameters: { ExportBucketName: { Default: 'acme-exports-us-east-1' }, KmsKeyArn: { Default: keyTemplate.replace('{region}', 'us-east-1') } }, Conditions: { CreateExportBucket: false, CreateExportKey: false } }, STACK);

    // Assess
    expect(evaluate.value(start.Resource)).toEqual([`arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:*`, `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:*`]);
    expect(evaluate.value(read.Resource)).toEqual(['arn:aws:s3:::acme-exports-us-east-1/*', 'arn:aws:s3:::acme-exports-eu-west-1/*']);
    expect(evaluate.value(decrypt.Resource)).toEqual(['us-east-1', 'eu-west-1'].map((region) => keyTemplate.replace('{region}', region)));
    expect(evaluate.value(decrypt.Condition)).toEqual({ StringEquals: { 'kms:ViaService': ['s3.us-east-1.amazonaws.com', 's3.eu-west-1.amazonaws.com'] } });
    expect(publish.Resource).toEqual({ Ref: 'NotificationTopic' });
  });

  it(`splits the member roles over managed policies of ${organisation.MEMBERS_PER_POLICY} accounts (IAM's 6,144-character limit)`, () => {
    // Prepare: a minimal template with one RDS-calling function role.
    const accounts = Array.from({ length: organisation.MEMBERS_PER_POLICY + 5 }, (_, i) => String(100000000000 + i));
    const template: CfnTemplate = {
      Resources: {
        StartExportRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
            Policies: [{ PolicyName: 'start', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'rds:StartExportTask', Resource: '*' }] } }],
          },
        },
      },
    };

    // Act
    organisation.addOrganisation(template, settingsOf({ memberAccounts: accounts.join(',') }));
    const policies = resourcesOf(template, 'AWS::IAM::ManagedPolicy');

    // Assess
    expect(policies.map(([id]) => id)).toEqual(['MemberRolesAccess', 'MemberRolesAccess2']);
    const sizes = policies.map(([, p]) => JSON.stringify(new TemplateEvaluator(template, STACK).value(p.Properties?.PolicyDocument)).length);
    expect(Math.max(...sizes)).toBeLessThan(6144);
    expect(policies.flatMap(([, p]) => (p.Properties?.PolicyDocument as { Statement: { Resource: unknown[] }[] }).Statement[0]!.Resource)).toHaveLength(accounts.length);
  });
});
