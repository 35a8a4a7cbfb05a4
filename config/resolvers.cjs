'use strict';

/**
 * Variable resolvers for serverless.yml (osls loads .cjs files through `${file(...)}`).
 *
 * - `subscriptions`: the `notificationEmails` param (comma-separated) as one AWS::SNS::Subscription
 *   per address. An empty list yields no resources. The logical ID is derived from a hash of the
 *   lower-cased address, so adding or removing one address never replaces the others' subscriptions
 *   (a replaced email subscription would have to be confirmed again). Each subscription gets a
 *   filter policy on the `status` message attribute when `emailFilterStatuses` is set, or when the
 *   address carries its own list (`dba@example.com=FAILED|TIMED_OUT`, which wins); changing a filter
 *   updates the subscription in place. Without `alarmTopicArn`, each address is also subscribed
 *   (unfiltered) to the stack's alarm topic, so the alarms reach the same people.
 * - `selectionInclude`: the `selectionInclude` param, unchanged; with neither a selection nor scheduled
 *   sources it prints a warning, since such a stack exports nothing until told what (opt-in).
 * - `exportObjectsPattern`: the object-key pattern the export role may write, derived from the
 *   `exportPrefix` template: its static part before the first `{placeholder}`, then `*`.
 */
const { createHash } = require('node:crypto');

// Deliberately loose (SNS does the real check by sending the confirmation); catches list-separator mistakes.
const EMAIL = /^[^\s@,;=]+@[^\s@,;=]+\.[^\s@,;=]+$/;

// The `status` message attribute's values (shared/export-kinds/status.ts). A misspelt one would silently filter out every message.
// COMPLETE_WITH_WARNINGS: a COMPLETE RDS export with failed or skipped tables (shared/notify/record.ts).
const STATUSES = ['STARTING', 'IN_PROGRESS', 'COMPLETE', 'COMPLETE_WITH_WARNINGS', 'FAILED', 'CANCELING', 'CANCELED', 'TIMED_OUT'];

async function readParam(resolveVariable, name) {
  const value = await resolveVariable(`param:${name}`);
  return value == null ? '' : String(value);
}

function parseEmails(list) {
  const emails = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const invalid = emails.filter((email) => !EMAIL.test(email));
  if (invalid.length > 0) {
    throw new Error(
      `notificationEmails has invalid address(es) ${invalid.map((e) => `"${e}"`).join(', ')}: ` +
        'give a comma-separated list such as "ops@example.com,dba@example.com"',
    );
  }
  const unique = new Map();
  for (const email of emails) if (!unique.has(email.toLowerCase())) unique.set(email.toLowerCase(), email);
  return [...unique.values()];
}

const emailDigest = (email) => createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 12);

function subscriptionLogicalId(email) {
  return `NotificationEmailSubscription${emailDigest(email)}`;
}

function alarmSubscriptionLogicalId(email) {
  return `AlarmEmailSubscription${emailDigest(email)}`;
}

/** A list of statuses ("FAILED,TIMED_OUT" or "FAILED|TIMED_OUT"), upper-cased, checked, without duplicates. */
function parseStatuses(list, origin) {
  const statuses = [...new Set(list.split(/[,|]/).map((entry) => entry.trim().toUpperCase()).filter((entry) => entry.length > 0))];
  const unknown = statuses.filter((status) => !STATUSES.includes(status));
  if (unknown.length > 0) {
    throw new Error(`${origin} has unknown status(es) ${unknown.map((s) => `"${s}"`).join(', ')}: use any of ${STATUSES.join(', ')}`);
  }
  return statuses;
}

/**
 * `notificationEmails` entries with their filters: `address` takes the default statuses (empty: every
 * message), `address=FAILED|TIMED_OUT` its own. An address cannot hold "=" after its "@", so the split is unambiguous.
 */
function parseEmailSubscriptions(list, defaultStatuses) {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const split = entry.indexOf('=', entry.lastIndexOf('@'));
      return split < 0 ? { email: entry, statuses: defaultStatuses } : { email: entry.slice(0, split).trim(), statuses: parseStatuses(entry.slice(split + 1), `notificationEmails (${entry})`) };
    });
  const emails = new Set(parseEmails(entries.map((entry) => entry.email).join(',')));
  return entries.filter((entry) => emails.delete(entry.email));
}

/** Resources fragment merged into `resources` (osls accepts `resources` as a list of fragments). */
async function subscriptions({ resolveVariable }) {
  const defaultStatuses = parseStatuses(await readParam(resolveVariable, 'emailFilterStatuses'), 'emailFilterStatuses');
  const entries = parseEmailSubscriptions(await readParam(resolveVariable, 'notificationEmails'), defaultStatuses);
  const resources = {};
  for (const { email, statuses } of entries) {
    resources[subscriptionLogicalId(email)] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        Protocol: 'email',
        Endpoint: email,
        TopicArn: { Ref: 'NotificationTopic' },
        // The notify step sets `status` as a message attribute on every message it publishes.
        ...(statuses.length > 0 ? { FilterPolicyScope: 'MessageAttributes', FilterPolicy: { status: statuses } } : {}),
      },
    };
  }
  // Without alarmTopicArn the alarms go to the stack's own alarm topic: the same people get them, unfiltered.
  for (const { email } of entries) {
    resources[alarmSubscriptionLogicalId(email)] = {
      Type: 'AWS::SNS::Subscription',
      Condition: 'CreateAlarmTopic',
      Properties: { Protocol: 'email', Endpoint: email, TopicArn: { Ref: 'AlarmTopic' } },
    };
  }
  return entries.length > 0 ? { Resources: resources } : {};
}

/** Key pattern under the bucket, e.g. "{sourceId}/{date}" -> "*", "exports/{date}" -> "exports/*". */
function objectsPattern(template) {
  const trimmed = template.replace(/^\/+/, '');
  const brace = trimmed.indexOf('{');
  if (brace >= 0) return `${trimmed.slice(0, brace)}*`;
  const fixed = trimmed.replace(/\/+$/, '');
  // RDS writes under <prefix>/<export task identifier>/...
  return fixed.length > 0 ? `${fixed}/*` : '*';
}

async function exportObjectsPattern({ resolveVariable }) {
  return objectsPattern(await readParam(resolveVariable, 'exportPrefix'));
}

/**
 * `exportSchedules` (';'-separated, since cron expressions hold commas) as the planner's schedule
 * events. Empty: the planner runs on no schedule.
 */
function parseSchedules(list) {
  const expressions = list
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  // One expression per entry: a comma-separated list would pass as one and fail only at deploy time.
  const invalid = expressions.filter((expression) => !/^(rate|cron)\([^()]+\)$/.test(expression));
  if (invalid.length > 0) {
    throw new Error(
      `exportSchedules has invalid expression(s) ${invalid.map((e) => `"${e}"`).join(', ')}: ` +
        'give rate(...) or cron(...) expressions separated by ";", such as "cron(0 3 * * ? *);rate(12 hours)"',
    );
  }
  return expressions;
}

/**
 * EventBridge retries a target it cannot invoke for a day, then parks the event in the failed-events
 * queue (issue 9; the same policy as serverless.yml's `eventRetry`).
 */
const EVENT_RETRY = {
  retryPolicy: { maximumEventAge: 86400, maximumRetryAttempts: 185 },
  deadLetterQueueArn: { 'Fn::GetAtt': ['FailedEventsQueue', 'Arn'] },
};

async function planSchedules({ resolveVariable }) {
  return parseSchedules(await readParam(resolveVariable, 'exportSchedules')).map((schedule) => ({ eventBridge: { schedule, ...EVENT_RETRY } }));
}

/** True when the stack would export nothing by itself: no selection pattern and no scheduled source. */
function selectsNothing(include, scheduledSources) {
  const patterns = include.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  let sources;
  try {
    sources = JSON.parse(scheduledSources.trim() === '' ? '[]' : scheduledSources);
  } catch {
    return false; // Malformed: the planner's configuration check names the problem.
  }
  return patterns.length === 0 && Array.isArray(sources) && sources.length === 0;
}

const NOTHING_SELECTED_WARNING =
  'export-orchestrator: nothing will be exported. Neither selectionInclude nor scheduledSources is set, so no ' +
  'new snapshot and no schedule starts an export (exports are billed per GB: the stack exports only what you name). ' +
  'Name what to export, e.g. --param="selectionInclude=sandbox-db" or ' +
  '--param=\'scheduledSources=[{"dbInstanceIdentifier":"sandbox-db"}]\' with --param="exportSchedules=cron(0 3 * * ? *)". ' +
  'Manual starts (npx export-orchestrator start) work either way.';

const UNSCHEDULED_SOURCES_WARNING =
  'export-orchestrator: scheduledSources is set but exportSchedules is empty, so the planner never runs and those sources ' +
  'are never exported. Give it a schedule, e.g. --param="exportSchedules=cron(0 3 * * ? *)".';

/** The warning a package or deploy with these parameters should print, if any. */
function selectionWarning(include, scheduledSources, exportSchedules) {
  if (selectsNothing(include, scheduledSources)) return NOTHING_SELECTED_WARNING;
  if (!selectsNothing('', scheduledSources) && parseSchedules(exportSchedules).length === 0) return UNSCHEDULED_SOURCES_WARNING;
  return undefined;
}

let warned = false;
async function selectionInclude({ resolveVariable }) {
  const include = await readParam(resolveVariable, 'selectionInclude');
  const warning = selectionWarning(include, await readParam(resolveVariable, 'scheduledSources'), await readParam(resolveVariable, 'exportSchedules'));
  if (!warned && warning) {
    warned = true;
    process.stderr.write(`\nWarning: ${warning}\n\n`);
  }
  return include;
}

/**
 * `{region}` in `exportBucket` or `kmsKeyArn` (issue 14): with member Regions, a bucket and a key of each
 * source's Region (RDS exports only to a bucket of the snapshot's Region), e.g. `acme-exports-{region}` and a
 * multi-Region key's ARN. The stack's own uses of them (its CloudFormation parameters: the export role's
 * policy, the outputs) are those of its own Region, substituted when packaging for that Region; admit
 * (EXPORT_BUCKET, EXPORT_KMS_KEY_ID) gets the template itself, which it renders for each source's Region.
 */
const REGION_PLACEHOLDER = '{region}';

async function stackRegion(resolveVariable) {
  return String((await resolveVariable('self:provider.region')) ?? '');
}

/** A bucket or key setting as the stack's own Region has it. */
function inRegion(template, region) {
  return template.replaceAll(REGION_PLACEHOLDER, region);
}

/** What admit is given: the template when it names a Region per source (with members), else the parameter's value. */
function regionalSetting(template, memberAccounts, parameter) {
  return template.includes(REGION_PLACEHOLDER) && memberAccounts.trim() !== '' ? template : { Ref: parameter };
}

async function exportBucketInStackRegion({ resolveVariable }) {
  return inRegion(await readParam(resolveVariable, 'exportBucket'), await stackRegion(resolveVariable));
}

async function kmsKeyArnInStackRegion({ resolveVariable }) {
  return inRegion(await readParam(resolveVariable, 'kmsKeyArn'), await stackRegion(resolveVariable));
}

async function exportBucketSetting({ resolveVariable }) {
  return regionalSetting(await readParam(resolveVariable, 'exportBucket'), await readParam(resolveVariable, 'memberAccounts'), 'ExportBucketName');
}

async function kmsKeyIdSetting({ resolveVariable }) {
  return regionalSetting(await readParam(resolveVariable, 'kmsKeyArn'), await readParam(resolveVariable, 'memberAccounts'), 'KmsKeyArn');
}

module.exports = {
  exportBucketInStackRegion,
  kmsKeyArnInStackRegion,
  exportBucketSetting,
  kmsKeyIdSetting,
  inRegion,
  regionalSetting,
  subscriptions,
  selectionInclude,
  selectsNothing,
  selectionWarning,
  NOTHING_SELECTED_WARNING,
  exportObjectsPattern,
  planSchedules,
  parseEmails,
  parseEmailSubscriptions,
  parseStatuses,
  parseSchedules,
  objectsPattern,
  subscriptionLogicalId,
  alarmSubscriptionLogicalId,
};
