import { describe, expect, it } from 'vitest';
import {
  apiSourceType,
  exportIdentifier,
  isValidExportIdentifier,
  parseSourceArn,
  sourceId,
  type ExportSource,
  type SourceType,
} from '../../shared/export-kinds/rds/source.ts';
import { MAX_EXPORT_ATTEMPT, MAX_EXPORT_ID_LENGTH } from '../../shared/export-kinds/input-limits.ts';

const ACCOUNT = '123456789012';
const AT = new Date('2026-03-04T05:06:07.000Z');

/**
 * The RDS rule for ExportTaskIdentifier, written independently of the source: 1-60 letters, digits
 * and hyphens, a letter first, no two hyphens in a row, no hyphen at the end.
 */
const RDS_EXPORT_ID_RULE = /^(?!.*--)(?!.*-$)[A-Za-z][A-Za-z0-9-]{0,59}$/;

function source(type: SourceType, name: string, region = 'us-east-1', account = ACCOUNT): ExportSource {
  const resource = type === 'SNAPSHOT' ? 'snapshot' : type === 'CLUSTER_SNAPSHOT' ? 'cluster-snapshot' : 'cluster';
  return { arn: `arn:aws:rds:${region}:${account}:${resource}:${name}`, type, region, account, name };
}

describe('parseSourceArn', () => {
  it('reads a manual DB snapshot ARN', () => {
    const arn = `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders-db-final`;
    expect(parseSourceArn(arn)).toEqual({ arn, type: 'SNAPSHOT', region: 'us-east-1', account: ACCOUNT, name: 'orders-db-final' });
  });

  it('keeps the rds: prefix of an automated snapshot in its name', () => {
    const arn = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:rds:orders-db-2026-03-04-05-06`;
    expect(parseSourceArn(arn)).toEqual({ arn, type: 'SNAPSHOT', region: 'eu-west-1', account: ACCOUNT, name: 'rds:orders-db-2026-03-04-05-06' });
  });

  it('reads a DB cluster snapshot ARN, manual and automated', () => {
    expect(parseSourceArn(`arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:aurora-snap`)).toMatchObject({ type: 'CLUSTER_SNAPSHOT', name: 'aurora-snap' });
    expect(parseSourceArn(`arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:rds:aurora-2026-03-04`)).toMatchObject({
      type: 'CLUSTER_SNAPSHOT',
      name: 'rds:aurora-2026-03-04',
    });
  });

  it('reads a live DB cluster ARN', () => {
    expect(parseSourceArn(`arn:aws:rds:ap-southeast-2:${ACCOUNT}:cluster:aurora-main`)).toEqual({
      arn: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:cluster:aurora-main`,
      type: 'CLUSTER',
      region: 'ap-southeast-2',
      account: ACCOUNT,
      name: 'aurora-main',
    });
  });

  it('reads ARNs of the China and GovCloud partitions', () => {
    expect(parseSourceArn(`arn:aws-cn:rds:cn-north-1:${ACCOUNT}:snapshot:cn-snap`)).toMatchObject({ type: 'SNAPSHOT', region: 'cn-north-1', name: 'cn-snap' });
    expect(parseSourceArn(`arn:aws-us-gov:rds:us-gov-west-1:${ACCOUNT}:cluster:gov-cluster`)).toMatchObject({
      type: 'CLUSTER',
      region: 'us-gov-west-1',
      name: 'gov-cluster',
    });
  });

  it.each([
    ['an EC2 snapshot ARN', `arn:aws:ec2:us-east-1:${ACCOUNT}:snapshot/snap-0123456789abcdef0`],
    ['a DB instance ARN', `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders-db`],
    ['an RDS ARN with a short account', 'arn:aws:rds:us-east-1:12345:snapshot:orders'],
    ['an RDS ARN of an unknown partition', `arn:nope:rds:us-east-1:${ACCOUNT}:snapshot:orders`],
    ['an RDS snapshot ARN without a name', `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:`],
    ['a bare snapshot name', 'orders-db-final'],
    ['garbage', '¯\\_(ツ)_/¯'],
    ['an empty string', ''],
  ])('rejects %s', (_, arn) => {
    expect(parseSourceArn(arn)).toBeUndefined();
  });
});

describe('apiSourceType and sourceId', () => {
  it('calls both kinds of snapshot SNAPSHOT and a live cluster CLUSTER, as the RDS API does', () => {
    expect(apiSourceType('SNAPSHOT')).toBe('SNAPSHOT');
    expect(apiSourceType('CLUSTER_SNAPSHOT')).toBe('SNAPSHOT');
    expect(apiSourceType('CLUSTER')).toBe('CLUSTER');
  });

  it('makes the source name path-safe', () => {
    expect(sourceId(source('SNAPSHOT', 'rds:orders-db-2026-03-04'))).toBe('rds-orders-db-2026-03-04');
    expect(sourceId(source('SNAPSHOT', '***'))).toBe('source');
  });
});

describe('exportIdentifier', () => {
  it('derives the same identifier for the same snapshot, whenever it is requested', () => {
    const snapshot = source('SNAPSHOT', 'orders-db-final');
    const first = exportIdentifier(snapshot, AT);
    expect(exportIdentifier({ ...snapshot }, AT)).toBe(first);
    expect(exportIdentifier(snapshot, new Date('2027-01-01T00:00:00Z'))).toBe(first);
  });

  it('starts with the readable snapshot name', () => {
    expect(exportIdentifier(source('SNAPSHOT', 'rds:orders-db-2026'), AT)).toMatch(/^rds-orders-db-2026-[0-9a-f]+$/);
  });

  it('derives different identifiers for different sources, even when their names read the same', () => {
    const ids = [
      exportIdentifier(source('SNAPSHOT', 'orders_db'), AT),
      exportIdentifier(source('SNAPSHOT', 'orders-db'), AT),
      exportIdentifier(source('SNAPSHOT', 'orders.db'), AT),
      exportIdentifier(source('CLUSTER_SNAPSHOT', 'orders-db'), AT),
      exportIdentifier(source('SNAPSHOT', 'orders-db', 'eu-west-1'), AT),
      exportIdentifier(source('SNAPSHOT', 'orders-db', 'us-east-1', '210987654321'), AT),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tells two long names apart that differ only after the readable part is cut', () => {
    const stem = 'a'.repeat(80);
    expect(exportIdentifier(source('SNAPSHOT', `${stem}-one`), AT)).not.toBe(exportIdentifier(source('SNAPSHOT', `${stem}-two`), AT));
  });

  it('gives a live cluster a new identifier for each request time, and the same one for the same time', () => {
    const cluster = source('CLUSTER', 'aurora-main');
    const morning = exportIdentifier(cluster, new Date('2026-03-04T05:06:07Z'));
    const evening = exportIdentifier(cluster, new Date('2026-03-04T17:30:00Z'));
    const nextDay = exportIdentifier(cluster, new Date('2026-03-05T05:06:07Z'));
    expect(new Set([morning, evening, nextDay]).size).toBe(3);
    expect(exportIdentifier(cluster, new Date('2026-03-04T05:06:07Z'))).toBe(morning);
  });

  it('shows the request time of a live cluster export in its identifier', () => {
    expect(exportIdentifier(source('CLUSTER', 'aurora-main'), new Date('2026-03-04T05:06:07Z'))).toContain('20260304');
  });

  it('gives each attempt at exporting a snapshot again an identifier of its own, the first one unchanged', () => {
    // Prepare
    const snapshot = source('SNAPSHOT', 'rds:orders-db-2026');
    const first = exportIdentifier(snapshot, AT);

    // Act
    const attempts = [1, 2, 3, MAX_EXPORT_ATTEMPT].map((attempt) => exportIdentifier(snapshot, AT, attempt));

    // Assess: attempt 1 is the identifier the trigger, the sweep and the planner derive; the others say theirs.
    expect(attempts[0]).toBe(first);
    expect(new Set(attempts).size).toBe(4);
    expect(attempts[1]).toMatch(/^rds-orders-db-2026-r2-[0-9a-f]{10}$/);
    expect(exportIdentifier(snapshot, new Date('2027-01-01T00:00:00Z'), 2)).toBe(attempts[1]);
  });

  it('keeps a live cluster\'s request time with its attempt', () => {
    expect(exportIdentifier(source('CLUSTER', 'aurora-main'), new Date('2026-03-04T05:06:07Z'), 2)).toMatch(/^aurora-main-20260304t0506-r2-[0-9a-f]{10}$/);
  });

  describe('is always a valid RDS export task identifier', () => {
    const awkward = [
      '',
      '2026-snapshot',
      '0',
      '---',
      '***',
      '!!!@@@###',
      'rds:',
      'rds:orders-db-2026-03-04-05-06',
      'rds:-',
      'rds:2026-03-04',
      'snapshot-',
      'snapshot---',
      '-leading',
      'a--b',
      'a - b',
      'Ünïcödé-snäpshot',
      'スナップショット',
      '🐘🐘🐘',
      'İstanbul',
      'ß'.repeat(40),
      'x'.repeat(255),
      '9'.repeat(255),
      `${'a'.repeat(48)}-b`,
      `${'a'.repeat(49)}-b`,
      `${'a'.repeat(50)}-b`,
      `${'a'.repeat(34)}-b`,
      `${'a'.repeat(35)}-b`,
      `${'1'.repeat(48)}-b`,
      `${'1'.repeat(49)}-${'b'.repeat(20)}`,
      'tab\there',
      'new\nline',
      'UPPER-CASE',
    ];

    /** A small seeded generator, so a failure reproduces. */
    function* generatedNames(count: number): Generator<string> {
      const pieces = ['rds:', '-', '--', ':', '_', '.', ' ', 'a', 'Z', '7', '2026', 'é', 'ü', '日本', '🐘', 'db', 'snapshot', '\u0000', '/', 'x'.repeat(30)];
      let seed = 20260304;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (let i = 0; i < count; i++) {
        const length = Math.floor(random() * 16);
        let name = '';
        for (let j = 0; j < length; j++) name += pieces[Math.floor(random() * pieces.length)];
        yield name;
      }
    }

    const names = [...awkward, ...generatedNames(400)];
    const times = [AT, new Date('1999-12-31T23:59:59.999Z'), new Date('2100-01-01T00:00:00Z')];

    it.each(['SNAPSHOT', 'CLUSTER_SNAPSHOT', 'CLUSTER'] as const)('for %s sources with awkward names', (type) => {
      const invalid: Array<{ name: string; id: string }> = [];
      for (const name of names) {
        for (const time of times) {
          for (const attempt of [1, 2, MAX_EXPORT_ATTEMPT]) {
            const id = exportIdentifier(source(type, name), time, attempt);
            if (!isValidExportIdentifier(id) || !RDS_EXPORT_ID_RULE.test(id) || id.length > MAX_EXPORT_ID_LENGTH) invalid.push({ name, id });
          }
        }
      }
      expect(invalid).toEqual([]);
    });
  });
});

describe('isValidExportIdentifier', () => {
  it.each(['a', 'orders-db-1a2b3c', 'A1-b2-C3', 'a'.repeat(60)])('accepts %s', (id) => {
    expect(isValidExportIdentifier(id)).toBe(true);
    expect(RDS_EXPORT_ID_RULE.test(id)).toBe(true);
  });

  it.each(['', '1abc', '-abc', 'abc-', 'a--b', 'a_b', 'a.b', 'a b', 'é', 'a'.repeat(61)])('rejects %j', (id) => {
    expect(isValidExportIdentifier(id)).toBe(false);
    expect(RDS_EXPORT_ID_RULE.test(id)).toBe(false);
  });
});
