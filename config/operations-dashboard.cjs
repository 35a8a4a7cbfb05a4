'use strict';

/**
 * A local osls plugin: the stack's CloudWatch dashboard (ExportDashboard), added to the compiled
 * template once every resource is in it, so that its alarm widget shows every alarm of the stack
 * (those of serverless.yml's resources, whoever added them) without a list to keep up to date.
 *
 * Widgets: the workflow's own metrics (EMF from shared/runtime/metrics.ts, namespace `<service>/<stage>`:
 * exports started and ended, duration, GB, polls, workflow failures, the slot queue), beside the
 * state machine's (AWS/States) and the functions' (AWS/Lambda) metrics, and the alarms. What each
 * alarm means and what to do: docs/runbook.md.
 */

const SERVICE_DIMENSION = 'export-orchestrator';

/** A metric math expression summing a metric over all its `kind`s (or `error`s). */
function searchAll(namespace, dimension, metric, stat, period, fn = 'SUM') {
  return `${fn}(SEARCH('{"${namespace}",${dimension},service} MetricName="${metric}"', '${stat}', ${period}))`;
}

function expressions(list) {
  return list.map(([id, expression, label]) => [{ id, expression, label }]);
}

function widgets(namespace, stackName) {
  const region = '${AWS::Region}';
  const own = (metric, stat, label, extra = {}) => [namespace, metric, 'service', SERVICE_DIMENSION, { stat, label, ...extra }];
  const machine = (metric, label) => ['AWS/States', metric, 'StateMachineArn', '${ExportStateMachine}', { stat: 'Sum', label }];
  const metricWidget = (title, metrics, extra = {}) => ({ type: 'metric', width: 12, height: 6, properties: { title, region, metrics, view: 'timeSeries', ...extra } });
  return [
    {
      type: 'text',
      width: 24,
      height: 2,
      properties: {
        markdown: `## ${stackName}: RDS exports\nExports by hour, the slot queue, the state machine and the functions. What each alarm means and what to do: docs/runbook.md in the repository.`,
      },
    },
    metricWidget(
      'Exports started and ended (per hour)',
      expressions([
        ['started', searchAll(namespace, 'kind', 'ExportsStarted', 'Sum', 3600), 'started'],
        ['completed', searchAll(namespace, 'kind', 'ExportsCompleted', 'Sum', 3600), 'completed'],
        ['failed', searchAll(namespace, 'kind', 'ExportsFailed', 'Sum', 3600), 'failed'],
        ['canceled', searchAll(namespace, 'kind', 'ExportsCanceled', 'Sum', 3600), 'canceled'],
        ['timedOut', searchAll(namespace, 'kind', 'ExportsTimedOut', 'Sum', 3600), 'timed out (canceled at the deadline)'],
      ]),
      { stat: 'Sum', period: 3600 },
    ),
    metricWidget(
      'Export duration (seconds) and polls per export',
      expressions([
        ['durationAvg', searchAll(namespace, 'kind', 'ExportDurationSeconds', 'Average', 3600, 'AVG'), 'duration, average'],
        ['durationMax', searchAll(namespace, 'kind', 'ExportDurationSeconds', 'Maximum', 3600, 'MAX'), 'duration, longest'],
        ['polls', searchAll(namespace, 'kind', 'ExportPolls', 'Average', 3600, 'AVG'), 'polls per export (right axis)'],
      ]).map(([metric]) => [metric.id === 'polls' ? { ...metric, yAxis: 'right' } : metric]),
      { period: 3600 },
    ),
    metricWidget('Data exported (GB per day)', expressions([['gb', searchAll(namespace, 'kind', 'ExportedGB', 'Sum', 86400), 'GB exported']]), { period: 86400 }),
    metricWidget(
      'Export slots: queue depth, oldest wait (s), exports running',
      [
        own('QueueDepth', 'Maximum', 'executions waiting for a slot'),
        own('ExportsRunning', 'Maximum', 'exports running (quota 5 unless raised)'),
        own('OldestWaitingSeconds', 'Maximum', 'oldest wait, seconds (right axis)', { yAxis: 'right' }),
      ],
      { period: 300 },
    ),
    metricWidget(
      'Workflow failures by error (bad input, missing source, ...) and notifications not sent',
      [
        [{ id: 'failures', expression: `SEARCH('{"${namespace}",error,service} MetricName="WorkflowFailures"', 'Sum', 3600)`, label: '' }],
        [{ id: 'unsent', expression: searchAll(namespace, 'kind', 'NotificationsFailed', 'Sum', 3600), label: 'notifications not sent (SNS or its key refused)' }],
      ],
      { period: 3600 },
    ),
    metricWidget(
      'State machine executions',
      [
        machine('ExecutionsStarted', 'started'),
        machine('ExecutionsSucceeded', 'succeeded'),
        machine('ExecutionsFailed', 'failed'),
        machine('ExecutionsTimedOut', 'timed out'),
        machine('ExecutionsAborted', 'aborted'),
        machine('ExecutionThrottled', 'throttled'),
      ],
      { stat: 'Sum', period: 3600 },
    ),
    metricWidget(
      'Functions: errors and throttles (per 5 minutes)',
      [
        [{ id: 'errors', expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="Errors" FunctionName="${stackName}-"', 'Sum', 300)`, label: '' }],
        [{ id: 'throttles', expression: `SEARCH('{AWS/Lambda,FunctionName} MetricName="Throttles" FunctionName="${stackName}-"', 'Sum', 300)`, label: '' }],
      ],
      { period: 300 },
    ),
  ];
}

/**
 * The dashboard body as CloudFormation builds it: JSON with `${AWS::Region}` and the state machine's
 * ARN substituted, and an alarm widget listing each alarm's ARN (a conditional alarm only when its
 * condition holds; the first listed is always an unconditional one, so the JSON list stays valid).
 */
function dashboardBody(namespace, stackName, alarms) {
  const body = JSON.stringify({ widgets: [...widgets(namespace, stackName), { type: 'alarm', width: 24, height: 4, properties: { title: 'Alarms (docs/runbook.md)', alarms: ['ALARMS'] } }] });
  const [before, after] = body.split('"ALARMS"');
  const unconditional = alarms.filter((alarm) => !alarm.condition);
  const ordered = unconditional.length > 0 ? [...unconditional, ...alarms.filter((alarm) => alarm.condition)] : [];
  const pieces = ordered.map((alarm, index) => {
    const quoted = { 'Fn::Join': ['', [index === 0 ? '"' : ',"', { 'Fn::GetAtt': [alarm.logicalId, 'Arn'] }, '"']] };
    return alarm.condition ? { 'Fn::If': [alarm.condition, quoted, ''] } : quoted;
  });
  const substituted = (text) => (text.includes('${') ? { 'Fn::Sub': text } : text);
  return { 'Fn::Join': ['', [substituted(before), ...pieces, substituted(after)]] };
}

class OperationsDashboard {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:aws:package:finalize:saveServiceState': () => this.addDashboard() };
  }

  addDashboard() {
    const { service } = this.serverless;
    const stage = service.provider.stage;
    const stackName = `${service.service}-${stage}`;
    const template = service.provider.compiledCloudFormationTemplate;
    const alarms = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
      .map(([logicalId, resource]) => ({ logicalId, condition: resource.Condition }));
    template.Resources.ExportDashboard = {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: stackName,
        DashboardBody: dashboardBody(`${service.service}/${stage}`, stackName, alarms),
      },
    };
    template.Outputs = template.Outputs || {};
    template.Outputs.DashboardUrl = {
      Description: 'CloudWatch dashboard of the exports, the slot queue, the state machine and the alarms',
      Value: { 'Fn::Sub': `https://console.\${AWS::URLSuffix}/cloudwatch/home?region=\${AWS::Region}#dashboards:name=${stackName}` },
    };
  }
}

module.exports = OperationsDashboard;
module.exports.dashboardBody = dashboardBody;
