import { afterEach, describe, expect, it, vi } from 'vitest';
import { exportDefaultsShape, notifyConfigShape, readConfig, slotConfigShape } from '../../shared/runtime/config.ts';
import { ConfigurationError } from '../../shared/runtime/errors.ts';

const REQUIRED = {
  EXPORT_BUCKET: 'export-bucket',
  EXPORT_ROLE_ARN: 'arn:aws:iam::123456789012:role/rds-s3-export',
  EXPORT_KMS_KEY_ID: 'alias/rds-export',
};

/** The message of the ConfigurationError that reading throws (fails the test if it does not throw one). */
function configurationProblem(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).name).toBe('ConfigurationError');
    return (error as Error).message;
  }
  expect.fail('expected a ConfigurationError');
}

describe('readConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('lists every missing variable in one ConfigurationError', () => {
    const message = configurationProblem(() => readConfig({ ...exportDefaultsShape, ...slotConfigShape }, {}));

    for (const name of ['EXPORT_BUCKET', 'EXPORT_ROLE_ARN', 'EXPORT_KMS_KEY_ID', 'COORDINATION_TABLE']) {
      expect(message).toContain(`${name} is not set`);
    }
    // Variables with a default are not missing.
    for (const name of ['EXPORT_PREFIX', 'DEFAULT_DEADLINE_SECONDS', 'MIN_POLL_SECONDS', 'MAX_POLL_SECONDS', 'EVENT_SAFETY_NET_SECONDS', 'EXPORT_QUOTA', 'SLOT_LEASE_SECONDS']) {
      expect(message).not.toContain(name);
    }
  });

  it('applies the defaults', () => {
    expect(readConfig(exportDefaultsShape, REQUIRED)).toEqual({
      ...REQUIRED,
      EXPORT_PREFIX: '{sourceId}/{date}',
      DEFAULT_DEADLINE_SECONDS: 24 * 3600,
      MIN_POLL_SECONDS: 60,
      MAX_POLL_SECONDS: 3600,
      EVENT_SAFETY_NET_SECONDS: 6 * 3600,
    });
    expect(readConfig(slotConfigShape, { COORDINATION_TABLE: 'export-coordination' })).toEqual({
      COORDINATION_TABLE: 'export-coordination',
      EXPORT_QUOTA: 5,
      SLOT_LEASE_SECONDS: 600,
      SLOT_WAIT_LIMIT_SECONDS: 30 * 86400,
    });
  });

  it('refuses a slot wait limit that would not fit in a Step Functions execution', () => {
    expect(() => readConfig(slotConfigShape, { COORDINATION_TABLE: 'export-coordination', SLOT_WAIT_LIMIT_SECONDS: String(301 * 86400) })).toThrow(
      /SLOT_WAIT_LIMIT_SECONDS: must be at most 25920000 \(300 days\)/,
    );
  });

  it('reads numbers from their text and returns only the declared variables', () => {
    const config = readConfig(exportDefaultsShape, { ...REQUIRED, MIN_POLL_SECONDS: '30', MAX_POLL_SECONDS: '900', EVENT_SAFETY_NET_SECONDS: '0', HOME: '/root' });
    expect(config).toMatchObject({ MIN_POLL_SECONDS: 30, MAX_POLL_SECONDS: 900, EVENT_SAFETY_NET_SECONDS: 0 });
    expect(config).not.toHaveProperty('HOME');
  });

  it.each([
    ['MIN_POLL_SECONDS', 'soon'],
    ['MAX_POLL_SECONDS', '1.5'],
    ['DEFAULT_DEADLINE_SECONDS', '-3600'],
    ['EVENT_SAFETY_NET_SECONDS', '-1'],
  ])('names %s when it is not a usable number (%j)', (name, value) => {
    const message = configurationProblem(() => readConfig(exportDefaultsShape, { ...REQUIRED, [name]: value }));
    expect(message).toContain(`${name}: `);
    expect(message).not.toContain('is not set');
  });

  it('names a malformed ARN', () => {
    expect(configurationProblem(() => readConfig(notifyConfigShape, { TOPIC_ARN: 'export-notifications' }))).toContain('TOPIC_ARN: must be an ARN');
  });

  it('lists missing and malformed variables together', () => {
    const message = configurationProblem(() => readConfig({ ...exportDefaultsShape, ...slotConfigShape }, { EXPORT_BUCKET: 'export-bucket', EXPORT_QUOTA: 'many', MIN_POLL_SECONDS: '0' }));

    expect(message).toContain('EXPORT_ROLE_ARN is not set');
    expect(message).toContain('EXPORT_KMS_KEY_ID is not set');
    expect(message).toContain('COORDINATION_TABLE is not set');
    expect(message).toContain('EXPORT_QUOTA: ');
    expect(message).toContain('MIN_POLL_SECONDS: must be positive');
  });

  it('reads the process environment when given none', () => {
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:123456789012:export-notifications');
    expect(readConfig(notifyConfigShape)).toEqual({ TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:export-notifications' });
  });
});
