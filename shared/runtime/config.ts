import { ConfigurationError } from './errors.ts';
import { NO_OVERRIDES, parseQuotaOverrides } from './quota-overrides.ts';
import { atLeast, atMost, matches, minLength, oneOf, optional, parsed, readVariables, refuses, startsWith, text, wholeNumber, withDefault, type ConfigOf, type Shape } from './variables.ts';

// Every configuration shape is here but the triggers' (shared/triggers/config.ts: the snapshot trigger's,
// the sweep's, the planner's): those are built from the triggers' own vocabulary (snapshot types,
// selection globs, scheduled sources), which runtime/ does not import.
// Shapes are plain objects of variables (./variables.ts): building one costs next to nothing at a cold start.

/**
 * The one place that reads environment variables. Each function declares the variables it needs
 * as a shape; a missing or malformed one is reported together with all the others.
 */
export function readConfig<S extends Shape>(shape: S, env: Readonly<Record<string, string | undefined>> = process.env): ConfigOf<S> {
  const { config, problems } = readVariables(shape, env);
  if (problems.length === 0) return config;
  throw new ConfigurationError(
    `Configuration: ${problems.join('; ')}. Set these in serverless.yml (provider.environment) or the shell.`,
  );
}

export const WHOLE_SECONDS = 'must be a whole number of seconds';
/* @__NO_SIDE_EFFECTS__ */
function seconds(fallback: number) {
  return withDefault(wholeNumber(WHOLE_SECONDS, atLeast(1, 'must be positive')), fallback);
}
/** An ARN, checked for its form only: whether it names something is the service's answer at the first call. */
export const arn = /* @__PURE__ */ text(startsWith('arn:', 'must be an ARN (arn:...)'));

/** The defaults an execution input may leave out, and the polling policy: read by the admission step. */
export const exportDefaultsShape = /* @__PURE__ */ (() => ({
  EXPORT_BUCKET: text(minLength(3, 'must be a bucket name')),
  EXPORT_PREFIX: withDefault(text(), '{sourceId}/{date}'),
  EXPORT_ROLE_ARN: arn,
  EXPORT_KMS_KEY_ID: text(minLength(1, 'must be a KMS key id or ARN')),
  DEFAULT_DEADLINE_SECONDS: seconds(24 * 3600),
  MIN_POLL_SECONDS: seconds(60),
  MAX_POLL_SECONDS: seconds(3600),
  /** With RDS export events on, the longest wait for an event before polling anyway; 0 turns events off. */
  EVENT_SAFETY_NET_SECONDS: withDefault(wholeNumber(WHOLE_SECONDS, atLeast(0, 'must be 0 or more')), 6 * 3600),
  /** Set by the Lambda runtime; names the region of an exported AMI and of ADS (unless ADS_REGION). */
  AWS_REGION: optional(text()),
  /** Application Discovery Service answers in the Migration Hub home region only. */
  ADS_REGION: optional(text()),
}))();
export type ExportDefaults = ConfigOf<typeof exportDefaultsShape>;

export const DEFAULT_SLOT_WAIT_LIMIT_SECONDS = 30 * 86400;
/** AdmitExport's own TimeoutSeconds (the backstop should the dispatcher never answer) is one day more. */
export const MAX_SLOT_WAIT_LIMIT_SECONDS = 300 * 86400;

/** The coordination table alone: what the export waits (await-export) and the sweep read of the slots' settings. */
export const coordinationTableShape = /* @__PURE__ */ (() => ({
  COORDINATION_TABLE: text(minLength(3, 'must be a DynamoDB table name')),
}))();

/** Where executions queue for the export slots of each account and region. */
export const slotConfigShape = /* @__PURE__ */ (() => ({
  ...coordinationTableShape,
  /** RDS runs 5 export tasks at once per account and region unless the quota was raised. */
  EXPORT_QUOTA: withDefault(wholeNumber('must be a whole number', atLeast(1, 'must be positive')), 5),
  /** Quotas other than EXPORT_QUOTA: `123456789012=3,210987654321/eu-west-1=2` (shared/slots/quota.ts). */
  EXPORT_QUOTA_OVERRIDES: withDefault(
    parsed((raw) => {
      const { overrides, problems } = parseQuotaOverrides(raw);
      return problems.length === 0 ? { ok: true, value: overrides } : { ok: false, problems: problems.map((problem) => `${problem}; the form is account=N or account/region=N, comma-separated`) };
    }),
    NO_OVERRIDES,
  ),
  SLOT_LEASE_SECONDS: seconds(600),
  /**
   * How long an execution may wait for a slot (from its start) before it ends TIMED_OUT, nothing
   * started: 30 days drains a backlog of about 1,700 two-hour exports at 5 at a time. At most
   * MAX_SLOT_WAIT_LIMIT_SECONDS, so that the wait, a 7-day deadline and the cancel fit in Step
   * Functions Standard's one-year execution limit.
   */
  SLOT_WAIT_LIMIT_SECONDS: withDefault(
    wholeNumber(WHOLE_SECONDS, atLeast(1, 'must be positive'), atMost(MAX_SLOT_WAIT_LIMIT_SECONDS, `must be at most ${MAX_SLOT_WAIT_LIMIT_SECONDS} (300 days)`)),
    DEFAULT_SLOT_WAIT_LIMIT_SECONDS,
  ),
}))();
export type SlotConfig = ConfigOf<typeof slotConfigShape>;

/** What the start, poll and cancel steps need beyond RDS: where Application Discovery Service answers. */
export const providerConfigShape = /* @__PURE__ */ (() => ({
  ADS_REGION: optional(text()),
  AWS_REGION: optional(text()),
}))();

/** The region Application Discovery Service is called in: ADS_REGION, else the Lambda's own. */
export const adsRegionOf = (config: { ADS_REGION?: string | undefined; AWS_REGION?: string | undefined }): string | undefined => config.ADS_REGION ?? config.AWS_REGION;

/** The entries of a comma list, trimmed, blanks dropped. */
export function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** A comma list (blanks ignored) whose every entry must match `entry`: every bad entry is named at once. */
/* @__NO_SIDE_EFFECTS__ */
function commaList(entry: RegExp, what: string, fix: string) {
  return withDefault(
    parsed((raw) => {
      const wrong = splitList(raw).filter((item) => !entry.test(item));
      if (wrong.length === 0) return { ok: true, value: raw };
      return { ok: false, problems: [`${wrong.map((item) => JSON.stringify(item.slice(0, 40))).join(', ')} ${wrong.length === 1 ? 'is not' : 'are not'} ${what}: ${fix}`] };
    }),
    '',
  );
}

/* @__NO_SIDE_EFFECTS__ */
function roleName(fallback: string) {
  return withDefault(text(matches(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits and + = , . @ _ -)')), fallback);
}

/**
 * The places this deployment serves (issue 14): its own account and the member accounts, in each
 * member region, and the roles it assumes there (serverless.yml params memberAccounts, memberRegions,
 * memberRoleName, memberExportRoleName, memberExternalId; shared/accounts/members.ts reads them).
 */
export const membersConfigShape = /* @__PURE__ */ (() => ({
  /** Comma list of 12-digit account ids; empty: this account only. */
  MEMBER_ACCOUNTS: commaList(/^\d{12}$/, 'a 12-digit AWS account id', 'list account ids separated by commas (memberAccounts), e.g. 111111111111,222222222222'),
  /** Comma list of regions; empty: the stack's own region. */
  MEMBER_REGIONS: commaList(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'an AWS region', 'list region codes separated by commas (memberRegions), e.g. eu-west-1,us-east-1'),
  /** The role the orchestrator assumes in each member account (the member template creates it). */
  MEMBER_ROLE_NAME: roleName('export-orchestrator-member'),
  /** The role RDS assumes in a member account to write the central bucket: a member source's default iamRoleArn. */
  MEMBER_EXPORT_ROLE_NAME: roleName('export-orchestrator-member-export'),
  /** The external id the member roles' trust policy requires (sts:ExternalId); empty: none. */
  MEMBER_EXTERNAL_ID: withDefault(text(matches(/^(?:[\w+=,.@:/-]{2,1224})?$/, 'must be 2-1,224 letters, digits and + = , . @ : / _ - (or empty: no external id)')), ''),
  /** The deployment's own account (CloudFormation's AWS::AccountId): its sources need no role. */
  ORCHESTRATOR_ACCOUNT: optional(text(matches(/^\d{12}$/, 'must be a 12-digit AWS account id'))),
  AWS_REGION: optional(text()),
  /** Set by the Lambda runtime: names the deployment in the member accounts' CloudTrail (the session name). */
  AWS_LAMBDA_FUNCTION_NAME: optional(text()),
}))();
export type MembersConfig = ConfigOf<typeof membersConfigShape>;

export const notifyConfigShape = /* @__PURE__ */ (() => ({
  TOPIC_ARN: arn,
}))();
export type NotifyConfig = ConfigOf<typeof notifyConfigShape>;

/* @__NO_SIDE_EFFECTS__ */
function trueOrFalse(fallback: 'true' | 'false') {
  return withDefault(oneOf(['true', 'false'], 'must be true or false'), fallback);
}

/** After an export's end (functions/verify-export): the Glue catalog, partial data, retention. */
export const verifyConfigShape = /* @__PURE__ */ (() => ({
  /** Glue database name template ({source}, {account}, {region}); empty: no catalog. */
  GLUE_DATABASE: withDefault(text(), ''),
  /** auto: catalog when GLUE_DATABASE is set. */
  CATALOG_EXPORTS: withDefault(oneOf(['auto', 'true', 'false'], 'must be auto, true or false'), 'auto'),
  DELETE_PARTIAL_DATA: trueOrFalse('false'),
  /** Keep the newest N exports of each source, deleting older ones' objects; 0 keeps every export. */
  RETAIN_EXPORTS: withDefault(wholeNumber('must be a whole number', atLeast(0, 'must be 0 (keep all) or more')), 0),
}))();
export type VerifyConfig = ConfigOf<typeof verifyConfigShape>;

/** The verify step's settings; cataloguing asked for without a database is a configuration error. */
export function verifySettingsOf(config: VerifyConfig): { catalogDatabase?: string; deletePartialData: boolean; retainExports: number } {
  if (config.CATALOG_EXPORTS === 'true' && config.GLUE_DATABASE.trim() === '') {
    throw new ConfigurationError('Configuration: CATALOG_EXPORTS is true but GLUE_DATABASE is empty: set the glueDatabase parameter (e.g. rds_{source}) or catalogExports=auto.');
  }
  const catalog = config.CATALOG_EXPORTS !== 'false' && config.GLUE_DATABASE.trim() !== '';
  return {
    ...(catalog ? { catalogDatabase: config.GLUE_DATABASE.trim() } : {}),
    deletePartialData: config.DELETE_PARTIAL_DATA === 'true',
    retainExports: config.RETAIN_EXPORTS,
  };
}

/**
 * The Slack notifier's configuration. The webhook URL is a secret: only the *name* of the SSM
 * parameter that holds it comes through the environment (and so through CloudFormation).
 */
export const slackConfigShape = /* @__PURE__ */ (() => ({
  SLACK_WEBHOOK_PARAMETER: text(
    // A URL here means someone pasted the secret itself into the environment: refuse it, and say so
    // without echoing it (readConfig never repeats a value).
    refuses(/:\/\//, 'must name the SSM parameter that holds the webhook URL, not be the URL'),
    // The IAM policy builds the parameter ARN as `parameter${name}`, which only holds with a leading slash.
    matches(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name starting with "/", e.g. /export-orchestrator/prod/slack-webhook'),
  ),
}))();
export type SlackConfig = ConfigOf<typeof slackConfigShape>;

/** The metrics (runtime/metrics.ts), read as Powertools Metrics reads them, so that serverless.yml, the local run and the tests set the same variables. */
export const metricsConfigShape = /* @__PURE__ */ (() => ({
  POWERTOOLS_METRICS_NAMESPACE: withDefault(text(), 'default_namespace'),
  /** "true" (or "1"): no metric is written (local runs, tests). */
  POWERTOOLS_METRICS_DISABLED: optional(text()),
}))();
