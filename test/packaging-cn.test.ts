/**
 * Packages the service a second time, as a user in China would deploy it (aws-cn, cn-north-1) with
 * their own bucket and key and one DB selected, and checks that every ARN then names the aws-cn
 * partition, that nothing of the stack's own bucket or key is created, and that the given ones are
 * used everywhere (the default packaging is checked by test/packaging.test.ts).
 */
import { createRequire } from 'node:module';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACCOUNT, cfnLintAvailable, isCi, list, packageService, policyStatements, startCfnLint, TemplateEvaluator, type CfnTemplate } from './packaging-helpers.ts';

const require = createRequire(import.meta.url);
const validateAsl = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: () => string };

const REPO_ROOT = resolve(import.meta.dirname, '..');
const REGION = 'cn-north-1';
const STAGE = 'cn';
const STACK = `export-orchestrator-${STAGE}`;
const BUCKET = 'acme-rds-exports-cn';
const KEY_ARN = `arn:aws-cn:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

let packageDir: string;
let template: CfnTemplate;
let stderr: string;
let cfn: TemplateEvaluator;
const lintAvailable = cfnLintAvailable();
let lint: ReturnType<typeof startCfnLint> | undefined;

beforeAll(async () => {
  ({ packageDir, template, stderr } = await packageService(
    REPO_ROOT,
    STAGE,
    ['--region', REGION, `--param=exportBucket=${BUCKET}`, `--param=kmsKeyArn=${KEY_ARN}`, '--param=selectionInclude=prod-db'],
    180_000,
    inject('bundleCache'),
  ));
  cfn = new TemplateEvaluator(template, STACK, { partition: 'aws-cn', region: REGION });
  // cfn-lint runs beside the other tests of this file, awaited by its own.
  if (lintAvailable) lint = startCfnLint(join(packageDir, 'cloudformation-template-update-stack.json'), ['--regions', REGION]);
}, 190_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

/** Every string of an evaluated value that looks like an ARN. */
function arnsIn(value: unknown): string[] {
  const text = JSON.stringify(value);
  return [...text.matchAll(/arn:[a-z-]+:[^"\\]*/g)].map((match) => match[0]);
}

describe('serverless package for aws-cn, with an existing bucket and key', () => {
  it('names the aws-cn partition in every ARN: the definition, the environment, the policies and the outputs', () => {
    // Act: evaluate what CloudFormation would resolve in cn-north-1.
    const definition = JSON.parse(cfn.string(template.Resources.ExportStateMachine!.Properties?.DefinitionString, 'DefinitionString')) as { States: Record<string, { Resource?: string }> };
    const environments = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => cfn.value((resource.Properties?.Environment as { Variables?: unknown } | undefined)?.Variables));
    const statements = policyStatements(template);
    const policyArns = statements.flatMap((s) => list(s.Resource as unknown)).filter((r) => JSON.stringify(r).includes('arn:')).map((r) => cfn.value(r));
    const outputs = Object.values(template.Outputs ?? {}).map((output) => cfn.value(output.Value));

    // Assess
    expect(validateAsl(definition).isValid, validateAsl(definition).errorsText()).toBe(true);
    expect(definition.States.AdmitExport?.Resource).toBe('arn:aws-cn:states:::lambda:invoke.waitForTaskToken');
    const arns = [...arnsIn(definition), ...arnsIn(environments), ...arnsIn(policyArns), ...arnsIn(outputs)];
    expect(arns.length).toBeGreaterThan(20);
    expect(arns.filter((arn) => !arn.startsWith('arn:aws-cn:'))).toEqual([]);
  });

  it('creates no bucket and no key, and writes to the given ones', () => {
    const admit = template.Resources.AdmitExportLambdaFunction!.Properties?.Environment as { Variables: Record<string, unknown> };
    const exportRoleStatements = policyStatements(template).filter((s) => s.holder === 'ExportRoleAccess');

    expect(cfn.condition('CreateExportBucket')).toBe(false);
    expect(cfn.condition('CreateExportKey')).toBe(false);
    expect(cfn.value(admit.Variables.EXPORT_BUCKET)).toBe(BUCKET);
    expect(cfn.value(admit.Variables.EXPORT_KMS_KEY_ID)).toBe(KEY_ARN);
    expect(exportRoleStatements.map((s) => cfn.value(s.Resource))).toEqual([`arn:aws-cn:s3:::${BUCKET}`, `arn:aws-cn:s3:::${BUCKET}/*`, KEY_ARN, KEY_ARN]); // the key's use, and its grants to RDS only
    expect(cfn.value(policyStatements(template).find((s) => s.holder === 'StartExportKeyAccess')?.Resource)).toBe(KEY_ARN);
    expect(cfn.value(template.Outputs?.ExportBucketName?.Value)).toBe(BUCKET);
  });

  it('selects the named DB and says nothing about an empty selection', () => {
    const trigger = template.Resources.SnapshotTriggerLambdaFunction!.Properties?.Environment as { Variables: Record<string, unknown> };

    expect(trigger.Variables.SELECTION_INCLUDE).toBe('prod-db');
    expect(stderr).not.toContain('nothing will be exported');
  });

  it.skipIf(!lintAvailable && !isCi())('passes cfn-lint for cn-north-1', async () => {
    expect(lintAvailable, 'cfn-lint is not on PATH; CI must have it (pip install cfn-lint)').toBe(true);
    const result = await lint!;

    expect(result.error).toBeUndefined();
    expect(result.output.trim()).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);
});
