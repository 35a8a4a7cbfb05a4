'use strict';

/**
 * An errors alarm for every function of serverless.yml (issue 9: alarms on every failure path), made
 * from the functions list itself, so a function added later has one too (test/packaging.test.ts
 * checks each packaged function against the alarms).
 *
 * Two kinds, by what a failed invocation means:
 * - `first`: the function's failure loses something or is the last try (an event parked, a
 *   notification not sent, a sweep or dispatch skipped): the alarm fires on the first error.
 * - `sustained`: a step of the state machine, which retries it and, past the retries, waits and tries
 *   again (a throttled poll, a start refused, bad input that the execution reports itself): one error
 *   is expected, errors in three 5-minute periods in a row (15 minutes, the time after which following
 *   notifies that it is interrupted) are not.
 * What each alarm means and what to do: docs/runbook.md.
 */

/** Why each function's errors matter (its AlarmDescription); a function not listed gets a generic one. */
const FUNCTIONS = {
  admitExport: ['sustained', 'Admitting executions to the slot queue keeps failing (DynamoDB or Step Functions refusing, or input that keeps failing validation). See the admit-export logs.'],
  startExport: ['sustained', 'Starting exports keeps failing (RDS throttling or refusing StartExportTask, a missing permission or key grant). Executions go back to the slot queue and try again until the slot wait limit. See the start-export logs.'],
  pollExport: ['sustained', 'Polling exports keeps failing (RDS throttled or unreachable): following is interrupted and backs off; it resumes by itself. See the poll-export logs.'],
  awaitExport: ['sustained', 'Parking executions on their export-finished wait keeps failing (DynamoDB refusing): executions poll instead. See the await-export logs.'],
  cancelExport: ['sustained', 'Canceling exports past their deadline keeps failing: the cancel is retried until the task ends; CANCEL_STUCK is notified past its bound. See the cancel-export logs.'],
  notify: ['first', 'Publishing a notification failed (SNS down, or its key or policy refuses). The workflow goes on; the notification may be lost. See the notify logs.'],
  slackNotify: ['sustained', 'The Slack notifier keeps failing (Slack down or rate limiting, the webhook revoked): Lambda retries each message twice, then parks it in the slack-undelivered queue. See the slackNotify logs.'],
  exportEvent: ['first', 'An RDS export event could not be handled; the execution finds the end by polling instead. See the export-event logs.'],
  dispatchExports: ['first', 'The slot dispatcher failed; queued executions wait until a later run hands them a slot. See its logs.'],
  snapshotTrigger: ['first', 'The snapshot trigger failed on an event (RDS throttling, Step Functions refusing). Lambda retries it; the sweep starts the snapshot within the hour if every try fails.'],
  planExports: ['first', 'A scheduled source could not be planned (ScheduledExportsFailed names it). See the plan-exports logs.'],
  reconcileSnapshots: ['first', 'The reconciliation sweep failed (RDS throttled its listing, or a start failed). Snapshots no event started may wait for the next sweep. See its logs.'],
  verifyExport: ['first', 'Verifying or cataloguing an export failed (S3 or Glue refusing, the export key not readable): the export was notified without its verification. See the verify-export logs.'],
};

/** Alarm names that an alarm of its own already takes (the Slack notifier's ERROR-log alarm). */
const NAME_TAKEN = { slackNotify: 'slack-notify-invocation-errors' };

const ALARM_ACTIONS = { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], [{ Ref: 'AlarmTopic' }]] };

const pascal = (name) => name[0].toUpperCase() + name.slice(1);
const kebab = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

function errorsAlarm(name, stackName) {
  const [kind, description] = FUNCTIONS[name] ?? ['first', `The ${name} function failed. See its logs.`];
  const sustained = kind === 'sustained';
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${stackName}-${NAME_TAKEN[name] ?? `${kebab(name)}-errors`}`,
      AlarmDescription: description,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: `${pascal(name)}LambdaFunction` } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: sustained ? 3 : 1,
      DatapointsToAlarm: sustained ? 3 : 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ALARM_ACTIONS,
    },
  };
}

/** The alarms of these functions, by logical ID (`<Function>ErrorsAlarm`). */
function functionAlarms(functionNames, stackName) {
  return Object.fromEntries(functionNames.map((name) => [`${pascal(name)}ErrorsAlarm`, errorsAlarm(name, stackName)]));
}

/** Resources fragment merged into `resources`: one alarm per function of serverless.yml. */
async function resources({ resolveVariable }) {
  const functions = await resolveVariable('self:functions');
  const stackName = `${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}`;
  return { Resources: functionAlarms(Object.keys(functions ?? {}), stackName) };
}

module.exports = { resources, functionAlarms, FUNCTIONS };
