import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportDefaultsShape, readConfig, type ExportDefaults } from '../../shared/runtime/config.ts';
import { ERROR_MESSAGE_LIMIT, InvalidExportRequest } from '../../shared/runtime/errors.ts';
import { INPUT_LIMITS, renderLimitsTable, utf8Bytes, type InputLimitName } from '../../shared/export-kinds/input-limits.ts';
import { startingNow } from '../../shared/slots/dispatch.ts';
import { buildWorkflowRequest } from '../../shared/export-kinds/inputs.ts';
import type { RdsRequest } from '../../shared/export-kinds/rds/request.ts';

// INPUT_LIMITS is the one source of the input's sizes: the README's table is rendered from it,
// every limit is enforced (one past it is refused, naming the field), and together they bound the
// largest request the workflow carries far under Step Functions' and SNS's 256 KB.

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const REQUESTED_AT = new Date('2026-03-04T05:06:07.000Z');
const KB_256 = 256 * 1024;
const defaults: ExportDefaults = readConfig(exportDefaultsShape, {
  EXPORT_BUCKET: 'default-export-bucket',
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  EXPORT_KMS_KEY_ID: 'alias/rds-export',
  AWS_REGION: REGION,
});
const SNAPSHOT_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:orders`;
const AGENT = 'o-0123456789abcdef0';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    buildWorkflowRequest(raw, defaults, REQUESTED_AT);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidExportRequest);
    return (error as InvalidExportRequest).problems;
  }
  return [];
}

const repeat = (text: string, n: number) => text.repeat(n);
/** Distinct exportOnly entries of names of 64 characters: database.schema.table at 194 characters. */
const longEntry = (i: number) => [`d${String(i).padStart(63, '0')}`, 's'.repeat(64), 't'.repeat(64)].join('.');

/** For each limit: an input at the limit (accepted) and one just past it (refused, naming the field). */
const AT_AND_PAST: Partial<Record<InputLimitName, { at?: Record<string, unknown>; past: Record<string, unknown>; names: RegExp }>> = {
  kind: { past: { kind: 'ec2-images' }, names: /^kind "ec2-images" is not one of/ },
  deadlineSeconds: { at: { sourceArn: SNAPSHOT_ARN, deadlineSeconds: INPUT_LIMITS.deadlineSeconds.max }, past: { sourceArn: SNAPSHOT_ARN, deadlineSeconds: INPUT_LIMITS.deadlineSeconds.max + 1 }, names: /^deadlineSeconds / },
  attempt: { at: { sourceArn: SNAPSHOT_ARN, attempt: INPUT_LIMITS.attempt.max }, past: { sourceArn: SNAPSHOT_ARN, attempt: INPUT_LIMITS.attempt.max + 1 }, names: /^attempt / },
  sourceArn: { past: { sourceArn: `${SNAPSHOT_ARN}${repeat('x', 2049 - SNAPSHOT_ARN.length)}` }, names: /^sourceArn / },
  snapshotIdentifier: {
    at: { sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${repeat('s', 255)}` },
    past: { sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:${repeat('s', 256)}` },
    names: /^the name in sourceArn /,
  },
  clusterIdentifier: {
    at: { sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${repeat('c', 63)}` },
    past: { sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${repeat('c', 64)}` },
    names: /^the name in sourceArn /,
  },
  s3Bucket: { at: { sourceArn: SNAPSHOT_ARN, s3Bucket: repeat('b', 63) }, past: { sourceArn: SNAPSHOT_ARN, s3Bucket: repeat('b', 64) }, names: /^s3Bucket / },
  s3PrefixTemplate: { past: { sourceArn: SNAPSHOT_ARN, s3Prefix: repeat('p', 1025) }, names: /^s3Prefix "/ },
  s3Prefix: { at: { sourceArn: SNAPSHOT_ARN, s3Prefix: repeat('p', 1024) }, past: { sourceArn: SNAPSHOT_ARN, s3Prefix: `${repeat('p', 1014)}{exportId}` }, names: /^s3Prefix \(rendered\) / },
  iamRoleArn: { past: { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/${repeat('p/', 1010)}r` }, names: /^iamRoleArn / },
  roleName: {
    at: { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/${repeat('r', 64)}` },
    past: { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/${repeat('r', 65)}` },
    names: /^the role name in iamRoleArn /,
  },
  rolePath: {
    at: { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/${repeat('p', 511)}/r` },
    past: { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/${repeat('p', 512)}/r` },
    names: /^the role path in iamRoleArn /,
  },
  kmsKeyId: { past: { sourceArn: SNAPSHOT_ARN, kmsKeyId: `alias/${repeat('k', 2043)}` }, names: /^kmsKeyId / },
  kmsAliasName: { at: { sourceArn: SNAPSHOT_ARN, kmsKeyId: `alias/${repeat('k', 250)}` }, past: { sourceArn: SNAPSHOT_ARN, kmsKeyId: `alias/${repeat('k', 251)}` }, names: /^the alias in kmsKeyId / },
  exportOnly: {
    at: { sourceArn: SNAPSHOT_ARN, exportOnly: Array.from({ length: 200 }, (_, i) => `db${i}`) },
    past: { sourceArn: SNAPSHOT_ARN, exportOnly: Array.from({ length: 201 }, (_, i) => `db${i}`) },
    names: /^exportOnly has 201 entries/,
  },
  exportOnlyEntry: { at: { sourceArn: SNAPSHOT_ARN, exportOnly: [longEntry(1)] }, past: { sourceArn: SNAPSHOT_ARN, exportOnly: [`${longEntry(1)}x`] }, names: /^exportOnly\[0\] / },
  exportOnlyName: { at: { sourceArn: SNAPSHOT_ARN, exportOnly: [repeat('n', 64)] }, past: { sourceArn: SNAPSHOT_ARN, exportOnly: [repeat('n', 65)] }, names: /^exportOnly\[0\] / },
  imageId: { at: { kind: 'ec2-image', imageId: 'ami-0123456789abcdef0', diskImageFormat: 'VMDK' }, past: { kind: 'ec2-image', imageId: 'ami-0123456789abcdef01', diskImageFormat: 'VMDK' }, names: /^imageId / },
  diskImageFormat: { past: { kind: 'ec2-image', imageId: 'ami-0123456789abcdef0', diskImageFormat: 'VMDKS' }, names: /^diskImageFormat / },
  agentIds: { at: { kind: 'ads', agentIds: [AGENT] }, past: { kind: 'ads', agentIds: [AGENT, 'o-1'] }, names: /^agentIds has 2 ids/ },
  agentId: { at: { kind: 'ads', agentIds: [repeat('a', 1000)] }, past: { kind: 'ads', agentIds: [repeat('a', 1001)] }, names: /^agentIds\[0\] / },
  adsTime: { past: { kind: 'ads', agentIds: [AGENT], startTime: `2026-01-01T00:00:00${repeat('0', 50)}Z` }, names: /^startTime / },
};

/** Limits enforced elsewhere than in buildWorkflowRequest, and where. */
const ENFORCED_ELSEWHERE: Partial<Record<InputLimitName, string>> = {
  executionInput: 'Step Functions refuses a larger StartExecution input (the local deployment too: local/step-functions-simulator.ts)',
  exportId: 'derived, always valid (test/unit/source.test.ts); the CLI checks the one it is given',
};

describe('INPUT_LIMITS', () => {
  it('is the table the README shows', () => {
    // Prepare
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

    // Act
    const shown = /<!-- INPUT_LIMITS:begin[^>]*-->\n([\s\S]*?)\n<!-- INPUT_LIMITS:end -->/.exec(readme)?.[1];

    // Assess
    expect(shown, 'README.md, "Input limits": paste renderLimitsTable() between the INPUT_LIMITS markers').toBe(renderLimitsTable());
  });

  it('gives every limit a test here, or says where it is enforced', () => {
    for (const name of Object.keys(INPUT_LIMITS)) expect(AT_AND_PAST[name as InputLimitName] ?? ENFORCED_ELSEWHERE[name as InputLimitName], name).toBeDefined();
  });

  it.each(Object.entries(AT_AND_PAST).filter(([, limit]) => limit.at !== undefined))('%s: accepts an input at the limit', (_, { at }) => {
    expect(problemsOf(at!)).toEqual([]);
  });

  it.each(Object.entries(AT_AND_PAST))('%s: refuses an input just past it, naming the field', (_, { past, names }) => {
    const problems = problemsOf(past);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(names);
  });

  it('bounds the largest valid request far under 256 KB, whatever is handed from state to state', () => {
    // Prepare: every field at its maximum.
    const raw = {
      sourceArn: `arn:aws-us-gov:rds:us-gov-west-1:${ACCOUNT}:cluster-snapshot:${repeat('s', 255)}`,
      s3Bucket: repeat('b', 63),
      s3Prefix: repeat('€', 341),
      iamRoleArn: `arn:aws-us-gov:iam::${ACCOUNT}:role/${repeat('p', 511)}/${repeat('r', 64)}`,
      kmsKeyId: `arn:aws-us-gov:kms:us-gov-west-1:${ACCOUNT}:alias/${repeat('k', 250)}`,
      exportOnly: Array.from({ length: INPUT_LIMITS.exportOnly.max }, (_, i) => longEntry(i)),
      deadlineSeconds: INPUT_LIMITS.deadlineSeconds.max,
    };
    const govDefaults = { ...defaults, AWS_REGION: 'us-gov-west-1' };

    // Act
    const request = buildWorkflowRequest(raw, govDefaults, REQUESTED_AT);
    const released = startingNow({ request, bounds: { minSeconds: 60, maxSeconds: 3600, eventSafetyNetSeconds: 21600 } }, REQUESTED_AT);
    const bytes = utf8Bytes(JSON.stringify(released));

    // Assess: the request rides in every state beside the error (≤ 4 KB) and the notices; 64 KB leaves room for them all.
    expect((request as RdsRequest).exportOnly).toHaveLength(200);
    expect(bytes).toBeLessThan(64 * 1024);
    expect(bytes + 4 * ERROR_MESSAGE_LIMIT).toBeLessThan(KB_256);
  });
});
