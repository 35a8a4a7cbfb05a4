import { afterEach, describe, expect, it, vi } from 'vitest';
import { quotaOf } from '../../shared/slots/quota.ts';
import { exportDefaultsShape, notifyConfigShape, readConfig, slackConfigShape, slotConfigShape } from '../../shared/runtime/config.ts';
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
      EXPORT_QUOTA_OVERRIDES: { accounts: new Map(), places: new Map() },
      SLOT_LEASE_SECONDS: 600,
      SLOT_WAIT_LIMIT_SECONDS: 30 * 86400,
    });
  });

  it('reads quota overrides per account and per account and region; a place\'s own wins over its account\'s, the default over nothing', () => {
    // Act
    const config = readConfig(slotConfigShape, { COORDINATION_TABLE: 'export-coordination', EXPORT_QUOTA: '5', EXPORT_QUOTA_OVERRIDES: '123456789012=3, 123456789012/eu-west-1=2,210987654321/us-east-1=10' });
    const quota = quotaOf(config.EXPORT_QUOTA, config.EXPORT_QUOTA_OVERRIDES);

    // Assess
    expect(quota({ account: '123456789012', region: 'us-east-1' })).toBe(3);
    expect(quota({ account: '123456789012', region: 'eu-west-1' })).toBe(2);
    expect(quota({ account: '210987654321', region: 'us-east-1' })).toBe(10);
    expect(quota({ account: '210987654321', region: 'eu-west-1' })).toBe(5);
    expect(quota({ account: '111122223333', region: 'us-east-1' })).toBe(5);
  });

  it('names every malformed quota override, with the form to write', () => {
    const message = configurationProblem(() =>
      readConfig(slotConfigShape, { COORDINATION_TABLE: 'export-coordination', EXPORT_QUOTA_OVERRIDES: '12345=3,123456789012=0,123456789012/eu-west-1,prod=2,123456789012/us-east-1=2=3' }),
    );

    expect(message).toContain('EXPORT_QUOTA_OVERRIDES: "12345=3": "12345" is neither a 12-digit account id nor account/region');
    expect(message).toContain('"123456789012=0": the quota must be a whole number of at least 1');
    expect(message).toContain('"123456789012/eu-west-1": the quota must be a whole number');
    expect(message).toContain('"prod=2": "prod" is neither');
    expect(message).toContain('"123456789012/us-east-1=2=3": the quota must be');
    expect(message).toContain('the form is account=N or account/region=N, comma-separated');
  });

  it('refuses an account named twice in the quota overrides', () => {
    expect(configurationProblem(() => readConfig(slotConfigShape, { COORDINATION_TABLE: 'export-coordination', EXPORT_QUOTA_OVERRIDES: '123456789012=3,123456789012=4' }))).toContain(
      'account 123456789012 is named twice',
    );
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

  it('leaves an unset optional variable out, keeps a set one, and drops variables the shape does not name', () => {
    // Act
    const unset = readConfig(exportDefaultsShape, REQUIRED);
    const set = readConfig(exportDefaultsShape, { ...REQUIRED, AWS_REGION: 'eu-west-1', HOME: '/root' });

    // Assess: toStrictEqual tells a key set to undefined from a key left out.
    const defaults = { ...REQUIRED, EXPORT_PREFIX: '{sourceId}/{date}', DEFAULT_DEADLINE_SECONDS: 86_400, MIN_POLL_SECONDS: 60, MAX_POLL_SECONDS: 3600, EVENT_SAFETY_NET_SECONDS: 21_600 };
    expect(unset).toStrictEqual(defaults);
    expect(set).toStrictEqual({ ...defaults, AWS_REGION: 'eu-west-1' });
  });

  it.each([
    ['1.5', 'must be a whole number of seconds'],
    ['', 'must be a whole number of seconds'],
    ['1e3', 'must be a whole number of seconds'],
    ['0', 'must be positive'],
  ])('refuses %j as a number of seconds, saying %j', (value, problem) => {
    expect(configurationProblem(() => readConfig(exportDefaultsShape, { ...REQUIRED, MIN_POLL_SECONDS: value }))).toContain(`MIN_POLL_SECONDS: ${problem}`);
  });

  it('refuses a number past the safe integers, which would not read back as written', () => {
    expect(configurationProblem(() => readConfig(exportDefaultsShape, { ...REQUIRED, MAX_POLL_SECONDS: '9007199254740993' }))).toContain('MAX_POLL_SECONDS: must be a whole number of seconds');
  });

  it('reads a number written with spaces around it', () => {
    expect(readConfig(exportDefaultsShape, { ...REQUIRED, MIN_POLL_SECONDS: ' 30 ' }).MIN_POLL_SECONDS).toBe(30);
  });

  it('names every failed check of one variable, without repeating its value', () => {
    // Prepare: a webhook URL pasted where the parameter's name belongs fails both checks.
    const secret = 'https://hooks.slack.com/services/T000/B000/XXXX';

    // Act
    const message = configurationProblem(() => readConfig(slackConfigShape, { SLACK_WEBHOOK_PARAMETER: secret }));

    // Assess
    expect(message).toContain('SLACK_WEBHOOK_PARAMETER: must name the SSM parameter that holds the webhook URL, not be the URL');
    expect(message).toContain('SLACK_WEBHOOK_PARAMETER: must be an SSM parameter name starting with "/"');
    expect(message).not.toContain('hooks.slack.com');
  });

  it('names the problems in the order of the shape', () => {
    const message = configurationProblem(() => readConfig({ ...exportDefaultsShape, ...slotConfigShape }, { MIN_POLL_SECONDS: 'soon' }));

    const order = ['EXPORT_BUCKET', 'EXPORT_ROLE_ARN', 'EXPORT_KMS_KEY_ID', 'MIN_POLL_SECONDS', 'COORDINATION_TABLE'].map((name) => message.indexOf(name));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('reads the process environment when given none', () => {
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:123456789012:export-notifications');
    expect(readConfig(notifyConfigShape)).toEqual({ TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:export-notifications' });
  });
});
