import { describe, expect, it } from 'vitest';
import { clip, quote, QUOTE_LIMIT, quoteList } from '../../shared/runtime/format.ts';
import { INPUT_LIMITS } from '../../shared/export-kinds/input-limits.ts';
import {
  bucketProblems,
  described,
  exportOnlyProblems,
  fieldPath,
  kmsKeyProblems,
  partitionOf,
  prefixTemplateProblems,
  renderedPrefixProblem,
  RESERVED_BUCKET_PREFIXES,
  RESERVED_BUCKET_SUFFIXES,
  roleArnProblems,
  roleNameProblems,
  sourceArnProblems,
  stackLocation,
  type StackLocation,
} from '../../shared/export-kinds/input-rules.ts';

const ACCOUNT = '123456789012';
const STACK: StackLocation = { region: 'eu-west-1', partition: 'aws' };
const SNAPSHOT_ARN = `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:orders-2026`;

describe('quoting a value', () => {
  it('clips a long value to QUOTE_LIMIT characters, marking the cut', () => {
    // Act
    const quoted = quote('x'.repeat(140 * 1024));

    // Assess
    expect(quoted).toHaveLength(QUOTE_LIMIT);
    expect(quoted).toMatch(/^"x+…"$/);
  });

  it('shows a short string whole, in JSON quotes, its control characters escaped', () => {
    expect(quote('a\nb')).toBe('"a\\nb"');
  });

  it('never splits a surrogate pair when it clips', () => {
    const clipped = clip(`${'a'.repeat(8)}😀😀`, 10);

    expect(clipped).toBe(`${'a'.repeat(8)}…`);
  });

  it('lists at most five values of a long list, then counts the others', () => {
    expect(quoteList(Array.from({ length: 10_000 }, (_, i) => `field${i}`))).toBe('"field0", "field1", "field2", "field3", "field4" and 9995 more');
  });

  it('describes a wrong-typed value by its JSON type and the value, clipped', () => {
    expect(described(42)).toBe('a number (42)');
    expect(described(null)).toBe('null');
    expect(described(['a'])).toBe('an array (["a"])');
    expect(described({ a: 'y'.repeat(500) }).length).toBeLessThan(QUOTE_LIMIT + 20);
  });

  it('names a nested field as the problems do', () => {
    expect(fieldPath(['exportOnly', 3])).toBe('exportOnly[3]');
    expect(fieldPath([])).toBe('input');
  });
});

describe('the stack location', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
  ])('puts %s in partition %s', (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });

  it('comes from AWS_REGION, and is unknown without it', () => {
    expect(stackLocation({ AWS_REGION: 'cn-northwest-1' })).toEqual({ region: 'cn-northwest-1', partition: 'aws-cn' });
    expect(stackLocation({})).toBeUndefined();
  });
});

describe('bucket names', () => {
  it('accepts a general purpose bucket name', () => {
    expect(bucketProblems('s3Bucket', 'team.exports-2026')).toEqual([]);
  });

  it.each([...RESERVED_BUCKET_PREFIXES.map((prefix) => `${prefix}exports`)])('refuses %s: a prefix S3 reserves', (bucket) => {
    // Act
    const problems = bucketProblems('s3Bucket', bucket);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^s3Bucket ".*" starts with ".*", a prefix S3 reserves/)]);
  });

  it.each([...RESERVED_BUCKET_SUFFIXES.map((suffix) => `exports${suffix}`)])('refuses %s: a suffix S3 reserves', (bucket) => {
    expect(bucketProblems('s3Bucket', bucket)).toEqual([expect.stringMatching(/^s3Bucket ".*" ends with ".*", a suffix S3 reserves/)]);
  });

  it('reports a 140 KB name once, by its size, quoting it clipped', () => {
    // Act
    const problems = bucketProblems('s3Bucket', 'b'.repeat(140 * 1024));

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^s3Bucket "b+…" is 143,360 characters: use 3–63/);
    expect(problems[0]!.length).toBeLessThan(250);
  });

  it.each([
    ['ab', /use 3–63/],
    ['Exports', /is not a valid bucket name/],
    ['exports-', /is not a valid bucket name/],
    ['a..b', /two dots in a row/],
    ['10.0.0.1', /IP address/],
  ])('refuses %s', (bucket, problem) => {
    expect(bucketProblems('s3Bucket', bucket)).toEqual([expect.stringMatching(problem)]);
  });
});

describe('the S3 prefix template', () => {
  it('accepts placeholders and folders', () => {
    expect(prefixTemplateProblems('s3Prefix', 'exports/{sourceType}/{sourceId}/{date}/{exportId}')).toEqual([]);
  });

  it('refuses a control character, naming its code point and position', () => {
    expect(prefixTemplateProblems('s3Prefix', 'exports/\u0007bell')).toEqual([expect.stringMatching(/^s3Prefix "exports\/\\u0007bell" has a control character \(U\+0007\) at position 8: remove it$/)]);
  });

  it('refuses an unclosed placeholder', () => {
    expect(prefixTemplateProblems('s3Prefix', 'exports/{sourceId/x')).toEqual([expect.stringMatching(/has an unclosed placeholder at position 8: close it with "}"/)]);
  });

  it('refuses a colon where RDS does not export to one', () => {
    expect(prefixTemplateProblems('s3Prefix', 'a:b', { colon: false })).toEqual([expect.stringMatching(/has a ":"/)]);
    expect(prefixTemplateProblems('s3Prefix', 'a:b')).toEqual([]);
  });

  it('measures the template in UTF-8 bytes, as S3 does', () => {
    // Prepare: 342 three-byte characters are 1,026 bytes in 342 characters.
    const template = '€'.repeat(342);

    // Act / Assess
    expect(prefixTemplateProblems('s3Prefix', template)).toEqual([expect.stringMatching(/is 1,026 UTF-8 bytes: use at most 1,024/)]);
    expect(prefixTemplateProblems('s3Prefix', '€'.repeat(341))).toEqual([]);
  });

  it('reports a 70 KB template once, by its size', () => {
    const problems = prefixTemplateProblems('s3Prefix', 'p'.repeat(70 * 1024));

    expect(problems).toEqual([expect.stringMatching(/^s3Prefix "p+…" is 71,680 UTF-8 bytes: use at most 1,024/)]);
  });

  it('refuses a rendered prefix over 1,024 bytes, naming it rendered', () => {
    expect(renderedPrefixProblem('s3Prefix', 'r'.repeat(1025))).toMatch(/^s3Prefix \(rendered\) "r+…" is 1,025 UTF-8 bytes: use at most 1,024/);
    expect(renderedPrefixProblem('s3Prefix', 'r'.repeat(1024))).toBeUndefined();
  });
});

describe('IAM roles', () => {
  it('accepts a role ARN with a path', () => {
    expect(roleArnProblems('iamRoleArn', `arn:aws:iam::${ACCOUNT}:role/service-role/rds-export`, STACK)).toEqual([]);
  });

  it('refuses a role name over 64 characters, in an ARN and alone', () => {
    // Prepare
    const name = 'r'.repeat(65);

    // Act / Assess
    expect(roleArnProblems('iamRoleArn', `arn:aws:iam::${ACCOUNT}:role/${name}`, STACK)).toEqual([expect.stringMatching(/^the role name in iamRoleArn "r+" is 65 characters: use 1–64/)]);
    expect(roleNameProblems('roleName', name)).toEqual([expect.stringMatching(/^roleName "r+" is 65 characters: use 1–64/)]);
    expect(roleNameProblems('roleName', 'r'.repeat(64))).toEqual([]);
  });

  it('refuses a role of another partition than the stack', () => {
    expect(roleArnProblems('iamRoleArn', `arn:aws-cn:iam::${ACCOUNT}:role/export`, STACK)).toEqual([expect.stringMatching(/is in partition aws-cn, but this stack runs in aws \(eu-west-1\)/)]);
  });

  it('refuses a path over 512 characters', () => {
    expect(roleArnProblems('iamRoleArn', `arn:aws:iam::${ACCOUNT}:role/${'p/'.repeat(300)}export`, STACK)).toEqual([expect.stringMatching(/^the role path in iamRoleArn .* is 600 characters: use at most 512/)]);
  });
});

describe('KMS keys', () => {
  it.each([
    ['a key id', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['an alias', 'alias/rds-export'],
    ['a key ARN of the stack', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
  ])('accepts %s', (_, key) => {
    expect(kmsKeyProblems('kmsKeyId', key, STACK)).toEqual([]);
  });

  it('refuses a key ARN of another region than the stack', () => {
    expect(kmsKeyProblems('kmsKeyId', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/exports`, STACK)).toEqual([expect.stringMatching(/is in us-east-1, but this stack runs in eu-west-1 .*: give a key of eu-west-1$/)]);
  });

  it('refuses an alias over 256 characters', () => {
    expect(kmsKeyProblems('kmsKeyId', `alias/${'a'.repeat(251)}`, STACK)).toEqual([expect.stringMatching(/^the alias in kmsKeyId .* is 257 characters: use 7–256/)]);
  });
});

describe('the source ARN', () => {
  it('accepts a snapshot of the stack region', () => {
    expect(sourceArnProblems('sourceArn', SNAPSHOT_ARN, STACK)).toEqual([]);
  });

  it('refuses a source of another region, saying how to export it', () => {
    const problems = sourceArnProblems('sourceArn', `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders`, STACK);

    expect(problems).toEqual([expect.stringMatching(/is in us-east-1, but this stack runs in eu-west-1 \(RDS exports a snapshot or cluster of its own region only\): copy the snapshot to eu-west-1/)]);
  });

  it('refuses a source of another partition', () => {
    expect(sourceArnProblems('sourceArn', `arn:aws-us-gov:rds:us-gov-west-1:${ACCOUNT}:snapshot:orders`, STACK)).toEqual([expect.stringMatching(/is in partition aws-us-gov, but this stack runs in aws/)]);
  });

  it('checks no region when the stack location is unknown', () => {
    expect(sourceArnProblems('sourceArn', `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders`, undefined)).toEqual([]);
  });

  it('bounds the name by its kind: 255 for a snapshot, 63 for a cluster', () => {
    expect(sourceArnProblems('sourceArn', `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:${'s'.repeat(255)}`, STACK)).toEqual([]);
    expect(sourceArnProblems('sourceArn', `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:${'s'.repeat(256)}`, STACK)).toEqual([expect.stringMatching(/^the name in sourceArn .* is 256 characters: use 1–255/)]);
    expect(sourceArnProblems('sourceArn', `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:${'c'.repeat(64)}`, STACK)).toEqual([expect.stringMatching(/is 64 characters: use 1–63 \(RDS's limit for a cluster identifier\)/)]);
  });

  it('reports an ARN over 2,048 characters by its size only', () => {
    expect(sourceArnProblems('sourceArn', `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:${'s'.repeat(3000)}`, STACK)).toEqual([expect.stringMatching(/^sourceArn ".*…" is 3,044 characters: use at most 2,048/)]);
  });
});

describe('exportOnly', () => {
  it('keeps the entries of a good list, in order', () => {
    expect(exportOnlyProblems('exportOnly', ['shop', 'shop.orders', 'app.public.items'])).toEqual({ problems: [], entries: ['shop', 'shop.orders', 'app.public.items'] });
  });

  it('refuses a duplicate entry, naming both places', () => {
    expect(exportOnlyProblems('exportOnly', ['shop', 'app', 'shop']).problems).toEqual(['exportOnly[2] "shop" repeats exportOnly[0]: give each entry once']);
  });

  it('refuses 10,000 entries with one problem, not 10,000', () => {
    // Act
    const { problems } = exportOnlyProblems('exportOnly', Array.from({ length: 10_000 }, (_, i) => `db${i}`));

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^exportOnly has 10,000 entries: RDS takes at most 200/)]);
  });

  it(`accepts ${INPUT_LIMITS.exportOnly.max} entries, and refuses one more`, () => {
    const entries = Array.from({ length: INPUT_LIMITS.exportOnly.max + 1 }, (_, i) => `db${i}`);

    expect(exportOnlyProblems('exportOnly', entries.slice(1)).problems).toEqual([]);
    expect(exportOnlyProblems('exportOnly', entries).problems).toHaveLength(1);
  });

  it('refuses a name over 64 characters and an entry over 194', () => {
    expect(exportOnlyProblems('exportOnly', [`db.${'t'.repeat(65)}`]).problems).toEqual([expect.stringMatching(/^exportOnly\[0\] .* has a name of 65 characters: .* at most 64$/)]);
    expect(exportOnlyProblems('exportOnly', ['x'.repeat(195)]).problems).toEqual([expect.stringMatching(/^exportOnly\[0\] "x+…" is 195 characters: use at most 194/)]);
  });

  it('refuses a name RDS cannot export partially', () => {
    expect(exportOnlyProblems('exportOnly', ['my-db.orders']).problems).toEqual([expect.stringMatching(/"my-db" has characters other than letters, digits, \$ and _/)]);
  });

  it('names a wrong-typed entry with its type', () => {
    expect(exportOnlyProblems('exportOnly', ['shop', 7]).problems).toEqual(['exportOnly[1] must be a string, got a number (7)']);
  });
});
