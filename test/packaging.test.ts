/**
 * Packages the service exactly as a deploy would (`serverless package`, osls + serverless-esbuild +
 * serverless-step-functions), once, without AWS credentials, and checks what would be deployed:
 * the ten Lambda bundles and their environment, the state machine definition and what it invokes,
 * the error names its Retry/Catch match, least-privilege IAM, the EventBridge rules and schedules,
 * the coordination table, encryption, outputs, and cfn-lint.
 *
 * The planner's schedules from a non-empty `exportSchedules` are checked on config/resolvers.cjs
 * directly (below), not by packaging a second time: one `serverless package` takes 5 to 13 s on a
 * 2-core machine, which would double this file's run time.
 *
 * cfn-lint (pip install cfn-lint) is optional locally, where its check is skipped with a warning;
 * on CI (CI set) a missing cfn-lint fails the run.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXPORT_FINISHED_EVENTS, RDS_EVENT_DETAIL_TYPE } from '../shared/export-kinds/rds/events.ts';
import { exportDefaultsShape, notifyConfigShape, providerConfigShape, slackConfigShape, slotConfigShape, verifyConfigShape } from '../shared/runtime/config.ts';
import { METRIC_NAMES } from '../shared/runtime/metrics.ts';
import { planExportsConfigShape, reconcileConfigShape, snapshotTriggerConfigShape } from '../shared/triggers/config.ts';
import type { Variable } from '../shared/runtime/variables.ts';
import { SNAPSHOT_CREATED_EVENTS } from '../shared/triggers/snapshot-events.ts';
import {
  ACCOUNT,
  REGION,
  TemplateEvaluator,
  cfnLintAvailable,
  classChain,
  packageService,
  importAndReport,
  isCi,
  kebab,
  list,
  moduleSpecifiers,
  pascal,
  policyStatements,
  readZip,
  runNodeScript,
  startCfnLint,
  SplitBundle,
  type CfnResource,
  type CfnTemplate,
  type FoundStatement,
} from './packaging-helpers.ts';

const require = createRequire(import.meta.url);
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
const validateAsl = require('asl-validator') as AslValidator;

type ResolveVariable = (address: string) => Promise<unknown>;
interface Resolvers {
  subscriptions: (context: { resolveVariable: ResolveVariable }) => Promise<{ Resources?: Record<string, CfnResource> }>;
  objectsPattern: (template: string) => string;
  parseSchedules: (list: string) => string[];
  planSchedules: (context: { resolveVariable: ResolveVariable }) => Promise<unknown[]>;
  selectsNothing: (include: string, scheduledSources: string) => boolean;
  selectionWarning: (include: string, scheduledSources: string, exportSchedules: string) => string | undefined;
}
const resolvers = require('../config/resolvers.cjs') as Resolvers;

const REPO_ROOT = resolve(import.meta.dirname, '..');
const PACKAGE_TIMEOUT_MS = 180_000;
const SERVICE = 'export-orchestrator';
const STAGE = 'test';
const STACK = `${SERVICE}-${STAGE}`;

// ---------------------------------------------------------------------------------------------
// What the design says each function may do. Everything else (handlers, bundles, environment
// variables, roles, rules) is read from the package and the sources.

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** The slot queue and the export waits (shared/slots/dynamodb-store.ts). */
const COORDINATION = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
/** Answering the task tokens of waiting executions (shared/workflow/step-functions.ts). */
const WAKE = ['states:SendTaskFailure', 'states:SendTaskSuccess'];
/** The slot dispatcher: the queue, what RDS runs, whom to wake (shared/slots/clients.ts dispatchDeps). */
const DISPATCH = [...COORDINATION, ...WAKE, 'rds:DescribeExportTasks'];

const FUNCTIONS: Record<string, { actions: string[] }> = {
  admitExport: { actions: [...LOGS, ...DISPATCH] },
  startExport: {
    actions: [...LOGS, 'rds:StartExportTask', 'rds:DescribeExportTasks', 'iam:PassRole', 'kms:DescribeKey', 'kms:CreateGrant', 'ec2:ExportImage', 'discovery:StartExportTask', 'sns:Publish'],
  },
  pollExport: { actions: [...LOGS, ...DISPATCH, 'ec2:DescribeExportImageTasks', 'discovery:DescribeExportTasks', 'sns:Publish'] },
  awaitExport: { actions: [...LOGS, ...COORDINATION, ...WAKE] },
  cancelExport: { actions: [...LOGS, 'rds:CancelExportTask', 'rds:DescribeExportTasks', 'ec2:CancelExportTask', 'ec2:DescribeExportImageTasks', 'sns:Publish'] },
  notify: { actions: [...LOGS, 'sns:Publish'] },
  /** Reads the webhook URL (a SecureString, decrypted via SSM) and parks what it cannot deliver (on-failure destination). */
  slackNotify: { actions: [...LOGS, 'ssm:GetParameter', 'kms:Decrypt', 'sqs:SendMessage'] },
  /** sqs:SendMessage: the asynchronous invocation's on-failure destination (the failed-events queue). */
  exportEvent: { actions: [...LOGS, ...DISPATCH, 'sqs:SendMessage'] },
  dispatchExports: { actions: [...LOGS, ...DISPATCH] },
  snapshotTrigger: { actions: [...LOGS, 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'states:StartExecution', 'sqs:SendMessage'] },
  planExports: {
    actions: [...LOGS, 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeExportTasks', 'states:StartExecution', 'sqs:SendMessage'],
  },
  reconcileSnapshots: {
    /**
     * dynamodb:Query: the executions queued for a slot or holding one, which the sweep skips.
     * states:DescribeExecution: how a missing snapshot's execution ended (failed through an outage: started again).
     */
    actions: [...LOGS, 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots', 'rds:DescribeExportTasks', 'states:StartExecution', 'states:DescribeExecution', 'dynamodb:Query', 'sqs:SendMessage'],
  },
  /**
   * Reads the export's metadata files (SSE-KMS: decrypted through S3) and publishes the export's end.
   * Glue, deletes and retention are off by default (test/unit/verification-verify.test.ts).
   */
  verifyExport: { actions: [...LOGS, 's3:ListBucket', 's3:GetObject', 'kms:Decrypt', 'sns:Publish'] },
};
/** What serverless-step-functions grants the state machine's role for its loggingConfig: log delivery, which has no resource type. */
const STATE_MACHINE_LOG_DELIVERY = [
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries',
  'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
];
const FUNCTION_NAMES = Object.keys(FUNCTIONS);

/** Actions a function calls through a bundled SDK client (the others are checked by AWS on its behalf: PassRole, KMS, logs). */
const SDK_SERVICES = new Set(['dynamodb', 'rds', 'sns', 'states', 'ssm', 'ec2', 'discovery']);

/** Actions that have no resource type in IAM, so `Resource: "*"` is as narrow as they get. */
const UNSCOPABLE_ACTIONS = new Set([
  'rds:DescribeExportTasks',
  'rds:CancelExportTask',
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  'ec2:DescribeExportImageTasks',
  'discovery:StartExportTask',
  'discovery:DescribeExportTasks',
  ...STATE_MACHINE_LOG_DELIVERY,
]);

/** The metrics' namespace (shared/runtime/metrics.ts, read as Powertools reads it), which the provider gives every function. */
const METRICS_NAMESPACE_VARIABLE = 'POWERTOOLS_METRICS_NAMESPACE';

/** Variables a handler reads that serverless.yml deliberately leaves to the code's default. */
const LEFT_TO_CODE_DEFAULTS = new Set(['SLOT_LEASE_SECONDS', 'AWS_REGION', 'ADS_REGION', 'AWS_LAMBDA_FUNCTION_NAME']);

/** Which function each Task state runs, directly (Resource) or through lambda:invoke (Parameters.FunctionName). */
const TASK_FUNCTIONS: Record<string, string> = {
  AdmitExport: 'admitExport',
  StartExport: 'startExport',
  Notify: 'notify',
  WaitForProgress: 'awaitExport',
  PollExport: 'pollExport',
  CancelExport: 'cancelExport',
  NotifyFailure: 'notify',
  NotifyNotFollowed: 'notify',
  VerifyExport: 'verifyExport',
};

/** The event IDs and detail-types the code reads (shared/export-kinds/rds/events.ts, shared/triggers/snapshot-events.ts): the rules must send exactly those. */
const EXPORT_FINISHED_IDS = Object.values(EXPORT_FINISHED_EVENTS).flatMap((ids) => Object.values(ids));
const SNAPSHOT_CREATED_IDS = Object.keys(SNAPSHOT_CREATED_EVENTS);

/** The export role ARN as the template refers to it: the stack's own role, or the one given. */
const EXPORT_ROLE_REF = { 'Fn::If': ['CreateExportRole', { 'Fn::GetAtt': ['ExportRole', 'Arn'] }, { Ref: 'ExportRoleArn' }] };
const TABLE_ARN = { 'Fn::GetAtt': ['CoordinationTable', 'Arn'] };
/** The export bucket and key as the template refers to them: the stack's own, or the ones given. */
const EXPORT_BUCKET_REF = { 'Fn::If': ['CreateExportBucket', { Ref: 'ExportBucket' }, { Ref: 'ExportBucketName' }] };
const EXPORT_KEY_REF = { 'Fn::If': ['CreateExportKey', { 'Fn::GetAtt': ['ExportKey', 'Arn'] }, { Ref: 'KmsKeyArn' }] };
/** What RDS asks of the export role on the export key (shared/reference/rds-export-output.md, section 5). */
const EXPORT_ROLE_KMS = [
  'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:RetireGrant',
];

// ---------------------------------------------------------------------------------------------

let packageDir: string;
let template: CfnTemplate;
let cfn: TemplateEvaluator;
/** cfn-lint on the template, started as soon as it is packaged (see the cfn-lint test). */
let lint: ReturnType<typeof startCfnLint> | undefined;
const lintAvailable = cfnLintAvailable();
/** Each function's zip, unzipped: the handler's module (path, source) and, split from it, its chunks. */
const bundles = new Map<string, { entries: string[]; path: string; source: string; modules: SplitBundle }>();

let packagingOutput: string;

beforeAll(async () => {
  // Act: package once for the whole file, with every parameter at its default, in an environment in
  // which no AWS credentials can be found.
  ({ packageDir, template, stderr: packagingOutput } = await packageService(REPO_ROOT, STAGE, ['--region', REGION], PACKAGE_TIMEOUT_MS, inject('bundleCache')));
  cfn = new TemplateEvaluator(template, STACK);
  if (lintAvailable) lint = startCfnLint(join(packageDir, 'cloudformation-template-update-stack.json'));

  // Each bundle alone in an empty directory outside the repository (no node_modules to fall back on).
  for (const name of FUNCTION_NAMES) {
    const zipPath = join(packageDir, `${name}.zip`);
    if (!existsSync(zipPath)) continue;
    const entries = readZip(await readFile(zipPath));
    const files = new Map<string, string>();
    for (const [entry, read] of entries) {
      const path = join(packageDir, 'unzipped', name, entry);
      await mkdir(dirname(path), { recursive: true });
      const content = read();
      await writeFile(path, content);
      files.set(entry, content.toString('utf8'));
    }
    const handler = `functions/${kebab(name)}/handler.mjs`;
    bundles.set(name, {
      entries: [...entries.keys()],
      path: join(packageDir, 'unzipped', name, handler),
      source: files.get(handler) ?? '',
      modules: new SplitBundle(files),
    });
  }
}, PACKAGE_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

describe('serverless package', () => {
  describe('Lambda functions', () => {
    it('packages exactly the functions of the design, each with its own zip and no published versions', () => {
      const packaged = lambdaLogicalIds().map((logicalId) => functionName(logicalId));

      expect(packaged.sort()).toEqual([...FUNCTION_NAMES].sort());
      for (const name of FUNCTION_NAMES) expect(existsSync(join(packageDir, `${name}.zip`)), `${name}.zip exists`).toBe(true);
      expect(resourcesOfType('AWS::Lambda::Version')).toEqual([]);
    });

    it.each(FUNCTION_NAMES)('packages %s as an arm64 nodejs22.x function with an ESM (.mjs) bundle of its handler', (name) => {
      // Prepare
      const properties = resource(`${pascal(name)}LambdaFunction`, 'AWS::Lambda::Function').Properties ?? {};
      const handler = `functions/${kebab(name)}/handler.handler`;
      const bundle = bundleOf(name);

      // Assess: the function definition
      expect(properties.Runtime).toBe('nodejs22.x');
      expect(properties.Architectures).toEqual(['arm64']);
      expect(properties.Handler).toBe(handler);
      expect(existsSync(join(REPO_ROOT, `functions/${kebab(name)}/handler.ts`))).toBe(true);
      expect(properties.MemorySize).toBe(256);
      // The verify step may delete a large partial export (up to 100 DeleteObjects calls); the sweep pages
      // through the account's snapshots at a paced rate.
      expect(properties.Timeout).toBe(name === 'verifyExport' || name === 'reconcileSnapshots' ? 300 : 30);
      expect(properties.FunctionName).toBe(`${STACK}-${name}`);
      expect(properties.Role).toEqual({ 'Fn::GetAtt': [`${pascal(name)}Role`, 'Arn'] });
      expect(JSON.stringify(properties.Code)).toContain(`${name}.zip`);

      // Assess: the zip holds the .mjs module the handler names and its own chunks (code splitting),
      // with the AWS SDK bundled in: nothing imported from node_modules at run time, every chunk a
      // module imports (statically or with import()) is in the zip, and no module calls require()
      // (an ES module has none: esbuild's shim for one would throw "Dynamic require ... is not supported").
      const directory = `functions/${kebab(name)}/`;
      expect(bundle.entries).toContain(`${directory}handler.mjs`);
      expect(bundle.entries.filter((entry) => !(entry.startsWith(`${directory}handler.`) && entry.endsWith('.mjs'))), 'not a module of this handler').toEqual([]);
      for (const [entry, source] of bundle.modules.files) {
        expect(source, `${entry} calls require() (a CommonJS dependency of a Node built-in or an external): bundle it, or give the bundles a createRequire banner`).not.toContain('Dynamic require of');
        const specifiers = moduleSpecifiers(source).filter((specifier) => !specifier.startsWith('node:'));
        expect(specifiers.filter((specifier) => !bundle.entries.includes(join(directory, specifier))), `${entry} imports only node: builtins and chunks in the zip`).toEqual([]);
      }

      // Assess: the bundled SDK clients know every operation the role allows the function to call.
      const operations = FUNCTIONS[name]!.actions.filter((action) => SDK_SERVICES.has(action.split(':')[0]!)).map((action) => action.split(':')[1]!);
      const everything = [...bundle.modules.files.values()].join('\n');
      expect(operations.filter((operation) => !everything.includes(`"${operation}"`)), 'operations missing from the bundle').toEqual([]);
    });

    it.each(FUNCTION_NAMES)('loads the EC2 client in %s only for an EC2 image export: never at cold start, never for an RDS export', (name) => {
      // Prepare: what the cold start loads (the handler and its static imports), and what an RDS
      // export adds (the RDS adapter's chunk, imported on its first use), told by EC2's operations.
      const { modules } = bundleOf(name);
      const directory = `functions/${kebab(name)}/`;
      const chunkOf = (adapter: string) => [...modules.files.keys()].find((entry) => entry.startsWith(`${directory}handler.${adapter}-`));
      const rdsAdapter = chunkOf('rds-provider');
      const ec2Adapter = chunkOf('ec2-image-provider');
      const namesEc2 = (entries: string[]) => entries.filter((entry) => modules.files.get(entry)!.includes('"DescribeExportImageTasks"'));

      // Assess
      expect(namesEc2(modules.staticallyLoaded(`${directory}handler.mjs`)), 'EC2 client loaded at cold start').toEqual([]);
      if (rdsAdapter) expect(namesEc2(modules.staticallyLoaded(rdsAdapter)), 'EC2 client loaded with the RDS adapter').toEqual([]);
      const servesEc2 = FUNCTIONS[name]!.actions.some((action) => action.startsWith('ec2:'));
      expect(ec2Adapter !== undefined, `${name} has an EC2 adapter chunk`).toBe(servesEc2);
      if (ec2Adapter) expect(namesEc2(modules.staticallyLoaded(ec2Adapter)).length, 'the EC2 adapter chunk brings the EC2 client').toBeGreaterThan(0);
    });

    it('is built by `npm run bench` with the esbuild options serverless.yml gives serverless-esbuild', async () => {
      const state = JSON.parse(await readFile(join(packageDir, 'serverless-state.json'), 'utf8')) as { service: { custom: { esbuild: Record<string, unknown> } } };
      const { LAMBDA_BUILD } = await import('../bench/bundles.ts');
      // Options of the plugin itself, not of esbuild; its outputFileExtension is esbuild's outExtension.
      const { outputFileExtension, exclude: _, packager: __, skipRebuild: ___, skipBuild: ____, ...esbuildOptions } = state.service.custom.esbuild;

      expect(LAMBDA_BUILD).toEqual({ ...esbuildOptions, outExtension: { '.js': outputFileExtension } });
    });

    it.concurrent.each(FUNCTION_NAMES)('has a %s bundle that loads on its own with exactly the environment serverless.yml gives it', async (name) => {
      // Prepare: the function's environment from the template, deploy-time values stood in for.
      const bundle = bundleOf(name);

      // Act: import it the way the Lambda runtime does.
      const result = await runNodeScript(importAndReport(pathToFileURL(bundle.path).href, 'handler'), {
        cwd: dirname(bundle.path),
        env: { PATH: process.env.PATH, ...lambdaEnvironment(name) },
        // Thirteen child processes at once: generous, so that a loaded CI machine never fails them.
        timeoutMs: 80_000,
      });

      // Assess
      expect(result.stderr.trim()).toBe('');
      expect(result.stdout.trim()).toBe('function');
      expect(result.status).toBe(0);
    }, 90_000);

    it.each(FUNCTION_NAMES)('gives %s exactly the environment variables its handler reads (from its config shapes)', async (name) => {
      // Prepare: what the handler reads, from the config shapes it passes to readConfig.
      const reads = await variablesRead(name);
      const given = Object.keys(environmentOf(name));

      // Assess: nothing unread (no stray settings, no secrets), nothing required missing, and every
      // setting wired to serverless.yml except those deliberately left to the code's default.
      expect(given.filter((variable) => !reads.has(variable)), 'set but not read by the handler').toEqual([]);
      expect([...reads.keys()].filter((variable) => !given.includes(variable) && reads.get(variable)!.required), 'required but not set').toEqual([]);
      expect(
        [...reads.keys()].filter((variable) => !given.includes(variable) && !LEFT_TO_CODE_DEFAULTS.has(variable)),
        'read but not set in serverless.yml (set it, or add it to LEFT_TO_CODE_DEFAULTS)',
      ).toEqual([]);
    });

    it('gives the export defaults to admitExport, the topic to startExport, cancelExport and notify, and the members to the functions that call RDS in them', () => {
      expect(environmentOf('admitExport')).toMatchObject({
        EXPORT_BUCKET: EXPORT_BUCKET_REF,
        EXPORT_PREFIX: '{sourceId}/{date}',
        EXPORT_ROLE_ARN: EXPORT_ROLE_REF,
        EXPORT_KMS_KEY_ID: EXPORT_KEY_REF,
        DEFAULT_DEADLINE_SECONDS: '86400',
        MIN_POLL_SECONDS: '60',
        MAX_POLL_SECONDS: '3600',
        EVENT_SAFETY_NET_SECONDS: '21600',
      });
      // Start, poll and cancel publish the changes of status they observe.
      // With no member (the default), the members' variables say so: this account only, in the stack's Region.
      const members = {
        MEMBER_ACCOUNTS: '',
        MEMBER_REGIONS: '',
        MEMBER_ROLE_NAME: 'export-orchestrator-member',
        MEMBER_EXPORT_ROLE_NAME: 'export-orchestrator-member-export',
        MEMBER_EXTERNAL_ID: '',
        ORCHESTRATOR_ACCOUNT: { Ref: 'AWS::AccountId' },
      };
      for (const name of ['startExport', 'cancelExport']) expect(environmentOf(name), name).toEqual({ TOPIC_ARN: { Ref: 'NotificationTopic' }, ...members });
      expect(environmentOf('notify')).toEqual({ TOPIC_ARN: { Ref: 'NotificationTopic' } });
      expect(environmentOf('pollExport')).toMatchObject({ TOPIC_ARN: { Ref: 'NotificationTopic' }, ...members });
      expect(environmentOf('verifyExport')).toMatchObject(members);
    });

    it('gives every slot function the same table and quota, and the triggers the ARN of this stack\'s state machine', () => {
      const slotFunctions = FUNCTION_NAMES.filter((name) => 'COORDINATION_TABLE' in environmentOf(name));
      // The sweep reads the table (who is queued, who holds a slot) and the export waits keep their
      // tokens there: neither hands out a slot, so neither is given the quota.
      const tableOnly = ['awaitExport', 'reconcileSnapshots'];
      expect(slotFunctions.sort()).toEqual(['admitExport', 'awaitExport', 'dispatchExports', 'exportEvent', 'pollExport', 'reconcileSnapshots']);
      for (const name of slotFunctions.filter((fn) => !tableOnly.includes(fn))) {
        expect(environmentOf(name), name).toMatchObject({ COORDINATION_TABLE: { Ref: 'CoordinationTable' }, EXPORT_QUOTA: '5', SLOT_WAIT_LIMIT_SECONDS: '2592000' });
      }
      for (const name of tableOnly) {
        expect(environmentOf(name).COORDINATION_TABLE, name).toEqual({ Ref: 'CoordinationTable' });
        expect(environmentOf(name), name).not.toHaveProperty('EXPORT_QUOTA');
      }

      const stateMachineArn = cfn.ref('ExportStateMachine');
      for (const name of ['snapshotTrigger', 'planExports']) {
        expect(cfn.value(environmentOf(name).STATE_MACHINE_ARN), name).toBe(stateMachineArn);
      }
      expect(environmentOf('snapshotTrigger')).toMatchObject({ SELECTION_INCLUDE: '', SELECTION_EXCLUDE: '', SNAPSHOT_TYPES: 'manual,automated', BACKUP_EVENTS: 'false' });
      expect(environmentOf('planExports')).toMatchObject({ SCHEDULED_SOURCES: '[]' });
    });
  });

  describe('state machine', () => {
    it('has a definition that asl-validator accepts once its ARNs (Resource and Parameters.FunctionName) are substituted', () => {
      // Prepare
      const definition = stateMachineDefinition();

      // Act
      const result = validateAsl(definition);

      // Assess
      expect(result.isValid, result.errorsText()).toBe(true);
      expect(definition.StartAt).toBe('AdmitExport');
      expect(Object.keys(definition.States)).toEqual(
        expect.arrayContaining(['AdmitExport', 'StartExport', 'WaitForProgress', 'PollExport', 'CancelExport', 'Notify', 'Route', 'NotifyFailure']),
      );
      expect(resource('ExportStateMachine').Properties?.StateMachineName).toBe(STACK);
    });

    it('sends each Task to the Lambda function of its step', () => {
      expect(taskFunctions()).toEqual(TASK_FUNCTIONS);
    });

    it('parks AdmitExport and WaitForProgress on a task token, bounded by a timeout', () => {
      const { States: states } = stateMachineDefinition();
      for (const name of ['AdmitExport', 'WaitForProgress']) {
        expect(states[name]?.Resource, name).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
        expect((states[name]?.Parameters as { Payload?: Record<string, unknown> }).Payload, name).toMatchObject({ 'token.$': '$$.Task.Token' });
      }
      expect(states.AdmitExport?.TimeoutSeconds).toEqual(expect.any(Number));
      expect(states.WaitForProgress?.TimeoutSecondsPath).toBe('$.waitSeconds');
    });

    it('lets its execution role invoke exactly the functions the definition uses, and nothing else', () => {
      // Prepare
      const roleArn = resource('ExportStateMachine').Properties?.RoleArn as { 'Fn::GetAtt': [string, string] };
      const role = roleArn['Fn::GetAtt'][0];
      const statements = policyStatements(template).filter((s) => s.where.startsWith(`${role}/Policies`));
      const byArn = functionsByArn();

      // Assess: serverless-step-functions granted lambda:InvokeFunction for the FunctionName of the
      // lambda:invoke.waitForTaskToken states as well as for the direct Resource ARNs.
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
      const delivery = statements.filter((s) => list(s.Action).some((action) => action.startsWith('logs:')));
      expect([...new Set(delivery.flatMap((s) => list(s.Action)))].sort()).toEqual([...STATE_MACHINE_LOG_DELIVERY].sort());
      const invokes = statements.filter((s) => !delivery.includes(s));
      expect([...new Set(invokes.flatMap((s) => list(s.Action)))]).toEqual(['lambda:InvokeFunction']);
      const invoked = invokes.flatMap((s) => list(s.Resource)).map((r) => {
        const arn = cfn.string(r, `${role} resource ${JSON.stringify(r)}`);
        return byArn.get(arn.replace(/:\*$/, '')) ?? arn;
      });
      expect([...new Set(invoked)].sort()).toEqual([...new Set(Object.values(TASK_FUNCTIONS))].sort());
      expect(JSON.stringify(resource(role, 'AWS::IAM::Role').Properties?.AssumeRolePolicyDocument)).toContain('states.${AWS::Region}.amazonaws.com');
    });

    it.each(Object.entries(TASK_FUNCTIONS))(
      'keeps in the %s bundle the class names of the errors the state matches by name (esbuild keepNames)',
      (state, name) => {
        // Prepare: the error names of the state's Retry and Catch that are ours, not States.* or Lambda.*.
        const definition = stateMachineDefinition().States[state]!;
        const matched = [...new Set([...(definition.Retry ?? []), ...(definition.Catch ?? [])].flatMap((rule) => rule.ErrorEquals))].filter(
          (error) => !/^(States|Lambda)\./.test(error),
        );

        // Act
        const { helper, classes } = bundleOf(name).modules.keptClassNames();

        // Assess: esbuild's __name helper is there, each matched error is a class whose name it pins,
        // and each extends NamedError, whose constructor sets `this.name = new.target.name`.
        expect(matched.length, `${state} matches no error of ours by name`).toBeGreaterThan(0);
        expect(helper, 'the __name helper esbuild emits with keepNames').toBeDefined();
        expect(classes.get('NamedError')?.body).toContain('this.name=new.target.name');
        for (const error of matched) {
          expect(classes.has(error), `class ${error} keeps its name in the ${name} bundle`).toBe(true);
          expect(classChain(classes, error), `${error} extends NamedError`).toContain('NamedError');
        }
      },
    );

    it('keeps TransientAwsError\'s name in the poll-export bundle as esbuild emits it: static{__name(this,"TransientAwsError")}', () => {
      const { classes } = bundleOf('pollExport').modules.keptClassNames();

      expect(classes.get('TransientAwsError')?.body).toMatch(/^(?:[\w$]+=)?class extends [\w$]+\{static\{[\w$]+\(this,"TransientAwsError"\)\}/);
    });

    it('exposes the state machine, topic and export role ARNs and the queue table as outputs', () => {
      expect(template.Outputs?.StateMachineArn?.Value).toEqual({ Ref: 'ExportStateMachine' });
      expect(template.Outputs?.CoordinationTableName?.Value).toEqual({ Ref: 'CoordinationTable' });
      expect(template.Outputs?.TopicArn?.Value).toEqual({ Ref: 'NotificationTopic' });
      expect(template.Outputs?.ExportRoleArn?.Value).toEqual(EXPORT_ROLE_REF);
    });
  });

  describe('IAM', () => {
    it('adds nothing of the organisation without memberAccounts: no role to assume, no bus policy, no member statement or output', () => {
      const assumes = policyStatements(template).filter((s) => !s.where.includes('/AssumeRolePolicyDocument') && list(s.Action).includes('sts:AssumeRole'));

      expect(assumes.map((s) => s.where)).toEqual([]);
      expect([...resourcesOfType('AWS::IAM::ManagedPolicy'), ...resourcesOfType('AWS::Events::EventBusPolicy')]).toEqual([]);
      expect(policyStatements(template).filter((s) => s.Sid?.startsWith('Member')).map((s) => s.where)).toEqual([]);
      expect(Object.keys(template.Outputs ?? {}).filter((name) => name.startsWith('Member'))).toEqual([]);
    });

    it('grants no wildcard action (neither "*" nor "service:*") and uses no NotAction or NotResource', () => {
      const allows = policyStatements(template).filter((statement) => statement.Effect === 'Allow');
      expect(allows.length).toBeGreaterThan(0);

      const offending = allows.filter(
        (statement) =>
          statement.NotAction !== undefined ||
          statement.NotResource !== undefined ||
          list(statement.Action).some((action) => action === '*' || action.endsWith(':*')),
      );

      expect(offending.map((statement) => `${statement.where}: ${JSON.stringify(statement.Action ?? statement.NotAction)}`)).toEqual([]);
    });

    it('lets only the start step pass a role, and only the export role, only to RDS', () => {
      const passRole = policyStatements(template).filter(
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

    it.each(FUNCTION_NAMES)('gives %s its own role, assumable by Lambda only, with exactly the actions its step calls', (name) => {
      const role = `${pascal(name)}Role`;
      const statements = functionStatements(name);
      const trust = policyStatements(template).filter((s) => s.where.startsWith(`${role}/AssumeRolePolicyDocument`));
      const users = lambdaLogicalIds().filter((id) => JSON.stringify(resource(id).Properties?.Role) === JSON.stringify({ 'Fn::GetAtt': [role, 'Arn'] }));

      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
      expect([...new Set(statements.flatMap((s) => list(s.Action)))].sort()).toEqual([...new Set(FUNCTIONS[name]!.actions)].sort());
      expect(trust).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } })]);
      expect(users).toEqual([`${pascal(name)}LambdaFunction`]);
    });

    it('lets each function write logs to its own log group only', () => {
      const offending = allowStatements()
        .filter((s) => list(s.Action).some((action) => action.startsWith('logs:') && !STATE_MACHINE_LOG_DELIVERY.includes(action)))
        .filter((s) => {
          const name = FUNCTION_NAMES.find((fn) => s.holder === `${pascal(fn)}Role`);
          return name === undefined || JSON.stringify(s.Resource) !== JSON.stringify({ 'Fn::GetAtt': [`${pascal(name)}LogGroup`, 'Arn'] });
        });

      expect(offending.map((s) => `${s.where}: ${JSON.stringify(s.Resource)}`)).toEqual([]);
    });

    it('allows DynamoDB actions on the coordination table only, and the table has no index that would need more', () => {
      const dynamo = allowStatements().filter((s) => list(s.Action).some((action) => action.startsWith('dynamodb:')));

      expect(dynamo.length).toBeGreaterThan(0);
      expect(dynamo.filter((s) => JSON.stringify(s.Resource) !== JSON.stringify(TABLE_ARN)).map((s) => s.where)).toEqual([]);
      expect(dynamo.filter((s) => list(s.Action).some((action) => !action.startsWith('dynamodb:'))).map((s) => s.where)).toEqual([]);
      const table = resource('CoordinationTable').Properties ?? {};
      expect(table.GlobalSecondaryIndexes).toBeUndefined();
      expect(table.LocalSecondaryIndexes).toBeUndefined();
    });

    it('allows states:StartExecution on the export state machine only', () => {
      const start = allowStatements().filter((s) => list(s.Action).includes('states:StartExecution'));

      expect(start.map((s) => s.holder).sort()).toEqual(['PlanExportsRole', 'ReconcileSnapshotsRole', 'SnapshotTriggerRole']);
      for (const s of start) {
        expect(s.Resource, s.where).toEqual({ Ref: 'ExportStateMachine' });
        expect(list(s.Action), s.where).toEqual(['states:StartExecution']);
      }
    });

    it('allows states:DescribeExecution on the export state machine\'s executions only, to the sweep only', () => {
      const describe = allowStatements().filter((s) => list(s.Action).includes('states:DescribeExecution'));

      expect(describe.map((s) => s.holder)).toEqual(['ReconcileSnapshotsRole']);
      expect(list(describe[0]!.Action)).toEqual(['states:DescribeExecution']);
      expect(describe[0]!.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:export-orchestrator-test:*' });
    });

    it('uses Resource "*" only for actions that have no resource type in IAM (a key policy\'s "*" is the key itself)', () => {
      const starred = identityStatements().filter((s) => list(s.Resource).includes('*'));

      expect(
        starred.flatMap((s) => list(s.Action).filter((action) => !UNSCOPABLE_ACTIONS.has(action)).map((action) => `${s.where}: ${action}`)),
      ).toEqual([]);
    });

    it('scopes publishing to the topic, the key to the configured key, and exports to snapshot and cluster ARNs', () => {
      const byActionIn = (role: string, action: string) =>
        allowStatements().find((statement) => statement.holder === role && list(statement.Action).includes(action));

      // Start, poll and cancel publish the changes of status they observe; notify the rest. (CloudWatch publishes the alarms.)
      const publishers = ['CancelExportRole', 'NotifyRole', 'PollExportRole', 'StartExportRole', 'VerifyExportRole'];
      expect(identityStatements().filter((s) => list(s.Action).includes('sns:Publish')).map((s) => s.holder).sort()).toEqual(publishers);
      for (const role of publishers) expect(byActionIn(role, 'sns:Publish')?.Resource).toEqual({ Ref: 'NotificationTopic' });
      // NotifyTopicKeyPolicy exists only with a customer-managed topic key (snsKmsKeyArn); SlackNotifyRole decrypts its parameter via SSM.
      expect([...new Set(identityStatements().filter((s) => list(s.Action).some((a) => a.startsWith('kms:'))).map((s) => s.holder))].sort()).toEqual([
        'CancelExportTopicKeyPolicy',
        'ExportRoleAccess',
        'NotifyTopicKeyPolicy',
        'PollExportTopicKeyPolicy',
        'SlackNotifyRole',
        'StartExportKeyAccess',
        'StartExportTopicKeyPolicy',
        'VerifyExportDataAccess',
        'VerifyExportTopicKeyPolicy',
      ]);
      expect(resource('NotifyTopicKeyPolicy', 'AWS::IAM::RolePolicy')).toMatchObject({
        Condition: 'CustomerManagedTopicKey',
        Properties: { RoleName: { Ref: 'NotifyRole' }, PolicyDocument: { Statement: [{ Action: ['kms:GenerateDataKey*', 'kms:Decrypt'], Resource: { Ref: 'SnsKmsKeyArn' } }] } },
      });
      expect(byActionIn('StartExportKeyAccess', 'kms:CreateGrant')?.Resource).toEqual(EXPORT_KEY_REF);
      expect(resource('StartExportKeyAccess', 'AWS::IAM::RolePolicy').Properties?.RoleName).toEqual({ Ref: 'StartExportRole' });
      const exportSources = list(byActionIn('StartExportRole', 'rds:StartExportTask')?.Resource).map((r) => cfn.string(r, 'StartExportTask resource'));
      expect(exportSources.sort()).toEqual(
        ['cluster', 'cluster-snapshot', 'snapshot'].map((type) => `arn:aws:rds:${REGION}:${ACCOUNT}:${type}:*`).sort(),
      );
    });

    it('creates an export role, trusted only by RDS export, that reaches only the bucket, the prefix and the export key', () => {
      const role = resource('ExportRole', 'AWS::IAM::Role');
      const access = resource('ExportRoleAccess', 'AWS::IAM::RolePolicy');
      const statements = policyStatements(template).filter((statement) => statement.holder === 'ExportRoleAccess');
      const bucket = cfn.ref('ExportBucket');

      expect(role.Condition).toBe('CreateExportRole');
      expect(access).toMatchObject({ Condition: 'CreateExportRole', Properties: { RoleName: { Ref: 'ExportRole' } } });
      expect(role.Properties?.Policies).toBeUndefined();
      expect(template.Conditions?.CreateExportRole).toEqual({ 'Fn::Equals': [{ Ref: 'ExportRoleArn' }, ''] });
      expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('"Service":"export.rds.amazonaws.com"');
      expect(statements.flatMap((statement) => list(statement.Action)).sort()).toEqual(
        ['s3:DeleteObject*', 's3:GetBucketLocation', 's3:GetObject*', 's3:ListBucket', 's3:PutObject*', ...EXPORT_ROLE_KMS].sort(),
      );
      expect(statements.map((statement) => cfn.value(statement.Resource))).toEqual([
        `arn:aws:s3:::${bucket}`,
        `arn:aws:s3:::${bucket}/*`,
        cfn.getAtt('ExportKey', 'Arn'),
        cfn.getAtt('ExportKey', 'Arn'),
      ]);
    });
  });

  describe('EventBridge', () => {
    it('triggers exportEvent, snapshotTrigger and dispatchExports, and nothing else, from enabled rules', () => {
      const rules = eventRules();

      expect(Object.fromEntries(Object.entries(groupBy(rules, (rule) => rule.target)).map(([name, found]) => [name, found.length]))).toEqual({
        exportEvent: 1,
        snapshotTrigger: 1,
        dispatchExports: 1,
        reconcileSnapshots: 1,
      });
      expect(rules.every((rule) => rule.properties.State === 'ENABLED')).toBe(true);
    });

    it('wakes exportEvent on the nine RDS export-finished events the code reads, of the three source types', () => {
      const [rule] = eventRules().filter((r) => r.target === 'exportEvent');
      const pattern = rule?.properties.EventPattern as { source: string[]; 'detail-type': string[]; detail: { EventID: string[] } };

      expect(pattern.source).toEqual(['aws.rds']);
      expect(EXPORT_FINISHED_IDS).toHaveLength(9);
      expect([...pattern.detail.EventID].sort()).toEqual([...EXPORT_FINISHED_IDS].sort());
      expect([...pattern['detail-type']].sort()).toEqual(Object.values(RDS_EVENT_DETAIL_TYPE).sort());
    });

    it('runs snapshotTrigger on the five RDS snapshot-created events', () => {
      const [rule] = eventRules().filter((r) => r.target === 'snapshotTrigger');
      const pattern = rule?.properties.EventPattern as { source: string[]; 'detail-type': string[]; detail: { EventID: string[] } };

      expect(pattern.source).toEqual(['aws.rds']);
      expect(SNAPSHOT_CREATED_IDS).toHaveLength(5);
      expect([...pattern.detail.EventID].sort()).toEqual([...SNAPSHOT_CREATED_IDS].sort());
      expect([...pattern['detail-type']].sort()).toEqual([...new Set(Object.values(SNAPSHOT_CREATED_EVENTS).map((event) => event.detailType))].sort());
    });

    it('runs dispatchExports every 5 minutes by default, and the planner on no schedule (exportSchedules is empty)', () => {
      const dispatch = eventRules().filter((r) => r.target === 'dispatchExports');

      expect(dispatch.map((rule) => rule.properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
      expect(dispatch[0]?.properties.EventPattern).toBeUndefined();
      expect(eventRules().filter((r) => r.target === 'planExports')).toEqual([]);
    });

    it('lets EventBridge invoke each target, only from its rule', () => {
      const permissions = resourcesOfType('AWS::Lambda::Permission')
        .map(([, r]) => r.Properties ?? {})
        .filter((p) => p.Principal === 'events.amazonaws.com');

      for (const rule of eventRules()) {
        const granted = permissions.filter(
          (p) => cfn.value(p.FunctionName) === cfn.getAtt(`${pascal(rule.target)}LambdaFunction`, 'Arn') && cfn.value(p.SourceArn) === cfn.getAtt(rule.logicalId, 'Arn'),
        );
        expect(granted, `permission for ${rule.logicalId}`).toEqual([expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' })]);
      }
      expect(permissions).toHaveLength(eventRules().length);
    });
  });

  describe('coordination table', () => {
    it('is on-demand, keyed by pk and sk strings, and encrypted', () => {
      const table = resource('CoordinationTable', 'AWS::DynamoDB::Table').Properties ?? {};

      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(table.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]);
      expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
    });

    it('outlives a stack deletion or replacement (it holds the tokens of executions in flight), and expires left-over records', () => {
      const table = resource('CoordinationTable', 'AWS::DynamoDB::Table') as CfnResource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };

      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    });
  });

  describe('notifications', () => {
    it('encrypts the SNS topic with KMS: alias/aws/sns unless snsKmsKeyArn names a key', () => {
      expect(resource('NotificationTopic', 'AWS::SNS::Topic').Properties?.KmsMasterKeyId).toEqual({
        'Fn::If': ['CustomerManagedTopicKey', { Ref: 'SnsKmsKeyArn' }, 'alias/aws/sns'],
      });
      expect((template as { Parameters?: Record<string, { Default?: string }> }).Parameters?.SnsKmsKeyArn?.Default).toBe('');
    });

    it('subscribes nobody by email when notificationEmails is empty (the default)', () => {
      expect(resourcesOfType('AWS::SNS::Subscription').filter(([, r]) => r.Properties?.Protocol === 'email')).toEqual([]);
    });

    it('subscribes the Slack notifier only when slackNotifications is true, with a dead-letter queue for what SNS cannot deliver', () => {
      const subscription = resource('SlackNotifySubscription', 'AWS::SNS::Subscription');
      expect(subscription.Condition).toBe('SlackNotifications');
      expect(subscription.Properties).toEqual({
        TopicArn: { Ref: 'NotificationTopic' },
        Protocol: 'lambda',
        Endpoint: { 'Fn::GetAtt': ['SlackNotifyLambdaFunction', 'Arn'] },
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['SlackNotifyDeadLetterQueue', 'Arn'] } },
      });
      expect(template.Conditions?.SlackNotifications).toEqual({ 'Fn::Equals': [{ Ref: 'SlackNotifications' }, 'true'] });
      expect(resource('SlackNotifyInvokePermission', 'AWS::Lambda::Permission')).toMatchObject({
        Condition: 'SlackNotifications',
        Properties: { Principal: 'sns.amazonaws.com', SourceArn: { Ref: 'NotificationTopic' } },
      });
    });

    it('parks what the Slack notifier fails on in an encrypted queue, and alarms on it', () => {
      expect(resource('SlackNotifyInvokeConfig', 'AWS::Lambda::EventInvokeConfig').Properties).toMatchObject({
        FunctionName: { Ref: 'SlackNotifyLambdaFunction' },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['SlackNotifyDeadLetterQueue', 'Arn'] } } },
      });
      expect(resource('SlackNotifyDeadLetterQueue', 'AWS::SQS::Queue').Properties?.SqsManagedSseEnabled).toBe(true);
      expect(resource('SlackUndeliveredAlarm', 'AWS::CloudWatch::Alarm').Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['SlackNotifyDeadLetterQueue', 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('lets the Slack notifier read its one parameter, and decrypt it only through SSM', () => {
      const parameterArn = { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/export-orchestrator/test/slack-webhook' };
      const statements = functionStatements('slackNotify');
      expect(statements.find((s) => s.Action === 'ssm:GetParameter')?.Resource).toEqual(parameterArn);
      expect(statements.find((s) => s.Action === 'kms:Decrypt')).toMatchObject({
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' }, 'kms:EncryptionContext:PARAMETER_ARN': parameterArn } },
      });
      expect(environmentOf('slackNotify')).toEqual({ SLACK_WEBHOOK_PARAMETER: '/export-orchestrator/test/slack-webhook' });
    });

    it('holds no Slack webhook URL anywhere in the template', () => {
      expect(JSON.stringify(template)).not.toMatch(/hooks\.slack\.com|\/services\/T[A-Z0-9]+\//);
    });
  });

  // Issue 13: defaults that deploy and then work, export nothing unasked, and hold no placeholder.
  describe('defaults', () => {
    it("gives each function the config's own default for every variable that has one (serverless.yml's params and shared/ agree)", () => {
      // Prepare: every variable a config shape defaults, with its default as the code reads it.
      const shapes = [exportDefaultsShape, slotConfigShape, providerConfigShape, notifyConfigShape, verifyConfigShape, snapshotTriggerConfigShape, reconcileConfigShape, planExportsConfigShape, slackConfigShape];
      const defaulted = new Map(shapes.flatMap((shape): Array<[string, Variable<unknown>]> => Object.entries(shape)).filter(([, variable]) => typeof variable.unset === 'object'));
      const compared: string[] = [];

      // Assess: a literal value in the template reads as the code's default; a Ref or a Sub is the stack's own.
      for (const logicalId of lambdaLogicalIds()) {
        const variables = (resource(logicalId).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        for (const [name, value] of Object.entries(variables)) {
          const variable = defaulted.get(name);
          if (!variable || typeof value !== 'string') continue;
          expect(variable.read(value), `${logicalId} ${name}=${JSON.stringify(value)}`).toEqual({ ok: true, value: (variable.unset as { value: unknown }).value });
          compared.push(name);
        }
      }
      expect(new Set(compared).size).toBeGreaterThanOrEqual(10);
    });

    it('holds no placeholder value: no all-zero key id, no example bucket, no example account', () => {
      const text = JSON.stringify(template);

      expect(text).not.toMatch(/0{8}-0{4}-0{4}-0{4}-0{12}/);
      expect(text).not.toMatch(/my-export-bucket|example\.com|123456789012/);
      expect(template.Parameters?.KmsKeyArn?.Default).toBe('');
      expect(template.Parameters?.ExportBucketName?.Default).toBe('');
    });

    it('creates a rotating customer-managed key that only the export role, the start function and the verify step (decrypt through S3) may use, and that outlives the stack', () => {
      const key = resource('ExportKey', 'AWS::KMS::Key') as CfnResource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
      const statements = policyStatements(template).filter((s) => s.holder === 'ExportKey');
      const usedBy = (action: string) =>
        statements.filter((s) => s.Effect === 'Allow' && list(s.Action).includes(action)).map((s) => cfn.value((s as { Principal?: { AWS?: unknown } }).Principal?.AWS));
      const root = `arn:aws:iam::${ACCOUNT}:root`;
      const exportRole = cfn.getAtt('ExportRole', 'Arn');
      const startRole = cfn.getAtt('StartExportRole', 'Arn');
      const verifyRole = cfn.getAtt('VerifyExportRole', 'Arn');

      expect(template.Conditions?.CreateExportKey).toEqual({ 'Fn::Equals': [{ Ref: 'KmsKeyArn' }, ''] });
      expect(key).toMatchObject({ Condition: 'CreateExportKey', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(key.Properties).toMatchObject({ EnableKeyRotation: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
      // Encryption and decryption: the export role only; the account administers the key but cannot use it.
      for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom']) expect(usedBy(action), action).toEqual([exportRole]);
      // The verify step reads the export's metadata files: decrypt only, only through S3.
      expect(usedBy('kms:Decrypt').sort()).toEqual([exportRole, verifyRole].sort());
      expect(statements.find((s) => s.Sid === 'VerifyFunctionReadsExports')?.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' } } });
      expect(usedBy('kms:CreateGrant').sort()).toEqual([exportRole, startRole].sort());
      expect(usedBy('kms:DescribeKey').sort()).toEqual([exportRole, root, startRole].sort());
      expect(usedBy('kms:PutKeyPolicy')).toEqual([root]);
      expect(statements.flatMap((s) => list(s.Action)).filter((action) => action.endsWith('*'))).toEqual([]);
      for (const grant of statements.filter((s) => list(s.Action).includes('kms:CreateGrant'))) {
        expect(grant.Condition, grant.where).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      }
      expect(environmentOf('admitExport').EXPORT_KMS_KEY_ID).toEqual(EXPORT_KEY_REF);
      expect(template.Outputs?.ExportKeyArn?.Value).toEqual(EXPORT_KEY_REF);
    });

    it('creates a private, TLS-only export bucket encrypted with the export key, kept on remove, with optional lifecycle rules', () => {
      const bucket = resource('ExportBucket', 'AWS::S3::Bucket') as CfnResource & { DeletionPolicy?: string };
      const policy = policyStatements(template).filter((s) => s.holder === 'ExportBucketPolicy');
      const rules = (bucket.Properties?.LifecycleConfiguration as { Rules: unknown[] }).Rules;

      expect(template.Conditions?.CreateExportBucket).toEqual({ 'Fn::Equals': [{ Ref: 'ExportBucketName' }, ''] });
      expect(bucket).toMatchObject({ Condition: 'CreateExportBucket', DeletionPolicy: 'Retain' });
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: EXPORT_KEY_REF }, BucketKeyEnabled: true }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      expect(policy).toEqual([
        expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
      expect(cfn.value(policy[0]!.Resource)).toEqual([cfn.getAtt('ExportBucket', 'Arn'), `${cfn.getAtt('ExportBucket', 'Arn')}/*`]);
      // Expiry and tiering only when their parameters are set (both empty by default).
      expect(rules).toEqual([
        expect.objectContaining({ Id: 'abort-incomplete-uploads' }),
        { 'Fn::If': ['ExpireExports', expect.objectContaining({ ExpirationInDays: { Ref: 'ExportExpirationDays' } }), { Ref: 'AWS::NoValue' }] },
        { 'Fn::If': ['TierExports', expect.objectContaining({ Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: { Ref: 'ExportInfrequentAccessDays' } }] }), { Ref: 'AWS::NoValue' }] },
      ]);
      expect(cfn.condition('ExpireExports') || cfn.condition('TierExports')).toBe(false);
      expect(environmentOf('admitExport').EXPORT_BUCKET).toEqual(EXPORT_BUCKET_REF);
      expect(template.Outputs?.ExportBucketName?.Value).toEqual(EXPORT_BUCKET_REF);
    });

    it('exports nothing until told what: no selection pattern, no scheduled source, and a warning that says so', () => {
      expect(environmentOf('snapshotTrigger').SELECTION_INCLUDE).toBe('');
      expect(environmentOf('planExports').SCHEDULED_SOURCES).toBe('[]');
      expect(eventRules().filter((r) => r.target === 'planExports')).toEqual([]);
      expect(packagingOutput).toContain('Warning: export-orchestrator: nothing will be exported');
      expect(packagingOutput).toContain('selectionInclude=');
    });

    it('names no partition in the definition or the template: every ARN takes ${AWS::Partition}', () => {
      const definition = JSON.stringify(resource('ExportStateMachine').Properties?.DefinitionString);
      const literalArns = JSON.stringify(template).match(/arn:aws(-[a-z]+)*:[a-z0-9-]*:/g) ?? [];

      expect(definition).toContain('arn:${AWS::Partition}:states:::lambda:invoke.waitForTaskToken');
      expect(literalArns).toEqual([]);
    });
  });

  // Issue 13: the operations view.
  describe('operations', () => {
    const namespace = `${SERVICE}/${STAGE}`;

    it('gives every function the metrics namespace the dashboard reads', () => {
      for (const name of FUNCTION_NAMES) expect(fullEnvironmentOf(name)[METRICS_NAMESPACE_VARIABLE], name).toBe(namespace);
    });

    it('has a dashboard of every workflow metric, the state machine\'s executions and every alarm of the stack', () => {
      const dashboard = resource('ExportDashboard', 'AWS::CloudWatch::Dashboard');
      const body = JSON.parse(cfn.string(dashboard.Properties?.DashboardBody, 'DashboardBody')) as {
        widgets: Array<{ type: string; properties: { region?: string; metrics?: unknown[]; alarms?: string[] } }>;
      };
      const text = JSON.stringify(body);
      const metricNames = [
        METRIC_NAMES.started, ...Object.values(METRIC_NAMES.ended), METRIC_NAMES.duration, METRIC_NAMES.exportedGb, METRIC_NAMES.polls,
        METRIC_NAMES.workflowFailures, METRIC_NAMES.queueDepth, METRIC_NAMES.oldestWaiting, METRIC_NAMES.running,
        METRIC_NAMES.notificationsFailed,
      ];
      const alarmArns = resourcesOfType('AWS::CloudWatch::Alarm')
        .filter(([, alarm]) => !alarm.Condition || cfn.condition(alarm.Condition))
        .map(([id]) => cfn.getAtt(id, 'Arn'));

      expect(dashboard.Properties?.DashboardName).toBe(STACK);
      expect(metricNames.filter((metric) => !text.includes(metric))).toEqual([]);
      expect(text).toContain(JSON.stringify(`{"${namespace}",kind,service}`).slice(1, -1));
      expect(text).toContain(cfn.ref('ExportStateMachine') as string);
      for (const metric of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut']) expect(text).toContain(`"AWS/States","${metric}"`);
      expect(body.widgets.filter((w) => w.type === 'metric').every((w) => w.properties.region === REGION)).toBe(true);
      expect(alarmArns.length).toBeGreaterThan(0);
      expect(body.widgets.find((w) => w.type === 'alarm')?.properties.alarms).toEqual(alarmArns);
      expect(template.Outputs?.DashboardUrl).toBeDefined();
    });
  });

  describe('nothing lost under faults (issue 9)', () => {
    const FAILED_EVENTS = { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] };
    const ALARM_ACTIONS = { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], [{ Ref: 'AlarmTopic' }]] };

    it('retries every EventBridge target for a day, then parks the event in the failed-events queue', () => {
      const rules = eventRules();

      expect(rules.length).toBeGreaterThanOrEqual(4);
      for (const rule of rules) {
        const [target] = rule.properties.Targets as Array<Record<string, unknown>>;
        expect(target, rule.logicalId).toMatchObject({ RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 }, DeadLetterConfig: { Arn: FAILED_EVENTS } });
      }
    });

    it('lets only this account\'s rules send dead letters to the queue, which is encrypted', () => {
      const policy = resource('FailedEventsQueuePolicy', 'AWS::SQS::QueuePolicy').Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } };

      expect(resource('FailedEventsQueue', 'AWS::SQS::Queue').Properties).toMatchObject({ SqsManagedSseEnabled: true });
      expect(policy.PolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: FAILED_EVENTS }),
      ]);
      expect(cfn.value(policy.PolicyDocument.Statement[0]!.Condition)).toEqual({ ArnLike: { 'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/*` } });
    });

    it.each(['snapshotTrigger', 'planExports', 'reconcileSnapshots', 'exportEvent'])(
      'gives %s an on-failure destination: two more tries, then the failed-events queue',
      (name) => {
        const config = resourcesOfType('AWS::Lambda::EventInvokeConfig').find(([, r]) => JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: `${pascal(name)}LambdaFunction` }));

        expect(config?.[1].Properties).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: FAILED_EVENTS } } });
      },
    );

    it('bounds the trigger\'s and the sweep\'s RDS calls: reserved concurrency as in RDS_CALL_BUDGET, together under the account budget', async () => {
      const { RDS_CALL_BUDGET, RDS_REQUESTS_PER_SECOND, worstCaseRate } = await import('../shared/runtime/pacing.ts');

      for (const [name, budget] of Object.entries(RDS_CALL_BUDGET)) {
        expect(resource(`${pascal(name)}LambdaFunction`).Properties?.ReservedConcurrentExecutions, name).toBe(budget.reservedConcurrency);
      }
      expect(Object.values(RDS_CALL_BUDGET).reduce((sum, budget) => sum + worstCaseRate(budget), 0)).toBeLessThan(RDS_REQUESTS_PER_SECOND);
    });

    it('runs the reconciliation sweep hourly by default, with the trigger\'s selection', () => {
      const [rule] = eventRules().filter((r) => r.target === 'reconcileSnapshots');
      const variables = (name: string) => resource(`${pascal(name)}LambdaFunction`).Properties?.Environment as { Variables: Record<string, unknown> };

      expect(rule?.properties.ScheduleExpression).toBe('rate(1 hour)');
      expect(variables('reconcileSnapshots').Variables.SWEEP_LOOKBACK_SECONDS).toBe('86400');
      for (const key of ['SELECTION_INCLUDE', 'SELECTION_EXCLUDE', 'SNAPSHOT_TYPES', 'STATE_MACHINE_ARN']) {
        expect(variables('reconcileSnapshots').Variables[key], key).toEqual(variables('snapshotTrigger').Variables[key]);
      }
    });

    it.each([
      ['AWS/States', 'ExecutionsFailed'],
      ['AWS/States', 'ExecutionsTimedOut'],
      ['AWS/States', 'ExecutionsAborted'],
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
      ['AWS/Lambda', 'Errors'],
    ])('alarms on %s %s, to the alarm topic or else the notification topic', (namespace, metric) => {
      const alarms = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties?.Namespace === namespace && a.Properties?.MetricName === metric);

      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) expect(alarm.Properties?.AlarmActions, id).toEqual(ALARM_ACTIONS);
    });

    it('sends every alarm of the stack somewhere: alarmTopicArn, or the stack\'s alarm topic', () => {
      const alarms = resourcesOfType('AWS::CloudWatch::Alarm');

      expect(alarms.length).toBeGreaterThanOrEqual(20);
      for (const [id, alarm] of alarms) {
        expect(alarm.Properties?.AlarmActions, id).toEqual(ALARM_ACTIONS);
        expect(cfn.value(alarm.Properties?.AlarmActions), id).toEqual([cfn.ref('AlarmTopic')]);
      }
      expect(template.Outputs?.AlarmTopicArn?.Value).toEqual({ 'Fn::If': ['HasAlarmTopic', { Ref: 'AlarmTopicArn' }, { Ref: 'AlarmTopic' }] });
    });

    it('encrypts the alarm topic with a key of its own that CloudWatch may use, only for this stack\'s alarms in this account', () => {
      // CloudWatch cannot publish to a topic under alias/aws/sns (the notification topic's default key): its
      // alarms would be dropped. The SNS guide: the key policy grants cloudwatch.amazonaws.com
      // kms:Decrypt and kms:GenerateDataKey*, scoped by aws:SourceAccount and aws:SourceArn.
      const topic = resource('AlarmTopic', 'AWS::SNS::Topic');
      const key = resource('AlarmTopicKey', 'AWS::KMS::Key');
      const keyStatements = policyStatements(template).filter((s) => s.holder === 'AlarmTopicKey');
      const cloudWatch = keyStatements.filter((s) => JSON.stringify((s as { Principal?: unknown }).Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
      const topicPolicy = policyStatements(template).filter((s) => s.holder === 'AlarmTopicPolicy');
      const alarmArns = resourcesOfType('AWS::CloudWatch::Alarm').map(([id]) => cfn.getAtt(id, 'Arn'));
      const sourceArnPattern = (statement: FoundStatement) => {
        const condition = cfn.value(statement.Condition) as { StringEquals: Record<string, string>; ArnLike: Record<string, string> };
        expect(condition.StringEquals['aws:SourceAccount'], statement.where).toBe(ACCOUNT);
        return new RegExp(`^${condition.ArnLike['aws:SourceArn']!.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      };

      expect(template.Conditions?.CreateAlarmTopic).toEqual({ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] });
      for (const id of ['AlarmTopic', 'AlarmTopicKey', 'AlarmTopicPolicy']) expect(resource(id).Condition, id).toBe('CreateAlarmTopic');
      expect(topic.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlarmTopicKey', 'Arn'] });
      expect(key.Properties).toMatchObject({ EnableKeyRotation: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
      expect(cloudWatch).toHaveLength(1);
      expect(list(cloudWatch[0]!.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      // Nobody else encrypts or decrypts with it; the account administers it.
      const used = keyStatements.filter((s) => list(s.Action).some((action) => /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|CreateGrant|\*)/.test(action)));
      expect(used).toEqual(cloudWatch);
      expect(topicPolicy).toEqual([expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'AlarmTopic' } })]);
      // Every alarm of the stack falls within both conditions (an alarm named otherwise would be dropped by KMS).
      for (const statement of [cloudWatch[0]!, topicPolicy[0]!]) {
        const pattern = sourceArnPattern(statement);
        for (const arn of alarmArns) expect(arn, statement.where).toMatch(pattern);
        expect(`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:another-stack-alarm`).not.toMatch(pattern);
      }
    });

    it('leaves the notification topic and its publishers as they were: alias/aws/sns, no KMS statement needed', () => {
      expect(resource('NotificationTopic').Properties?.KmsMasterKeyId).toEqual({ 'Fn::If': ['CustomerManagedTopicKey', { Ref: 'SnsKmsKeyArn' }, 'alias/aws/sns'] });
      for (const name of ['notify', 'startExport', 'pollExport', 'cancelExport', 'verifyExport']) {
        expect(functionStatements(name).filter((s) => s.Sid === 'Publish' || list(s.Action).includes('sns:Publish')).map((s) => s.Resource), name).toEqual([{ Ref: 'NotificationTopic' }]);
      }
    });

    it('alarms on the errors of every function: at once where a failure loses something, after 15 minutes where the state machine retries the step', async () => {
      const { FUNCTIONS } = require('../config/function-alarms.cjs') as { FUNCTIONS: Record<string, [string, string]> };
      const errorsAlarms = resourcesOfType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties?.Namespace === 'AWS/Lambda' && a.Properties?.MetricName === 'Errors');
      const watching = (functionId: string) => errorsAlarms.filter(([, a]) => JSON.stringify(a.Properties?.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: functionId } }]));
      const stepFunctions = new Set(Object.values(TASK_FUNCTIONS));

      expect(lambdaLogicalIds().length).toBe(FUNCTION_NAMES.length);
      for (const functionId of lambdaLogicalIds()) {
        const name = functionName(functionId);
        const alarms = watching(functionId);
        expect(alarms, `${name} has one errors alarm`).toHaveLength(1);
        const properties = alarms[0]![1].Properties!;
        expect(FUNCTIONS[name], `${name} has a description of what its errors mean in config/function-alarms.cjs`).toBeDefined();
        expect(properties).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', AlarmActions: ALARM_ACTIONS });
        // Steps the state machine retries (and notify's retried publish aside) alarm on sustained errors only.
        const sustained = stepFunctions.has(name) && !['notify', 'verifyExport'].includes(name);
        expect([properties.EvaluationPeriods, properties.DatapointsToAlarm], name).toEqual(sustained || name === 'slackNotify' ? [3, 3] : [1, 1]);
      }
      expect(new Set(errorsAlarms.map(([, a]) => a.Properties?.AlarmName)).size).toBe(errorsAlarms.length);
      expect(resource('VerifyExportErrorsAlarm').Properties?.AlarmName).toBe(`${STACK}-verify-export-errors`);
    });

    it('alarms on the oldest queued execution and a stalled slot queue', () => {
      expect(resource('StalledSlotQueueLogFilter', 'AWS::Logs::MetricFilter').Properties).toMatchObject({ LogGroupName: { Ref: 'DispatchExportsLogGroup' } });
      expect(resource('StalledSlotQueueAlarm', 'AWS::CloudWatch::Alarm').Properties).toMatchObject({ MetricName: 'StalledSlotQueue', AlarmActions: ALARM_ACTIONS });
      expect(resource('OldestQueuedExecutionAlarm', 'AWS::CloudWatch::Alarm').Properties).toMatchObject({
        Namespace: `${SERVICE}/${STAGE}`,
        MetricName: METRIC_NAMES.oldestWaiting,
        Dimensions: [{ Name: 'service', Value: SERVICE }],
        AlarmActions: ALARM_ACTIONS,
      });
      expect(Number(resource('OldestQueuedExecutionAlarm').Properties?.Threshold)).toBe(86400);
    });

    it('logs the state machine\'s errors, with their input, to a log group with a retention', () => {
      expect(resource('ExportStateMachine').Properties?.LoggingConfiguration).toEqual({
        Level: 'ERROR',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['StateMachineLogGroup', 'Arn'] } } }],
      });
      expect(resource('StateMachineLogGroup', 'AWS::Logs::LogGroup').Properties?.RetentionInDays).toBe(30);
    });

    it('lets kms:CreateGrant be used only for grants to AWS resources (RDS), in every policy', () => {
      const grants = policyStatements(template).filter((s) => s.Effect === 'Allow' && list(s.Action).includes('kms:CreateGrant'));

      expect(grants.length).toBeGreaterThan(0);
      for (const statement of grants) {
        expect(list(statement.Action), statement.where).toEqual(['kms:CreateGrant']);
        expect(statement.Condition, statement.where).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      }
    });
  });

  describe('cfn-lint', () => {
    const available = lintAvailable;
    if (!available && !isCi()) {
      console.warn(`[packaging.test] cfn-lint is not on PATH: its check is skipped. Install with \`pip install cfn-lint\`.`);
    }

    it.skipIf(!available && !isCi())('finds nothing to report in the compiled template (skipped when cfn-lint is missing locally)', async () => {
      expect(available, 'cfn-lint is not on PATH; CI must have it (pip install cfn-lint)').toBe(true);

      const result = await lint!;

      expect(result.error).toBeUndefined();
      expect(result.output.trim()).toBe('');
      expect(result.status).toBe(0);
    }, 60_000);
  });
});

describe('deploy-time parameters (config/resolvers.cjs)', () => {
  const resolveParam = (name: string, value: string | null): ResolveVariable => async (address) => (address === `param:${name}` ? value : undefined);
  const everySubscriptionFor = (notificationEmails: string | null, emailFilterStatuses: string | null = null) =>
    resolvers.subscriptions({
      resolveVariable: async (address) =>
        address === 'param:notificationEmails' ? notificationEmails : address === 'param:emailFilterStatuses' ? emailFilterStatuses : undefined,
    });
  const onTopic = (resources: Record<string, CfnResource>, topic: string) =>
    Object.fromEntries(Object.entries(resources).filter(([, s]) => JSON.stringify(s.Properties?.TopicArn) === JSON.stringify({ Ref: topic })));
  /** The notification topic's subscriptions (the alarm topic's are checked apart). */
  const subscriptionsFor = async (notificationEmails: string | null, emailFilterStatuses: string | null = null) => {
    const { Resources } = await everySubscriptionFor(notificationEmails, emailFilterStatuses);
    return Resources ? { Resources: onTopic(Resources, 'NotificationTopic') } : {};
  };

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
    await expect(everySubscriptionFor('')).resolves.toEqual({});
    await expect(everySubscriptionFor(' , ')).resolves.toEqual({});
    await expect(everySubscriptionFor(null)).resolves.toEqual({});
  });

  it('subscribes each address to the stack\'s alarm topic too, unfiltered, only when the stack creates that topic', async () => {
    const { Resources = {} } = await everySubscriptionFor('ops@example.com,dba@example.com=FAILED', 'FAILED,TIMED_OUT');
    const alarmSubscriptions = Object.values(onTopic(Resources, 'AlarmTopic'));

    expect(alarmSubscriptions.map((s) => s.Properties?.Endpoint)).toEqual(['ops@example.com', 'dba@example.com']);
    for (const subscription of alarmSubscriptions) {
      expect(subscription).toEqual({ Type: 'AWS::SNS::Subscription', Condition: 'CreateAlarmTopic', Properties: { Protocol: 'email', Endpoint: subscription.Properties?.Endpoint, TopicArn: { Ref: 'AlarmTopic' } } });
    }
    expect(Object.keys(Resources)).toHaveLength(4);
  });

  it('filters every email subscription on the status attribute when emailFilterStatuses is set', async () => {
    const { Resources = {} } = await subscriptionsFor('ops@example.com,dba@example.com', 'failed, CANCELED,TIMED_OUT');

    for (const subscription of Object.values(Resources)) {
      expect(subscription.Properties).toMatchObject({ FilterPolicyScope: 'MessageAttributes', FilterPolicy: { status: ['FAILED', 'CANCELED', 'TIMED_OUT'] } });
    }
  });

  it('lets an address carry its own filter, which wins, and keeps its logical ID', async () => {
    const plain = await subscriptionsFor('dba@example.com');
    const { Resources = {} } = await subscriptionsFor('ops@example.com,dba@example.com=FAILED|TIMED_OUT', 'FAILED,CANCELED,TIMED_OUT');

    const byEndpoint = Object.fromEntries(Object.entries(Resources).map(([id, s]) => [s.Properties?.Endpoint as string, { id, properties: s.Properties }]));
    expect(byEndpoint['dba@example.com']?.properties?.FilterPolicy).toEqual({ status: ['FAILED', 'TIMED_OUT'] });
    expect(byEndpoint['ops@example.com']?.properties?.FilterPolicy).toEqual({ status: ['FAILED', 'CANCELED', 'TIMED_OUT'] });
    expect(byEndpoint['dba@example.com']?.id).toBe(Object.keys(plain.Resources ?? {})[0]);
    expect(plain.Resources?.[byEndpoint['dba@example.com']!.id]?.Properties).not.toHaveProperty('FilterPolicy');
  });

  it('refuses a status filter that names no status, rather than silence every email', async () => {
    await expect(subscriptionsFor('ops@example.com', 'FAIL')).rejects.toThrow(/emailFilterStatuses has unknown status\(es\) "FAIL"/);
    await expect(subscriptionsFor('ops@example.com=DONE')).rejects.toThrow(/notificationEmails \(ops@example.com=DONE\) has unknown status/);
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

  it('turns exportSchedules into one planner schedule event per ";"-separated expression', async () => {
    const events = await resolvers.planSchedules({ resolveVariable: resolveParam('exportSchedules', 'cron(0 3 * * ? *);rate(12 hours)') });

    // osls compiles each into its own AWS::Events::Rule targeting planExports, with a retry policy and the failed-events queue.
    const retry = { retryPolicy: { maximumEventAge: 86400, maximumRetryAttempts: 185 }, deadLetterQueueArn: { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] } };
    expect(events).toEqual([{ eventBridge: { schedule: 'cron(0 3 * * ? *)', ...retry } }, { eventBridge: { schedule: 'rate(12 hours)', ...retry } }]);
    expect(resolvers.parseSchedules(' rate(1 hour) ; ;cron(0 3 * * ? *); ')).toEqual(['rate(1 hour)', 'cron(0 3 * * ? *)']);
  });

  it('warns (opt-in) only when neither a selection pattern nor a scheduled source is given', () => {
    expect(resolvers.selectsNothing('', '[]')).toBe(true);
    expect(resolvers.selectsNothing(' , ', '')).toBe(true);
    expect(resolvers.selectsNothing('prod-db', '[]')).toBe(false);
    expect(resolvers.selectsNothing('', '[{"dbInstanceIdentifier":"prod-db"}]')).toBe(false);
    // Malformed sources are the planner's configuration error to name, not a reason to warn.
    expect(resolvers.selectsNothing('', '[{')).toBe(false);
  });

  it('warns when scheduled sources have no schedule to run them', () => {
    const sources = '[{"dbInstanceIdentifier":"prod-db"}]';
    expect(resolvers.selectionWarning('', sources, '')).toMatch(/scheduledSources is set but exportSchedules is empty/);
    expect(resolvers.selectionWarning('', sources, 'cron(0 3 * * ? *)')).toBeUndefined();
    expect(resolvers.selectionWarning('prod-db', '[]', '')).toBeUndefined();
    expect(resolvers.selectionWarning('', '[]', '')).toMatch(/nothing will be exported/);
  });

  it('gives the planner no schedule for an empty or missing exportSchedules (the default)', async () => {
    await expect(resolvers.planSchedules({ resolveVariable: resolveParam('exportSchedules', '') })).resolves.toEqual([]);
    await expect(resolvers.planSchedules({ resolveVariable: resolveParam('exportSchedules', null) })).resolves.toEqual([]);
    expect(resolvers.parseSchedules(' ; ')).toEqual([]);
  });

  it('refuses an exportSchedules entry that is not a rate() or cron() expression', () => {
    expect(() => resolvers.parseSchedules('rate(1 hour);every day')).toThrow(/exportSchedules has invalid expression\(s\) "every day"/);
    expect(() => resolvers.parseSchedules('rate(1 hour),rate(2 hours)')).toThrow(/exportSchedules has invalid/);
  });
});

// ---------------------------------------------------------------------------------------------

function resource(logicalId: string, type?: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`${logicalId} is not in the template; it has ${Object.keys(template.Resources).join(', ')}`);
  if (type) expect(found.Type).toBe(type);
  return found;
}

function resourcesOfType(type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function lambdaLogicalIds(): string[] {
  return resourcesOfType('AWS::Lambda::Function').map(([id]) => id);
}

/** The serverless.yml name of a packaged function ("export-orchestrator-test-admitExport" -> "admitExport"). */
function functionName(logicalId: string): string {
  const name = resource(logicalId).Properties?.FunctionName as string;
  return name.startsWith(`${STACK}-`) ? name.slice(STACK.length + 1) : name;
}

/** Each function's deployed ARN (placeholder account and region) -> its serverless.yml name. */
function functionsByArn(): Map<string, string> {
  return new Map(lambdaLogicalIds().map((id) => [cfn.getAtt(id, 'Arn'), functionName(id)]));
}

function bundleOf(name: string): { entries: string[]; path: string; source: string; modules: SplitBundle } {
  const bundle = bundles.get(name);
  if (!bundle) throw new Error(`${name}.zip is not in the package`);
  return bundle;
}

/** A function's own environment variables: those the provider gives every function (read by Powertools itself) aside. */
function environmentOf(name: string): Record<string, unknown> {
  const { [METRICS_NAMESPACE_VARIABLE]: _everyFunction, ...own } = fullEnvironmentOf(name);
  return own;
}

function fullEnvironmentOf(name: string): Record<string, unknown> {
  const properties = resource(`${pascal(name)}LambdaFunction`).Properties ?? {};
  return (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

/** What a function would see at run time: its template variables, evaluated with deploy-time stand-ins, plus what Lambda sets. */
function lambdaEnvironment(name: string): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: `${STACK}-${name}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [key, value] of Object.entries(fullEnvironmentOf(name))) env[key] = cfn.string(value, `${name} ${key}`);
  return env;
}

/**
 * The variables a handler reads, from the config shapes (shared/runtime/config.ts, shared/triggers/config.ts)
 * it imports and passes to readConfig; `required` when the shape has no default for it.
 */
async function variablesRead(name: string): Promise<Map<string, { required: boolean }>> {
  const handlerPath = join(REPO_ROOT, 'functions', kebab(name), 'handler.ts');
  const source = await readFile(handlerPath, 'utf8');
  expect(source, `${handlerPath} reads the environment through readConfig only`).not.toMatch(/process\.env/);

  // Every readConfig argument is made of imported *Shape objects, so the imports say it all.
  for (const [, argument] of source.matchAll(/readConfig\(([^()]*)\)/g)) {
    const identifiers = argument!.replace(/[{}.,\s]+/g, ' ').trim().split(' ').filter(Boolean);
    expect(identifiers.filter((identifier) => !identifier.endsWith('Shape')), `readConfig(${argument}) in ${handlerPath}`).toEqual([]);
  }

  const reads = new Map<string, { required: boolean }>();
  for (const [, names, specifier] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    const shapeNames = names!.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter((n) => n.endsWith('Shape'));
    if (shapeNames.length === 0) continue;
    const module = (await import(resolve(dirname(handlerPath), specifier!))) as Record<string, Record<string, Variable<unknown>>>;
    for (const shapeName of shapeNames) {
      const shape = module[shapeName];
      if (!shape) throw new Error(`${specifier} exports no ${shapeName}`);
      for (const [name, variable] of Object.entries(shape)) reads.set(name, { required: variable.unset === undefined });
    }
  }
  return reads;
}

function allowStatements(): FoundStatement[] {
  return policyStatements(template).filter((s) => s.Effect === 'Allow' && !s.where.includes('/AssumeRolePolicyDocument'));
}

/** Allow statements of identity policies (roles' own and AWS::IAM::RolePolicy), not of resource policies such as key policies. */
function identityStatements(): FoundStatement[] {
  return allowStatements().filter((s) => ['AWS::IAM::Role', 'AWS::IAM::RolePolicy'].includes(template.Resources[s.holder]!.Type));
}

/** What a function's role may do: its inline policies and the AWS::IAM::RolePolicy resources attached to it. */
function functionStatements(name: string): FoundStatement[] {
  const role = `${pascal(name)}Role`;
  const attached = resourcesOfType('AWS::IAM::RolePolicy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.RoleName) === JSON.stringify({ Ref: role }) && (!policy.Condition || cfn.condition(policy.Condition)))
    .map(([id]) => id);
  return policyStatements(template).filter((s) => s.where.startsWith(`${role}/Policies`) || attached.includes(s.holder));
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
}

/** The state machine's DefinitionString with each `${...}` evaluated (Lambda ARNs with placeholder account and region), parsed. */
function stateMachineDefinition(): { StartAt: string; States: Record<string, AslState> } {
  const body = cfn.string(resource('ExportStateMachine', 'AWS::StepFunctions::StateMachine').Properties?.DefinitionString, 'DefinitionString');
  return JSON.parse(body) as { StartAt: string; States: Record<string, AslState> };
}

/** Task state -> the function it runs: its Resource, or Parameters.FunctionName for the lambda:invoke integrations. */
function taskFunctions(): Record<string, string> {
  const byArn = functionsByArn();
  return Object.fromEntries(
    Object.entries(stateMachineDefinition().States)
      .filter(([, state]) => state.Type === 'Task')
      .map(([name, state]) => {
        const target = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(state.Resource ?? '')
          ? (state.Parameters?.FunctionName as string)
          : state.Resource!;
        return [name, byArn.get(target) ?? target];
      }),
  );
}

interface EventRule {
  logicalId: string;
  target: string;
  properties: Record<string, unknown>;
}

/** Every EventBridge rule, by the function it targets (one target each). */
function eventRules(): EventRule[] {
  const byArn = functionsByArn();
  return resourcesOfType('AWS::Events::Rule').map(([logicalId, rule]) => {
    const targets = (rule.Properties?.Targets as { Arn: unknown }[] | undefined) ?? [];
    expect(targets, `${logicalId} targets`).toHaveLength(1);
    const arn = cfn.string(targets[0]!.Arn, `${logicalId} target`);
    return { logicalId, target: byArn.get(arn) ?? arn, properties: rule.Properties ?? {} };
  });
}

function groupBy<T>(items: T[], key: (item: T) => string): Record<string, T[]> {
  const groups: Record<string, T[]> = {};
  for (const item of items) (groups[key(item)] ??= []).push(item);
  return groups;
}
