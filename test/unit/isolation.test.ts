import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISOLATED, NEEDS_ISOLATION } from '../setup/isolation.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SELF = 'test/unit/isolation.test.ts';

const testFiles = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
  .map((file) => `test/${file.split('\\').join('/')}`)
  .filter((file) => file.endsWith('.test.ts'))
  .sort();

/** Why a file's source needs a worker of its own, if it does. */
const reasonsOf = (source: string): string[] => NEEDS_ISOLATION.filter(({ pattern }) => pattern.test(source)).map(({ what }) => what);

describe('which test files run in a worker of their own (vitest.config.ts, test/setup/isolation.ts)', () => {
  it('isolates every file that stubs a client class, the environment or a module', () => {
    // Act: this file names those patterns in its own examples, so it is left out.
    const missing = testFiles
      .filter((file) => file !== SELF && !ISOLATED.includes(file))
      .flatMap((file) => reasonsOf(readFileSync(join(ROOT, file), 'utf8')).map((reason) => `${file} ${reason}: add it to ISOLATED`));

    // Assess
    expect(missing).toEqual([]);
  });

  it('names only test files that exist', () => {
    expect(ISOLATED.filter((file) => !testFiles.includes(file))).toEqual([]);
  });

  it.each([
    ['const rds = mockClient(RDSClient);', true],
    ['mockClient(SFNClient, { x })', true],
    ["vi.stubEnv('EXPORT_QUOTA', '3');", true],
    ["process.env.POWERTOOLS_METRICS_DISABLED = 'false';", true],
    ["process.env['AWS_REGION'] ??= 'us-east-1';", true],
    ['delete process.env.TOPIC_ARN;', true],
    ["vi.mock('../../shared/runtime/config.ts');", true],
    // An instance's own stub leaks nowhere; reading the environment changes nothing.
    ['const mock = mockClient(client);', false],
    ["if (process.env.CI === 'true') skip();", false],
    ['const region = process.env.AWS_REGION;', false],
  ])('tells whether %s needs isolation (%s)', (source, needs) => {
    expect(reasonsOf(source).length > 0).toBe(needs);
  });
});
