'use strict';

/**
 * A local osls plugin (issue 14): one deployment that exports the snapshots of many accounts and
 * Regions. With `memberAccounts` set it adds to the compiled template what the central side of the
 * trust chain needs; with `memberAccounts` empty it adds nothing, and the template is exactly the
 * one-account template.
 *
 *   function role --sts:AssumeRole--> member role (member/member-account.yml, in each member account)
 *     --rds:StartExportTask, iam:PassRole--> RDS --assumes--> member export role
 *     --s3:PutObject, kms:GenerateDataKey--> the central bucket and key (this stack's, or given ones)
 *
 * What it adds:
 * - MemberRolesAccess*: sts:AssumeRole on arn:<partition>:iam::<each member>:role/<memberRoleName>
 *   and nothing else, for every function role that calls RDS (a managed policy shared by those roles;
 *   one per MEMBERS_PER_POLICY accounts, so that the list never crowds a role's inline policies).
 * - MemberEventsPolicy: the default event bus lets the members' forwarding rules (named
 *   <memberRoleName>-rds-events, in memberRegions) put events. The stack's snapshot and export rules are
 *   on the default bus and match aws.rds events whatever their account, so no rule is added.
 * - Statements in the stack's own export key and bucket policies (when the stack creates them) for
 *   the member export roles and the member roles: restricted to the member accounts, or to the
 *   organisation (organizationId) whose accounts have a role of that name.
 * - The other member Regions in the function roles' statements: their own account's RDS there, and with
 *   `{region}` in exportBucket / kmsKeyArn each Region's bucket and key (addOtherRegions).
 * - Outputs MemberTrustedRoleArns, MemberEventBusArn, MemberExportBucketArn, MemberExportKeyArn: the
 *   StackSet's parameters (docs/organisation.md).
 *
 * What it adds is checked by test/packaging-member.test.ts; the member template by the same file.
 */

const { objectsPattern } = require('./resolvers.cjs');

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** A managed policy holds at most 6,144 characters: 80 role ARNs of ~60 characters leave room. */
const MEMBERS_PER_POLICY = 80;
/** A role takes at most 10 managed policies (IAM's default quota); the function roles have none of their own. */
const MAX_MEMBER_POLICIES = 10;

/** The member template's rule that forwards a member's events (member/member-account.yml ForwardRdsEvents). */
const forwardingRuleName = (memberRoleName) => `${memberRoleName}-rds-events`;

/** What the export role may do on the export key (serverless.yml ExportRoleAccess, rds-export-output.md section 5). */
const EXPORT_ROLE_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:DescribeKey',
  'kms:RetireGrant',
];

function splitList(value) {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * The organisation settings from serverless.yml's custom.organisation (the params), checked: every
 * problem in one error, naming the param and what to give instead. `undefined` when memberAccounts is empty.
 */
function organisationSettings(raw, stackRegion) {
  const accounts = splitList(raw.memberAccounts);
  if (accounts.length === 0) return undefined;
  const regions = splitList(raw.memberRegions);
  const settings = {
    accounts,
    regions: regions.length > 0 ? regions : [stackRegion],
    memberRoleName: String(raw.memberRoleName ?? '').trim(),
    memberExportRoleName: String(raw.memberExportRoleName ?? '').trim(),
    organizationId: String(raw.organizationId ?? '').trim(),
    exportPrefix: String(raw.exportPrefix ?? ''),
    exportBucket: String(raw.exportBucket ?? '').trim(),
    kmsKeyArn: String(raw.kmsKeyArn ?? '').trim(),
    stackRegion,
  };
  const problems = [];
  const badAccounts = accounts.filter((account) => !ACCOUNT.test(account));
  if (badAccounts.length > 0) problems.push(`memberAccounts has ${badAccounts.map((a) => JSON.stringify(a)).join(', ')}: give 12-digit account ids, comma-separated`);
  const repeated = accounts.filter((account, index) => accounts.indexOf(account) !== index);
  if (repeated.length > 0) problems.push(`memberAccounts lists ${[...new Set(repeated)].join(', ')} more than once`);
  if (accounts.length > MEMBERS_PER_POLICY * MAX_MEMBER_POLICIES) {
    problems.push(`memberAccounts lists ${accounts.length} accounts, more than ${MEMBERS_PER_POLICY * MAX_MEMBER_POLICIES}: deploy one orchestrator per group of accounts`);
  }
  const badRegions = settings.regions.filter((region) => !REGION.test(region));
  if (badRegions.length > 0) problems.push(`memberRegions has ${badRegions.map((r) => JSON.stringify(r)).join(', ')}: give Region codes such as eu-west-1, comma-separated`);
  // The member template names its forwarding rule <memberRoleName>-rds-events (a rule name has 64 characters at most).
  if (!ROLE_NAME.test(settings.memberRoleName) || settings.memberRoleName.length > 53) problems.push(`memberRoleName ${JSON.stringify(settings.memberRoleName)} is not an IAM role name of at most 53 characters`);
  if (!ROLE_NAME.test(settings.memberExportRoleName)) problems.push(`memberExportRoleName ${JSON.stringify(settings.memberExportRoleName)} is not an IAM role name`);
  if (settings.memberRoleName === settings.memberExportRoleName) problems.push('memberRoleName and memberExportRoleName must differ (RDS assumes one, the orchestrator the other)');
  if (settings.organizationId !== '' && !ORGANIZATION_ID.test(settings.organizationId)) problems.push(`organizationId ${JSON.stringify(settings.organizationId)} is not an AWS Organizations id (o-...)`);
  if (problems.length > 0) {
    throw new Error(`Organisation parameters: ${problems.join('; ')}. See docs/organisation.md.`);
  }
  return settings;
}

const sub = (text) => ({ 'Fn::Sub': text });
const roleArnIn = (account, roleName) => sub(`arn:\${AWS::Partition}:iam::${account}:role/${roleName}`);

/**
 * Who, in the member accounts, a resource policy admits: the accounts named (their roots, narrowed to
 * one role name by aws:PrincipalArn), or with organizationId any account of the organisation with that role.
 */
function memberPrincipals(settings, roleName) {
  if (settings.organizationId !== '') {
    return {
      Principal: { AWS: '*' },
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': settings.organizationId },
        ArnLike: { 'aws:PrincipalArn': sub(`arn:\${AWS::Partition}:iam::*:role/${roleName}`) },
      },
    };
  }
  return {
    Principal: { AWS: settings.accounts.map((account) => sub(`arn:\${AWS::Partition}:iam::${account}:root`)) },
    Condition: { ArnEquals: { 'aws:PrincipalArn': settings.accounts.map((account) => roleArnIn(account, roleName)) } },
  };
}

/** A statement with extra conditions merged into those of memberPrincipals. */
function memberStatement(settings, roleName, statement, extraCondition = {}) {
  const { Principal, Condition } = memberPrincipals(settings, roleName);
  return { ...statement, Principal, Condition: { ...Condition, ...extraCondition } };
}

const grantsForAwsResources = { Bool: { 'kms:GrantIsForAWSResource': 'true' } };

function listStatements(document) {
  if (!Array.isArray(document.Statement)) document.Statement = document.Statement ? [document.Statement] : [];
  return document.Statement;
}

const callsRds = (document) => listStatements(document ?? {}).some((statement) => [statement.Action].flat().some((action) => String(action).startsWith('rds:')));

/**
 * The function roles whose policies (inline, or AWS::IAM::RolePolicy attached) call RDS: they run those calls
 * in the member accounts now. Found in the template, so that a function that starts calling RDS (verifyExport
 * with retainExports, which lists the export history) assumes the member roles too.
 */
function rdsCallingRoles(template) {
  const attached = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::RolePolicy' && callsRds(resource.Properties?.PolicyDocument))
    .map((resource) => resource.Properties?.RoleName?.Ref);
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
    .filter(([, resource]) => JSON.stringify(resource.Properties?.AssumeRolePolicyDocument ?? {}).includes('lambda.amazonaws.com'))
    .filter(([logicalId, resource]) => attached.includes(logicalId) || (resource.Properties?.Policies ?? []).some((policy) => callsRds(policy.PolicyDocument)))
    .map(([logicalId]) => logicalId)
    .sort();
}

/**
 * The orchestrator's own account in the other member Regions, and the buckets and keys named by Region
 * (`{region}` in exportBucket / kmsKeyArn): the function roles' statements name the stack's Region only
 * (`${AWS::Region}`), so each gets the same resources in the other Regions — the RDS ARNs of its own
 * account (it is reached without a role), and the bucket and key of each Region, read through S3 there.
 */
function addOtherRegions(template, settings) {
  const others = settings.regions.filter((region) => region !== settings.stackRegion);
  if (others.length === 0) return;
  const bucketByRegion = settings.exportBucket.includes('{region}');
  const keyByRegion = settings.kmsKeyArn.includes('{region}');
  const regional = (region, resource) => {
    const text = JSON.stringify(resource);
    const sub = resource?.['Fn::Sub'];
    if (typeof sub === 'string' && sub.includes(':rds:${AWS::Region}:')) return [{ 'Fn::Sub': sub.replaceAll(':rds:${AWS::Region}:', `:rds:${region}:`) }];
    if (bucketByRegion && Array.isArray(sub) && text.includes('"ExportBucketName"') && sub[0].includes('${Bucket}')) {
      return [{ 'Fn::Sub': sub[0].replaceAll('${Bucket}', settings.exportBucket.replaceAll('{region}', region)) }];
    }
    if (keyByRegion && text.includes('"KmsKeyArn"') && !text.includes('"ExportBucketName"')) return [settings.kmsKeyArn.replaceAll('{region}', region)];
    return [];
  };
  const documents = Object.values(template.Resources).flatMap((resource) =>
    resource.Type === 'AWS::IAM::Role'
      ? (resource.Properties?.Policies ?? []).map((policy) => policy.PolicyDocument)
      : resource.Type === 'AWS::IAM::RolePolicy'
        ? [resource.Properties?.PolicyDocument]
        : [],
  );
  for (const statement of documents.filter(Boolean).flatMap(listStatements)) {
    const resources = [statement.Resource].flat().filter((resource) => resource !== undefined && resource !== '*');
    const added = others.flatMap((region) => resources.flatMap((resource) => regional(region, resource)));
    if (added.length === 0) continue;
    statement.Resource = [...resources, ...added];
    // A key read through S3 is read through each Region's S3.
    const viaService = statement.Condition?.StringEquals?.['kms:ViaService'];
    if (viaService?.['Fn::Sub'] === 's3.${AWS::Region}.amazonaws.com') {
      statement.Condition.StringEquals['kms:ViaService'] = [viaService, ...others.map((region) => ({ 'Fn::Sub': `s3.${region}.\${AWS::URLSuffix}` }))];
    }
  }
}

/** Adds the organisation's resources, statements and outputs to a compiled template (in place). */
function addOrganisation(template, settings) {
  const resources = template.Resources;
  const roles = rdsCallingRoles(template);
  if (roles.length === 0) throw new Error('Organisation: no function role calls RDS, so none would assume the member roles');

  // 1. The function roles may assume the member role of each member account, and no other role.
  for (let start = 0, index = 1; start < settings.accounts.length; start += MEMBERS_PER_POLICY, index++) {
    resources[index === 1 ? 'MemberRolesAccess' : `MemberRolesAccess${index}`] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description: sub(`The export orchestrator \${AWS::StackName}'s functions assume the member role of each member account (${index})`),
        Roles: roles.map((role) => ({ Ref: role })),
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AssumeMemberRoles',
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: settings.accounts.slice(start, start + MEMBERS_PER_POLICY).map((account) => roleArnIn(account, settings.memberRoleName)),
            },
          ],
        },
      },
    };
  }

  addOtherRegions(template, settings);

  // 2. The members' forwarding rules, and nothing else of theirs, may put events on the default bus.
  const busArn = sub('arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default');
  const rules = settings.regions.map((region) => sub(`arn:\${AWS::Partition}:events:${region}:*:rule/${forwardingRuleName(settings.memberRoleName)}`));
  const busPrincipals =
    settings.organizationId !== ''
      ? { Principal: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': settings.organizationId }, ArnLike: { 'aws:SourceArn': rules } } }
      : { Principal: { AWS: settings.accounts.map((account) => sub(`arn:\${AWS::Partition}:iam::${account}:root`)) }, Condition: { ArnLike: { 'aws:SourceArn': rules } } };
  resources.MemberEventsPolicy = {
    Type: 'AWS::Events::EventBusPolicy',
    Properties: {
      EventBusName: 'default',
      // Its own statement in the account's default bus policy (PutPermission), beside any other.
      StatementId: sub('${AWS::StackName}-members'),
      Statement: { Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn, ...busPrincipals },
    },
  };

  // 3. The stack's own key (when it creates one): the member export roles use it, the member roles let RDS hold grants on it.
  //    (In a key policy, Resource "*" is the key itself.)
  const key = resources.ExportKey;
  if (key?.Properties?.KeyPolicy) {
    listStatements(key.Properties.KeyPolicy).push(
      memberStatement(settings, settings.memberExportRoleName, { Sid: 'MemberExportRolesEncrypt', Effect: 'Allow', Action: EXPORT_ROLE_KEY_ACTIONS, Resource: '*' }),
      memberStatement(settings, settings.memberExportRoleName, { Sid: 'MemberExportRolesGrantsForRds', Effect: 'Allow', Action: 'kms:CreateGrant', Resource: '*' }, grantsForAwsResources),
      memberStatement(settings, settings.memberRoleName, { Sid: 'MemberRolesDescribe', Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' }),
      memberStatement(settings, settings.memberRoleName, { Sid: 'MemberRolesGrantForRds', Effect: 'Allow', Action: 'kms:CreateGrant', Resource: '*' }, grantsForAwsResources),
    );
  }

  // 4. The stack's own bucket (when it creates one): the member export roles write under the export prefix.
  const bucketPolicy = resources.ExportBucketPolicy;
  if (bucketPolicy?.Properties?.PolicyDocument) {
    listStatements(bucketPolicy.Properties.PolicyDocument).push(
      memberStatement(settings, settings.memberExportRoleName, {
        Sid: 'MemberExportRolesBucket',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation'],
        Resource: { 'Fn::GetAtt': ['ExportBucket', 'Arn'] },
      }),
      memberStatement(settings, settings.memberExportRoleName, {
        Sid: 'MemberExportRolesObjects',
        Effect: 'Allow',
        Action: ['s3:PutObject*', 's3:GetObject*', 's3:DeleteObject*'],
        Resource: sub(`\${ExportBucket.Arn}/${objectsPattern(settings.exportPrefix)}`),
      }),
    );
  }

  // 5. What the StackSet is given (docs/organisation.md): the roles to trust, the bus, the bucket and key.
  template.Outputs = template.Outputs || {};
  template.Outputs.MemberTrustedRoleArns = {
    Description: 'The function roles the member role trusts (member/member-account.yml OrchestratorRoleArns)',
    Value: { 'Fn::Join': [',', roles.map((role) => ({ 'Fn::GetAtt': [role, 'Arn'] }))] },
  };
  template.Outputs.MemberEventBusArn = { Description: 'The bus the members forward their RDS events to (CentralEventBusArn)', Value: busArn };
  if (template.Outputs.ExportBucketName) {
    template.Outputs.MemberExportBucketArn = {
      Description: "The export bucket of this stack's Region (one of ExportBucketArns)",
      Value: { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: template.Outputs.ExportBucketName.Value }] },
    };
  }
  if (template.Outputs.ExportKeyArn) {
    template.Outputs.MemberExportKeyArn = { Description: "The export key of this stack's Region (one of ExportKeyArns)", Value: template.Outputs.ExportKeyArn.Value };
  }
  return template;
}

class Organisation {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:aws:package:finalize:saveServiceState': () => this.addMembers() };
  }

  addMembers() {
    const { service } = this.serverless;
    let settings;
    try {
      settings = organisationSettings(service.custom?.organisation ?? {}, service.provider.region);
    } catch (error) {
      throw new this.serverless.classes.Error(error.message);
    }
    if (settings) addOrganisation(service.provider.compiledCloudFormationTemplate, settings);
  }
}

module.exports = Organisation;
module.exports.organisationSettings = organisationSettings;
module.exports.addOrganisation = addOrganisation;
module.exports.rdsCallingRoles = rdsCallingRoles;
module.exports.forwardingRuleName = forwardingRuleName;
module.exports.MEMBERS_PER_POLICY = MEMBERS_PER_POLICY;
