/**
 * Deploy-time checking of the parameters the functions read (config/check-params.cjs, with the
 * functions' own reading in config/param-problems.ts): a value a function would refuse at its cold
 * start fails `serverless package` / `deploy`, with every problem named, instead of every execution.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isReadByAFunction, paramProblems } from '../config/param-problems.ts';
import { credentialFreeEnv, parseCfnYaml } from './packaging-helpers.ts';

type ResolveVariable = (address: string) => Promise<unknown>;
interface CheckParams {
  checkParams: (context: { resolveVariable: ResolveVariable }) => Promise<string>;
  variablesFromParams: (yaml?: string) => Array<{ variable: string; param: string }>;
}

const REPO_ROOT = resolve(import.meta.dirname, '..');
const { checkParams, variablesFromParams } = createRequire(import.meta.url)('../config/check-params.cjs') as CheckParams;

async function defaultParams(): Promise<Record<string, unknown>> {
  const serverless = parseCfnYaml(await readFile(join(REPO_ROOT, 'serverless.yml'), 'utf8')) as unknown as { params: { default: Record<string, unknown> } };
  // As serverless resolves them for the stage `dev` (slackWebhookParameter's default names both).
  return Object.fromEntries(
    Object.entries(serverless.params.default).map(([name, value]) => [name, typeof value === 'string' ? value.replace('${self:service}', 'export-orchestrator').replace('${sls:stage}', 'dev') : value]),
  );
}

const resolverOf =
  (params: Record<string, unknown>): ResolveVariable =>
  async (address) =>
    address.startsWith('param:') ? (params[address.slice('param:'.length)] ?? null) : undefined;

describe('the parameters a function reads, read as the function reads them (config/param-problems.ts)', () => {
  it('names the parameter, its variable and what the value must be, for each problem', () => {
    // Act
    const problems = paramProblems([
      { param: 'minPollSeconds', variable: 'MIN_POLL_SECONDS', value: 'abc' },
      { param: 'exportQuota', variable: 'EXPORT_QUOTA', value: '0' },
      { param: 'snapshotTypes', variable: 'SNAPSHOT_TYPES', value: 'weekly' },
      { param: 'scheduledSources', variable: 'SCHEDULED_SOURCES', value: '[{"dbInstanceIdentifier":1}]' },
    ]);

    // Assess
    expect(problems).toEqual([
      'minPollSeconds (MIN_POLL_SECONDS) must be a whole number of seconds',
      'exportQuota (EXPORT_QUOTA) must be positive',
      expect.stringMatching(/^snapshotTypes \(SNAPSHOT_TYPES\) .*weekly.*manual, automated, awsbackup/),
      expect.stringMatching(/^scheduledSources \(SCHEDULED_SOURCES\) .*dbInstanceIdentifier/),
    ]);
  });

  it('accepts what the functions accept', () => {
    expect(
      paramProblems([
        { param: 'minPollSeconds', variable: 'MIN_POLL_SECONDS', value: '30' },
        { param: 'snapshotTypes', variable: 'SNAPSHOT_TYPES', value: 'manual' },
        { param: 'retainExports', variable: 'RETAIN_EXPORTS', value: '0' },
      ]),
    ).toEqual([]);
  });

  it('says a problem of a variable that several functions read once', () => {
    // SNAPSHOT_TYPES is read by the snapshot trigger and the sweep alike.
    expect(paramProblems([{ param: 'snapshotTypes', variable: 'SNAPSHOT_TYPES', value: '' }])).toHaveLength(1);
  });

  it('never repeats the value of a free-text parameter, which may be a secret pasted in the wrong place', () => {
    const problems = paramProblems([{ param: 'memberRoleName', variable: 'MEMBER_ROLE_NAME', value: 'xoxb-not a role name' }]);

    expect(problems).toEqual([expect.stringMatching(/^memberRoleName \(MEMBER_ROLE_NAME\) must be an IAM role name/)]);
    expect(problems.join()).not.toContain('xoxb');
  });
});

describe('the deploy-time check of the parameters (config/check-params.cjs)', () => {
  it('finds every function variable that serverless.yml sets from a parameter, and every one is read by a function', async () => {
    // Prepare: any line that sets an upper-case key from a parameter, however it is written.
    const yaml = await readFile(join(REPO_ROOT, 'serverless.yml'), 'utf8');
    const setFromParams = [...yaml.matchAll(/^\s*([A-Z][A-Z0-9_]*):.*\$\{param:/gm)].map(([, variable]) => variable);

    // Act
    const found = variablesFromParams(yaml);

    // Assess
    expect(new Set(found.map(({ variable }) => variable))).toEqual(new Set(setFromParams));
    expect(found).toContainEqual({ variable: 'MIN_POLL_SECONDS', param: 'minPollSeconds' });
    expect(found).toContainEqual({ variable: 'SCHEDULED_SOURCES', param: 'scheduledSources' });
    expect(found.filter(({ variable }) => !isReadByAFunction(variable))).toEqual([]);
  });

  it('passes serverless.yml\'s defaults', async () => {
    await expect(checkParams({ resolveVariable: resolverOf(await defaultParams()) })).resolves.toMatch(/^\d+ parameters checked$/);
  });

  it('refuses what a function would refuse, naming every problem and how to set the parameters', async () => {
    // Prepare
    const params = { ...(await defaultParams()), eventSafetyNetSeconds: '6h', backupEvents: 'yes', catalogExports: '' };

    // Act
    const checked = checkParams({ resolveVariable: resolverOf(params) });

    // Assess
    await expect(checked).rejects.toThrow(
      'Parameters the functions would refuse at their cold start: eventSafetyNetSeconds (EVENT_SAFETY_NET_SECONDS) must be a whole number of seconds; ' +
        'backupEvents (BACKUP_EVENTS) must be true or false; catalogExports (CATALOG_EXPORTS) must be auto, true or false. Set them with --param="name=value"',
    );
  });

  it('fails the serverless command itself, before anything is built', async () => {
    // Prepare
    const scratch = await mkdtemp(join(tmpdir(), 'export-orchestrator-params-'));

    // Act
    const printed = await promisify(execFile)('npx', ['--no', '--', 'serverless', 'print', '--param=minPollSeconds=soon', '--param=exportQuota=-1'], {
      cwd: REPO_ROOT,
      env: credentialFreeEnv(scratch),
      timeout: 60_000,
    }).then(
      () => ({ failed: false, output: '' }),
      (error: { stdout?: string; stderr?: string }) => ({ failed: true, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );

    // Assess
    expect(printed.failed).toBe(true);
    expect(printed.output).toContain('exportQuota (EXPORT_QUOTA) must be positive; minPollSeconds (MIN_POLL_SECONDS) must be a whole number of seconds');
  }, 60_000);
});
