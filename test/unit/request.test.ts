import { describe, expect, it } from 'vitest';
import { exportDefaultsShape, readConfig, type ExportDefaults } from '../../shared/runtime/config.ts';
import { InvalidExportRequest } from '../../shared/runtime/errors.ts';
import { buildRdsRequest } from '../../shared/export-kinds/rds/request.ts';
import { exportIdentifier, isValidExportIdentifier, parseSourceArn } from '../../shared/export-kinds/rds/source.ts';

const ACCOUNT = '123456789012';
const SNAPSHOT_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:rds:orders-db-2026-03-04-05-06`;
const CLUSTER_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:aurora-main`;
const REQUESTED_AT = new Date('2026-03-04T05:06:07.000Z');

const config: ExportDefaults = readConfig(exportDefaultsShape, {
  EXPORT_BUCKET: 'default-export-bucket',
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  EXPORT_KMS_KEY_ID: 'alias/rds-export',
  DEFAULT_DEADLINE_SECONDS: '7200',
});

/** The problems of the InvalidExportRequest that building the request throws (fails the test if it does not throw one). */
function problemsOf(raw: unknown): string[] {
  try {
    buildRdsRequest(raw, config, REQUESTED_AT);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidExportRequest);
    expect((error as InvalidExportRequest).name).toBe('InvalidExportRequest');
    return (error as InvalidExportRequest).problems;
  }
  expect.fail(`expected ${JSON.stringify(raw)} to be refused`);
}

describe('buildRdsRequest', () => {
  it('applies the configured defaults to a request that gives only the source', () => {
    const request = buildRdsRequest({ sourceArn: SNAPSHOT_ARN }, config, REQUESTED_AT);

    expect(request).toEqual({
      source: parseSourceArn(SNAPSHOT_ARN),
      exportId: exportIdentifier(parseSourceArn(SNAPSHOT_ARN)!, REQUESTED_AT),
      s3Bucket: 'default-export-bucket',
      s3Prefix: 'rds-orders-db-2026-03-04-05-06/2026-03-04',
      iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
      kmsKeyId: 'alias/rds-export',
      requestedAt: '2026-03-04T05:06:07.000Z',
      deadline: '2026-03-04T07:06:07.000Z',
    });
    expect(request).not.toHaveProperty('exportOnly');
    expect(isValidExportIdentifier(request.exportId)).toBe(true);
  });

  it('prefers the values the input gives over the defaults', () => {
    const request = buildRdsRequest(
      {
        sourceArn: SNAPSHOT_ARN,
        s3Bucket: 'team.exports-2026',
        s3Prefix: 'custom',
        iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/other-export-role`,
        kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        exportOnly: ['orders', 'orders.customers', 'orders.public.items'],
        deadlineSeconds: 600,
      },
      config,
      REQUESTED_AT,
    );

    expect(request).toMatchObject({
      s3Bucket: 'team.exports-2026',
      s3Prefix: 'custom',
      iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/other-export-role`,
      kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      exportOnly: ['orders', 'orders.customers', 'orders.public.items'],
    });
  });

  it.each([
    ['a key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['a multi-Region key id', 'mrk-1234abcd12ab34cd56ef1234567890ab'],
    ['an alias', 'alias/team/exports'],
    ['an alias ARN', `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/exports`],
  ])('accepts %s as kmsKeyId', (_, kmsKeyId) => {
    expect(buildRdsRequest({ sourceArn: SNAPSHOT_ARN, kmsKeyId }, config, REQUESTED_AT).kmsKeyId).toBe(kmsKeyId);
  });

  it('sets the deadline deadlineSeconds after the request time', () => {
    expect(buildRdsRequest({ sourceArn: SNAPSHOT_ARN, deadlineSeconds: 90 }, config, REQUESTED_AT).deadline).toBe('2026-03-04T05:07:37.000Z');
    expect(buildRdsRequest({ sourceArn: SNAPSHOT_ARN, deadlineSeconds: 7 * 24 * 3600 }, config, REQUESTED_AT).deadline).toBe(
      '2026-03-11T05:06:07.000Z',
    );
  });

  it('exports a source again under the identifier of its attempt, in the prefix too', () => {
    // Act
    const first = buildRdsRequest({ sourceArn: SNAPSHOT_ARN }, config, REQUESTED_AT);
    const again = buildRdsRequest({ sourceArn: SNAPSHOT_ARN, attempt: 2, s3Prefix: '{exportId}' }, config, REQUESTED_AT);

    // Assess
    expect(again.exportId).toBe(exportIdentifier(parseSourceArn(SNAPSHOT_ARN)!, REQUESTED_AT, 2));
    expect(again.exportId).not.toBe(first.exportId);
    expect(again.s3Prefix).toBe(again.exportId);
  });

  describe('renders the S3 prefix template', () => {
    it('fills in {sourceId}, {date}, {sourceType} and {exportId}', () => {
      const request = buildRdsRequest({ sourceArn: SNAPSHOT_ARN, s3Prefix: 'exports/{sourceType}/{sourceId}/{date}/{exportId}' }, config, REQUESTED_AT);
      expect(request.s3Prefix).toBe(`exports/SNAPSHOT/rds-orders-db-2026-03-04-05-06/2026-03-04/${request.exportId}`);
    });

    it('uses the request date (UTC) and the live cluster type', () => {
      const request = buildRdsRequest({ sourceArn: CLUSTER_ARN, s3Prefix: '{sourceType}/{date}/{sourceId}' }, config, new Date('2026-12-31T23:59:59Z'));
      expect(request.s3Prefix).toBe('CLUSTER/2026-12-31/aurora-main');
    });

    it('drops leading and trailing slashes, and leaves an empty prefix empty', () => {
      expect(buildRdsRequest({ sourceArn: CLUSTER_ARN, s3Prefix: '/exports/{sourceId}/' }, config, REQUESTED_AT).s3Prefix).toBe('exports/aurora-main');
      expect(buildRdsRequest({ sourceArn: CLUSTER_ARN, s3Prefix: '' }, config, REQUESTED_AT).s3Prefix).toBe('');
    });
  });

  describe('refuses a bad field with a problem that names it', () => {
    it.each([
      ['an EC2 ARN as sourceArn', { sourceArn: `arn:aws:ec2:us-east-1:${ACCOUNT}:snapshot/snap-1` }, /^sourceArn /],
      ['a DB instance ARN as sourceArn', { sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders` }, /^sourceArn /],
      ['an uppercase bucket', { sourceArn: SNAPSHOT_ARN, s3Bucket: 'Exports_Bucket' }, /^s3Bucket "Exports_Bucket"/],
      ['a bucket with two dots in a row', { sourceArn: SNAPSHOT_ARN, s3Bucket: 'exports..bucket' }, /^s3Bucket /],
      ['a bucket named like an IP address', { sourceArn: SNAPSHOT_ARN, s3Bucket: '192.168.1.1' }, /^s3Bucket /],
      ['a too short bucket', { sourceArn: SNAPSHOT_ARN, s3Bucket: 'ab' }, /^s3Bucket /],
      ['a user ARN as iamRoleArn', { sourceArn: SNAPSHOT_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:user/exporter` }, /^iamRoleArn /],
      ['a role name as iamRoleArn', { sourceArn: SNAPSHOT_ARN, iamRoleArn: 'rds-s3-export' }, /^iamRoleArn /],
      ['a made-up kmsKeyId', { sourceArn: SNAPSHOT_ARN, kmsKeyId: 'my key' }, /^kmsKeyId "my key"/],
      ['an S3 ARN as kmsKeyId', { sourceArn: SNAPSHOT_ARN, kmsKeyId: 'arn:aws:s3:::bucket' }, /^kmsKeyId /],
      ['an empty exportOnly', { sourceArn: SNAPSHOT_ARN, exportOnly: [] }, /^exportOnly /],
      ['an unknown prefix placeholder', { sourceArn: SNAPSHOT_ARN, s3Prefix: '{sourceId}/{month}' }, /^s3Prefix .*\{month\}/],
      ['an empty prefix placeholder', { sourceArn: SNAPSHOT_ARN, s3Prefix: 'exports/{}' }, /^s3Prefix .*\{\}/],
      ['a deadline over 7 days', { sourceArn: SNAPSHOT_ARN, deadlineSeconds: 7 * 24 * 3600 + 1 }, /^deadlineSeconds /],
      ['a zero deadline', { sourceArn: SNAPSHOT_ARN, deadlineSeconds: 0 }, /^deadlineSeconds /],
      ['a fractional deadline', { sourceArn: SNAPSHOT_ARN, deadlineSeconds: 1.5 }, /^deadlineSeconds /],
      ['attempt 1 given', { sourceArn: SNAPSHOT_ARN, attempt: 1 }, /^attempt must be at least 2: the first export of a source is attempt 1, and leaves attempt out/],
      ['a fractional attempt', { sourceArn: SNAPSHOT_ARN, attempt: 2.5 }, /^attempt must be a whole number/],
      ['an attempt as text', { sourceArn: SNAPSHOT_ARN, attempt: '2' }, /^attempt must be a whole number \(2 or more: export the source again\), got/],
    ])('%s', (_, raw, problem) => {
      const problems = problemsOf(raw);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(problem);
    });

    it('names the position of each bad exportOnly entry', () => {
      const problems = problemsOf({ sourceArn: SNAPSHOT_ARN, exportOnly: ['orders', 'orders..items', 'a.b.c.d', 'with space'] });
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^exportOnly\[1\] "orders\.\.items"/);
      expect(problems[1]).toMatch(/^exportOnly\[2\] "a\.b\.c\.d"/);
      expect(problems[2]).toMatch(/^exportOnly\[3\] "with space"/);
    });

    it('names an unknown top-level field, so a typo does not fall back to a default', () => {
      const problems = problemsOf({ sourceArn: SNAPSHOT_ARN, bucket: 'my-bucket' });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^unknown field\(s\) "bucket"/);
      expect(problems[0]).toContain('s3Bucket');
    });

    it('says that sourceArn is required when it is missing', () => {
      expect(problemsOf({ s3Bucket: 'my-bucket' })).toEqual([expect.stringMatching(/^sourceArn is required/)]);
    });

    it.each([
      ['sourceArn', { sourceArn: 42 }],
      ['s3Bucket', { sourceArn: SNAPSHOT_ARN, s3Bucket: ['a'] }],
      ['s3Prefix', { sourceArn: SNAPSHOT_ARN, s3Prefix: null }],
      ['iamRoleArn', { sourceArn: SNAPSHOT_ARN, iamRoleArn: { arn: 'x' } }],
      ['kmsKeyId', { sourceArn: SNAPSHOT_ARN, kmsKeyId: true }],
      ['exportOnly', { sourceArn: SNAPSHOT_ARN, exportOnly: 'orders' }],
      ['exportOnly (an entry)', { sourceArn: SNAPSHOT_ARN, exportOnly: ['orders', 7] }],
      ['deadlineSeconds', { sourceArn: SNAPSHOT_ARN, deadlineSeconds: '3600' }],
    ])('names %s when it has the wrong type', (field, raw) => {
      const problems = problemsOf(raw);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${field.split(' ')[0]}\\b`));
    });

    it.each([null, 'arn:aws:rds:us-east-1:123456789012:snapshot:x', [SNAPSHOT_ARN], 42])('refuses %j as the whole input', (raw) => {
      expect(problemsOf(raw)).toEqual([expect.stringMatching(/^input must be a JSON object/)]);
    });
  });

  describe('reports a wrong-typed field as the wrong type, not as missing', () => {
    it.each([
      ['sourceArn', { sourceArn: 42 }, 'sourceArn must be a string, got a number (42)'],
      ['exportOnly', { sourceArn: SNAPSHOT_ARN, exportOnly: 3 }, 'exportOnly must be an array of strings, got a number (3)'],
      ['s3Prefix', { sourceArn: SNAPSHOT_ARN, s3Prefix: null }, 's3Prefix must be a string (a key prefix, placeholders allowed), got null'],
      ['deadlineSeconds', { sourceArn: SNAPSHOT_ARN, deadlineSeconds: '3600' }, 'deadlineSeconds must be a number of seconds, got a string ("3600")'],
    ])('%s', (_, raw, problem) => {
      expect(problemsOf(raw)).toEqual([problem]);
    });
  });

  describe('checks the source, key and role against the stack location (AWS_REGION)', () => {
    const inEuWest1: ExportDefaults = { ...config, AWS_REGION: 'eu-west-1' };
    const problemsIn = (raw: unknown, defaults: ExportDefaults): string[] => {
      try {
        buildRdsRequest(raw, defaults, REQUESTED_AT);
      } catch (error) {
        return (error as InvalidExportRequest).problems;
      }
      return [];
    };

    it('refuses a snapshot of another region', () => {
      expect(problemsIn({ sourceArn: SNAPSHOT_ARN }, inEuWest1)).toEqual([expect.stringMatching(/^sourceArn .* is in us-east-1, but this stack runs in eu-west-1/)]);
    });

    it('refuses a source, role and key of another partition, each by name', () => {
      // Prepare
      const raw = {
        sourceArn: `arn:aws-cn:rds:cn-north-1:${ACCOUNT}:snapshot:orders`,
        iamRoleArn: `arn:aws-cn:iam::${ACCOUNT}:role/export`,
        kmsKeyId: `arn:aws-cn:kms:cn-north-1:${ACCOUNT}:alias/export`,
      };

      // Act
      const problems = problemsIn(raw, inEuWest1);

      // Assess
      expect(problems.map((p) => p.split(' ')[0])).toEqual(['sourceArn', 'iamRoleArn', 'kmsKeyId']);
      for (const problem of problems) expect(problem).toMatch(/is in partition aws-cn, but this stack runs in aws \(eu-west-1\)/);
    });

    it('accepts a source of the stack region', () => {
      expect(problemsIn({ sourceArn: `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:orders` }, inEuWest1)).toEqual([]);
    });
  });

  describe('bounds every field', () => {
    it('refuses a template that renders past 1,024 bytes, though it is shorter itself', () => {
      // Prepare: 93 × "{exportId}/" is 1,023 bytes; each renders to the 60-character-or-so export id.
      const s3Prefix = '{exportId}/'.repeat(93);

      // Act / Assess
      expect(problemsOf({ sourceArn: SNAPSHOT_ARN, s3Prefix })).toEqual([expect.stringMatching(/^s3Prefix \(rendered\) ".*…" is [\d,]+ UTF-8 bytes: use at most 1,024/)]);
    });

    it('names the default it checked when the input leaves a field out', () => {
      const defaults: ExportDefaults = { ...config, EXPORT_BUCKET: 'exports--x-s3' };

      expect(() => buildRdsRequest({ sourceArn: SNAPSHOT_ARN }, defaults, REQUESTED_AT)).toThrow(/s3Bucket \(the default, EXPORT_BUCKET\) "exports--x-s3" ends with "--x-s3"/);
    });

    it('keeps the message short when the input is huge: at most 12 problems listed, each value clipped', () => {
      // Prepare: 10,000 unknown fields, a 140 KB bucket, a 70 KB prefix, 10,000 exportOnly entries.
      const raw: Record<string, unknown> = {
        sourceArn: SNAPSHOT_ARN,
        s3Bucket: 'b'.repeat(140 * 1024),
        s3Prefix: 'p'.repeat(70 * 1024),
        exportOnly: Array.from({ length: 10_000 }, (_, i) => `db${i}`),
      };
      for (let i = 0; i < 10_000; i++) raw[`extra${i}`] = i;

      // Act
      let message = '';
      try {
        buildRdsRequest(raw, config, REQUESTED_AT);
      } catch (error) {
        message = (error as Error).message;
      }

      // Assess
      expect(message).toMatch(/unknown field\(s\) "extra0", .* and 9995 more/);
      expect(message).toMatch(/s3Bucket "b+…" is 143,360 characters/);
      expect(message).toMatch(/s3Prefix "p+…" is 71,680 UTF-8 bytes/);
      expect(message).toMatch(/exportOnly has 10,000 entries/);
      expect(message.length).toBeLessThan(2000);
    });
  });

  it('lists every bad field in one InvalidExportRequest', () => {
    // Prepare
    const raw = {
      sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders`,
      s3Bucket: 'Bad_Bucket',
      iamRoleArn: 'not-a-role',
      kmsKeyId: 'not a key',
      exportOnly: ['ok', 'bad..entry'],
      s3Prefix: '{weekday}',
    };

    // Act
    const problems = problemsOf(raw);

    // Assess
    expect(problems).toHaveLength(6);
    for (const [index, field] of ['sourceArn', 's3Bucket', 'iamRoleArn', 'kmsKeyId', 'exportOnly[1]', 's3Prefix'].entries()) {
      expect(problems[index]!.startsWith(`${field} `), `problem ${index} names ${field}: ${problems[index]}`).toBe(true);
    }
    let message = '';
    try {
      buildRdsRequest(raw, config, REQUESTED_AT);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const problem of problems) expect(message).toContain(problem);
  });

  it('lists every bad field at once even when one of them also has the wrong type', () => {
    // A wrongly typed field must not hide the other mistakes: fixing one only to meet the next wastes a run.
    const problems = problemsOf({
      sourceArn: `arn:aws:ec2:us-east-1:${ACCOUNT}:snapshot/snap-1`,
      s3Bucket: 'Bad_Bucket',
      deadlineSeconds: 'one hour',
      bucket: 'typo',
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^deadlineSeconds /),
        expect.stringMatching(/^unknown field\(s\) "bucket"/),
        expect.stringMatching(/^sourceArn /),
        expect.stringMatching(/^s3Bucket "Bad_Bucket"/),
      ]),
    );
  });
});
