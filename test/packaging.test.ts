/**
 * Packages the service exactly as a deploy would (`serverless package`, osls + serverless-esbuild +
 * serverless-step-functions), once, without AWS credentials, and checks what would be deployed:
 * the Lambda bundles, the state machine definition, least-privilege IAM, encryption, and cfn-lint.
 *
 * cfn-lint (pip install cfn-lint) is optional locally, where its check is skipped with a warning;
 * on CI (CI set) a missing cfn-lint fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const require = createRequire(import.meta.url);
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
const validateAsl = require('asl-validator') as AslValidator;

interface Resolvers {
  subscriptions: (context: { resolveVariable: (address: string) => Promise<unknown> }) => Promise<{ Resources?: Record<string, CfnResource> }>;
  objectsPattern: (template: string) => string;
}
const resolvers = require('../config/resolvers.cjs') as Resolvers;

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, '..');
const PACKAGE_TIMEOUT_MS = 180_000;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

interface CfnResource {
  Type: string;
  Condition?: string;
  Properties?: Record<string, unknown>;
}
interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
  Conditions?: Record<string, unknown>;
}
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
}
interface FoundStatement extends Statement {
  where: string;
}

const FUNCTIONS = {
  startExport: { logicalId: 'StartExportLambdaFunction', handler: 'functions/start-export/handler.handler', role: 'StartExportRole', sdkOperation: 'StartExportTask' },
  pollExport: { logicalId: 'PollExportLambdaFunction', handler: 'functions/poll-export/handler.handler', role: 'PollExportRole', sdkOperation: 'DescribeExportTasks' },
  cancelExport: { logicalId: 'CancelExportLambdaFunction', handler: 'functions/cancel-export/handler.handler', role: 'CancelExportRole', sdkOperation: 'CancelExportTask' },
  notify: { logicalId: 'NotifyLambdaFunction', handler: 'functions/notify/handler.handler', role: 'NotifyRole', sdkOperation: 'Publish' },
} as const;

/** Stand-ins for environment values that CloudFormation only resolves at deploy time (Ref, GetAtt, Fn::If, Fn::Sub). */
const DEPLOY_TIME_VALUES: Record<string, string> = {
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/export`,
  EXPORT_KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
  TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:export-orchestrator-test`,
};

/** The export role ARN as the template refers to it: the stack's own role, or the one given. */
const EXPORT_ROLE_REF = { 'Fn::If': ['CreateExportRole', { 'Fn::GetAtt': ['ExportRole', 'Arn'] }, { Ref: 'ExportRoleArn' }] };

let packageDir: string;
let template: CfnTemplate;

beforeAll(async () => {
  // Prepare: an empty package directory and an environment in which no AWS credentials can be found.
  packageDir = await mkdtemp(join(tmpdir(), 'export-orchestrator-package-'));
  // Act: package once for the whole file.
  try {
    await run(
      'npx',
      ['--no', '--', 'serverless', 'package', '--stage', 'test', '--region', REGION, '--package', packageDir],
      { cwd: REPO_ROOT, env: credentialFreeEnv(packageDir), timeout: PACKAGE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package failed:\n${stdout}\n${stderr}`, { cause: error });
  }
  template = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
}, PACKAGE_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

describe('serverless package', () => {
  describe('Lambda functions', () => {
    it.each(Object.entries(FUNCTIONS))('packages %s as an arm64 nodejs22.x function with an ESM (.mjs) bundle', async (name, fn) => {
      // Prepare
      const lambda = resource(fn.logicalId, 'AWS::Lambda::Function');
      const properties = lambda.Properties ?? {};
      const zipPath = join(packageDir, `${name}.zip`);

      // Assess: the function definition
      expect(properties.Runtime).toBe('nodejs22.x');
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.Handler).toBe(fn.handler);
      expect(properties.MemorySize).toBe(256);
      expect(properties.Timeout).toBe(30);
      expect(properties.FunctionName).toBe(`export-orchestrator-test-${name}`);
      expect(properties.Role).toEqual({ 'Fn::GetAtt': [fn.role, 'Arn'] });
      expect(JSON.stringify(properties.Code)).toContain(`${name}.zip`);
      expect(existsSync(zipPath), `${zipPath} exists`).toBe(true);

      // Assess: the zip holds exactly the .mjs module the handler names, with the require() banner
      // and the AWS SDK bundled in (nothing imported from node_modules at run time).
      const entries = readZip(await readFile(zipPath));
      const bundlePath = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`;
      expect([...entries.keys()]).toEqual([bundlePath]);
      const bundle = entries.get(bundlePath)!().toString('utf8');
      expect(bundle.startsWith('import { createRequire'), 'the bundle starts with the createRequire banner').toBe(true);
      expect(moduleSpecifiers(bundle).filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
      expect(bundle.includes(`"${fn.sdkOperation}"`), `the bundled SDK client knows the ${fn.sdkOperation} operation`).toBe(true);
    });

    it.each(Object.entries(FUNCTIONS))('has a %s bundle that loads on its own with the environment serverless.yml gives it', async (name, fn) => {
      // Prepare: the bundle alone in an empty directory outside the repository (no node_modules to
      // fall back on), and the function's environment from the template.
      const [entry, read] = [...readZip(await readFile(join(packageDir, `${name}.zip`))).entries()][0]!;
      const bundle = join(packageDir, 'unzipped', name, entry);
      await mkdir(dirname(bundle), { recursive: true });
      await writeFile(bundle, read());

      // Act: import it the way the Lambda runtime does.
      const result = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', importAndReport(pathToFileURL(bundle).href, fn.handler.slice(fn.handler.lastIndexOf('.') + 1))],
        { cwd: dirname(bundle), encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, ...lambdaEnvironment(fn.logicalId) } },
      );

      // Assess
      expect(result.stderr.trim()).toBe('');
      expect(result.stdout.trim()).toBe('function');
    });

    it('gives each function only the environment it reads, and no secrets', () => {
      const environment = (name: keyof typeof FUNCTIONS) =>
        (resource(FUNCTIONS[name].logicalId).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

      expect(Object.keys(environment('startExport')).sort()).toEqual(
        ['DEFAULT_DEADLINE_SECONDS', 'EXPORT_BUCKET', 'EXPORT_KMS_KEY_ID', 'EXPORT_PREFIX', 'EXPORT_ROLE_ARN', 'MAX_POLL_SECONDS', 'MIN_POLL_SECONDS'],
      );
      expect(environment('startExport')).toMatchObject({
        EXPORT_BUCKET: 'my-export-bucket',
        EXPORT_PREFIX: '{sourceId}/{date}',
        EXPORT_ROLE_ARN: EXPORT_ROLE_REF,
        DEFAULT_DEADLINE_SECONDS: '86400',
        MIN_POLL_SECONDS: '60',
        MAX_POLL_SECONDS: '3600',
      });
      expect(environment('notify')).toEqual({ TOPIC_ARN: { Ref: 'NotificationTopic' } });
      expect(environment('pollExport')).toEqual({});
      expect(environment('cancelExport')).toEqual({});
    });
  });

  describe('state machine', () => {
    it('has a definition that asl-validator accepts once its ARNs are substituted', () => {
      // Prepare
      const { definition } = stateMachineDefinition();

      // Act
      const result = validateAsl(definition);

      // Assess
      expect(result.isValid, result.errorsText()).toBe(true);
      expect(Object.keys((definition as { States: object }).States)).toEqual(
        expect.arrayContaining(['StartExport', 'WaitForProgress', 'PollExport', 'CancelExport', 'Notify', 'Route']),
      );
    });

    it('sends each Task to the Lambda function of the same step', () => {
      const { definition } = stateMachineDefinition();
      const states = (definition as { States: Record<string, { Type: string; Resource?: string }> }).States;
      const taskTargets = Object.fromEntries(
        Object.entries(states)
          .filter(([, state]) => state.Type === 'Task')
          .map(([name, state]) => [name, state.Resource]),
      );

      expect(taskTargets).toEqual({
        StartExport: lambdaArn('StartExportLambdaFunction'),
        PollExport: lambdaArn('PollExportLambdaFunction'),
        CancelExport: lambdaArn('CancelExportLambdaFunction'),
        Notify: lambdaArn('NotifyLambdaFunction'),
        NotifyFailure: lambdaArn('NotifyLambdaFunction'),
      });
      expect(resource('ExportStateMachine').Properties?.StateMachineName).toBe('export-orchestrator-test');
    });

    it('exposes the state machine, topic and export role ARNs as outputs', () => {
      expect(template.Outputs?.StateMachineArn?.Value).toEqual({ Ref: 'ExportStateMachine' });
      expect(template.Outputs?.TopicArn?.Value).toEqual({ Ref: 'NotificationTopic' });
      expect(template.Outputs?.ExportRoleArn?.Value).toEqual(EXPORT_ROLE_REF);
    });
  });

  describe('IAM', () => {
    it('grants no wildcard action (neither "*" nor "service:*") and uses no NotAction', () => {
      const allows = policyStatements().filter((statement) => statement.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);

      const offending = allows.filter(
        (statement) => statement.NotAction !== undefined || list(statement.Action).some((action) => action === '*' || action.endsWith(':*')),
      );

      expect(offending.map((statement) => `${statement.where}: ${JSON.stringify(statement.Action ?? statement.NotAction)}`)).toEqual([]);
    });

    it('lets only the start step pass a role, and only the export role, only to RDS', () => {
      const passRole = policyStatements().filter(
        (statement) => statement.Effect === 'Allow' && list(statement.Action).some((action) => action.toLowerCase().startsWith('iam:pass')),
      );

      expect(passRole).toHaveLength(1);
      expect(passRole[0]).toMatchObject({
        where: expect.stringMatching(/^StartExportRole\//),
        Action: 'iam:PassRole',
        Resource: EXPORT_ROLE_REF,
        Condition: { StringEquals: { 'iam:PassedToService': 'rds.amazonaws.com' } },
      });
    });

    it.each([
      ['StartExportRole', ['iam:PassRole', 'kms:CreateGrant', 'kms:DescribeKey', 'logs:CreateLogStream', 'logs:PutLogEvents', 'rds:DescribeExportTasks', 'rds:StartExportTask']],
      ['PollExportRole', ['logs:CreateLogStream', 'logs:PutLogEvents', 'rds:DescribeExportTasks']],
      ['CancelExportRole', ['logs:CreateLogStream', 'logs:PutLogEvents', 'rds:CancelExportTask', 'rds:DescribeExportTasks']],
      ['NotifyRole', ['logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish']],
    ])('gives %s exactly the actions its step calls', (role, expected) => {
      const actions = policyStatements()
        .filter((statement) => statement.where.startsWith(`${role}/Policies`) && statement.Effect === 'Allow')
        .flatMap((statement) => list(statement.Action));

      expect([...new Set(actions)].sort()).toEqual(expected);
    });

    it('scopes each function to its own log group, the topic, the key and source ARNs', () => {
      const byActionIn = (role: string, action: string) =>
        policyStatements().find((statement) => statement.where.startsWith(`${role}/Policies`) && list(statement.Action).includes(action));

      for (const fn of Object.values(FUNCTIONS)) {
        const logGroup = fn.logicalId.replace(/LambdaFunction$/, 'LogGroup');
        expect(byActionIn(fn.role, 'logs:PutLogEvents')?.Resource).toEqual({ 'Fn::GetAtt': [logGroup, 'Arn'] });
      }
      expect(byActionIn('NotifyRole', 'sns:Publish')?.Resource).toEqual({ Ref: 'NotificationTopic' });
      expect(byActionIn('StartExportRole', 'kms:CreateGrant')?.Resource).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/00000000-0000-0000-0000-000000000000',
      });
      expect(JSON.stringify(byActionIn('StartExportRole', 'rds:StartExportTask')?.Resource)).not.toContain('"*"');
    });

    it('creates an export role, trusted only by RDS export, that reaches only the bucket and the prefix', () => {
      const role = resource('ExportRole', 'AWS::IAM::Role');
      const statements = policyStatements().filter((statement) => statement.where.startsWith('ExportRole/Policies'));

      expect(role.Condition).toBe('CreateExportRole');
      expect(template.Conditions?.CreateExportRole).toEqual({ 'Fn::Equals': [{ Ref: 'ExportRoleArn' }, ''] });
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('"Service":"export.rds.amazonaws.com"');
      expect(statements.flatMap((statement) => list(statement.Action)).sort()).toEqual(
        ['s3:DeleteObject*', 's3:GetBucketLocation', 's3:GetObject*', 's3:ListBucket', 's3:PutObject*'],
      );
      expect(statements.map((statement) => statement.Resource)).toEqual([
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-export-bucket' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::my-export-bucket/*' },
      ]);
    });
  });

  describe('notifications', () => {
    it('encrypts the SNS topic with KMS', () => {
      expect(resource('NotificationTopic', 'AWS::SNS::Topic').Properties?.KmsMasterKeyId).toBe('alias/aws/sns');
    });

    it('subscribes nobody when notificationEmails is empty (the default)', () => {
      expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription')).toEqual([]);
    });
  });

  describe('cfn-lint', () => {
    const cfnLint = cfnLintStatus();
    if (!cfnLint.available && !isCi()) {
      console.warn(`[packaging.test] cfn-lint is not on PATH: its check is skipped. Install with \`pip install cfn-lint\`.`);
    }

    it.skipIf(!cfnLint.available && !isCi())('finds nothing to report in the compiled template (skipped when cfn-lint is missing locally)', () => {
      expect(cfnLint.available, 'cfn-lint is not on PATH; CI must have it (pip install cfn-lint)').toBe(true);

      const result = spawnSync('cfn-lint', ['--', join(packageDir, 'cloudformation-template-update-stack.json')], { encoding: 'utf8' });

      expect(result.error).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
      expect(result.status).toBe(0);
    }, 60_000);
  });
});

describe('deploy-time parameters (config/resolvers.cjs)', () => {
  const subscriptionsFor = (notificationEmails: string | null) =>
    resolvers.subscriptions({
      resolveVariable: async (address) => (address === 'param:notificationEmails' ? notificationEmails : undefined),
    });

  it('subscribes each listed address once, by email, with a logical ID that does not depend on its position', async () => {
    const both = await subscriptionsFor(' ops@example.com,dba@example.com, OPS@example.com ,');
    const one = await subscriptionsFor('dba@example.com');

    const subscriptions = Object.values(both.Resources ?? {});
    expect(subscriptions.map((s) => s.Properties?.Endpoint)).toEqual(['ops@example.com', 'dba@example.com']);
    for (const s of subscriptions) {
      expect(s).toMatchObject({ Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'email', TopicArn: { Ref: 'NotificationTopic' } } });
    }
    const [dbaId] = Object.keys(one.Resources ?? {});
    expect(Object.keys(both.Resources ?? {})).toContain(dbaId);
    expect(dbaId).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('adds no resources for an empty or missing list', async () => {
    await expect(subscriptionsFor('')).resolves.toEqual({});
    await expect(subscriptionsFor(' , ')).resolves.toEqual({});
    await expect(subscriptionsFor(null)).resolves.toEqual({});
  });

  it('refuses a list that is not comma-separated addresses', async () => {
    await expect(subscriptionsFor('ops@example.com;dba@example.com')).rejects.toThrow(/notificationEmails has invalid address/);
  });

  it.each([
    ['{sourceId}/{date}', '*'],
    ['exports/{sourceId}/{date}', 'exports/*'],
    ['/exports/', 'exports/*'],
    ['exports', 'exports/*'],
    ['', '*'],
  ])('lets the export role write prefix template %j under %j', (prefix, pattern) => {
    expect(resolvers.objectsPattern(prefix)).toBe(pattern);
  });
});

// ---------------------------------------------------------------------------------------------

function resource(logicalId: string, type?: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`${logicalId} is not in the template; it has ${Object.keys(template.Resources).join(', ')}`);
  if (type) expect(found.Type).toBe(type);
  return found;
}

/** What a function would see at run time: the template's variables, deploy-time values stood in for, plus what Lambda sets. */
function lambdaEnvironment(logicalId: string): Record<string, string> {
  const variables = (resource(logicalId).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const env: Record<string, string> = { AWS_REGION: REGION, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const [key, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[key] = value;
    else if (key in DEPLOY_TIME_VALUES) env[key] = DEPLOY_TIME_VALUES[key]!;
    else throw new Error(`${logicalId} sets ${key} from ${JSON.stringify(value)}: add a stand-in to DEPLOY_TIME_VALUES`);
  }
  return env;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function lambdaArn(logicalId: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
}

/** Every statement of every policy document in the template, identity and resource policies alike. */
function policyStatements(): FoundStatement[] {
  const found: FoundStatement[] = [];
  const collect = (document: unknown, where: string) => {
    const statement = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement;
    if (statement === undefined) return;
    (Array.isArray(statement) ? statement : [statement]).forEach((s, index) => found.push({ ...s, where: `${where}[${index}]` }));
  };
  for (const [logicalId, { Type, Properties = {} }] of Object.entries(template.Resources)) {
    if (Type === 'AWS::IAM::Role') {
      collect(Properties.AssumeRolePolicyDocument, `${logicalId}/AssumeRolePolicyDocument`);
      for (const policy of (Properties.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []) {
        collect(policy.PolicyDocument, `${logicalId}/Policies/${policy.PolicyName}`);
      }
    } else {
      for (const key of ['PolicyDocument', 'Policy', 'KeyPolicy']) {
        if (Properties[key]) collect(Properties[key], `${logicalId}/${key}`);
      }
    }
  }
  return found;
}

/** The state machine's DefinitionString with each `${...}` replaced by a placeholder, parsed. */
function stateMachineDefinition(): { definition: unknown } {
  const raw = resource('ExportStateMachine', 'AWS::StepFunctions::StateMachine').Properties?.DefinitionString;
  const [body, variables] = typeof raw === 'string'
    ? [raw, {}]
    : Array.isArray((raw as { 'Fn::Sub'?: unknown })['Fn::Sub'])
      ? ((raw as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'])
      : [(raw as { 'Fn::Sub': string })['Fn::Sub'], {}];
  const pseudo: Record<string, string> = { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws' };

  const substituted = body.replace(/\$\{(!?)([^}]+)\}/g, (match, literal: string, name: string) => {
    if (literal) return `\${${name}}`;
    if (name in pseudo) return pseudo[name]!;
    const value = variables[name] as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
    const target = value?.['Fn::GetAtt']?.[0] ?? value?.Ref ?? name.split('.')[0]!;
    const targetType = template.Resources[target]?.Type;
    if (targetType === 'AWS::Lambda::Function') return lambdaArn(target);
    throw new Error(
      targetType === undefined
        ? `The state machine definition refers to ${JSON.stringify(value ?? name)}, which is not in the template: is a function missing from serverless.yml?`
        : `Cannot substitute ${match} in the state machine definition: ${JSON.stringify(value)} is a ${targetType}, not a Lambda function`,
    );
  });
  return { definition: JSON.parse(substituted) };
}

/**
 * The modules a bundle loads at run time: its static `import ... from "x"` statements and dynamic
 * `import("x")` calls. (Mentions inside strings, such as an SDK error message that says
 * `[import "@aws-sdk/signature-v4a"]`, are not at a statement boundary and are not counted.)
 */
function moduleSpecifiers(bundle: string): string[] {
  const statics = [...bundle.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{},\s]+?\s*from\s*)?["']([^"']+)["']/g)];
  const dynamics = [...bundle.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)];
  return [...new Set([...statics, ...dynamics].map((match) => match[1]!))].sort();
}

/** A module script that imports the bundle and prints the type of its handler export, or the error's name and message alone. */
function importAndReport(url: string, exportName: string): string {
  return [
    'try {',
    `  const module = await import(${JSON.stringify(url)});`,
    `  console.log(typeof module[${JSON.stringify(exportName)}]);`,
    '} catch (error) {',
    '  console.error(`${error?.name}: ${error?.message}`);',
    '  process.exitCode = 1;',
    '}',
  ].join('\n');
}

/** Entries of a zip archive (stored or deflated), read from its central directory. */
function readZip(zip: Buffer): Map<string, () => Buffer> {
  const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
  const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < 0) throw new Error('not a zip archive');

  const entries = new Map<string, () => Buffer>();
  let offset = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.set(name, () => {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      return method === 0 ? data : inflateRawSync(data);
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The child's environment: this one without any way to find AWS credentials (packaging must not need them). */
function credentialFreeEnv(scratchDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(scratchDir, 'no-credentials'),
    AWS_CONFIG_FILE: join(scratchDir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
}

function cfnLintStatus(): { available: boolean } {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  // A pyenv or asdf shim exits 127 when the active Python has no cfn-lint.
  return { available: probe.error === undefined && probe.status === 0 };
}

function isCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}
