import './polyfills.ts';
import './log-level.ts';
import { parseArgs } from 'node:util';
import { formatDuration } from '../shared/notify/record.ts';
import { progressBar as bar } from '../shared/runtime/format.ts';
import { formatBytes } from '../shared/verification/partial-data.ts';
import { slackMessageFor, slackMessagePreview } from '../shared/notify/slack/render.ts';
import type { ExportState } from '../shared/workflow/export-state.ts';
import type { EventLog } from './step-functions-simulator.ts';
import { parseScenario, readScenarioFile, runScenario, SCENARIO_EPOCH, type ScenarioResult } from './scenario.ts';
import { isTerminal } from '../shared/export-kinds/status.ts';
import { postAllToSlack } from './slack-post.ts';
import type { PublishedMessage } from './sns-recorder.ts';

const USAGE = `Usage: npm start -- [--scenario FILE] [--json] [--verbose] [--slack-webhook URL]
  Runs the export workflow (the real state machine and Lambda handlers) on the embedded RDS simulator.
  --scenario FILE  a JSON scenario (fields in README.md); without it, a 2-hour DB snapshot export
  --json           print the run's figures as one JSON object on the last line
  --verbose        also print the Lambdas' structured logs
  --slack-webhook URL  after the run, post each notification to this Slack incoming webhook`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { scenario: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, 'slack-webhook': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let scenario;
  try {
    scenario = args.scenario ? readScenarioFile(args.scenario) : parseScenario({});
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const quiet = Boolean(args.json);
  const clockLabel = () => `[+${formatDuration((Date.now() - SCENARIO_EPOCH) / 1000).padStart(10)}]`;
  // A fleet would print thousands of steps: show one line per notification instead.
  const fleet = scenario.fleet > 0;
  const published: PublishedMessage[] = [];
  const result = await runScenario(scenario, {
    onEvent: (event) => !quiet && !fleet && printStep(event, clockLabel()),
    onPublish: (message) => {
      published.push(message);
      if (quiet) return;
      if (fleet) console.log(`${clockLabel()} ✉ ${message.subject}`);
      else printNotification(message, clockLabel());
    },
  });
  // Posted once the run is over: on the run's virtual clock, Slack's timeouts and Retry-After would pass in no time.
  // With --json, stdout ends with the JSON line alone.
  const say = (line: string) => (quiet ? console.error(line) : console.log(line));
  const slackFailed = args['slack-webhook'] ? await postAllToSlack(args['slack-webhook'], published, { fetch: globalThis.fetch, say }) : false;
  if (quiet) console.log(JSON.stringify(result));
  else printSummary(result);
  return slackFailed ? 1 : 0;
}

let waitTimedOut = false;

function printStep(event: EventLog, at: string): void {
  if (event.type === 'StateRetried') {
    console.log(`${at} ${event.state.name} retried (attempt ${event.retry.attempt}) after a transient error`);
    return;
  }
  if ('state' in event && event.state.name === 'WaitForProgress') {
    // Timing out (caught) is this state's normal end, the next poll; an answered token means RDS said the export ended.
    if (event.type === 'StateCaught') waitTimedOut = true;
    if (event.type === 'StateExited') {
      if (!waitTimedOut) console.log(`${at} WaitForProgress woken by an RDS export event`);
      waitTimedOut = false;
    }
    return;
  }
  if (event.type === 'StateFailed' && event.state.type === 'Task') {
    console.log(`${at} ${event.state.name} failed: ${event.Error}`);
    return;
  }
  if (event.type !== 'StateExited' || !['StartExport', 'PollExport', 'CancelExport'].includes(event.state.name)) return;
  const state = event.state.output as unknown as ExportState;
  if (!state?.request) return;
  const next = isTerminal(state.status)
    ? ''
    : state.cancelBackoff
      ? `  cancel failed (${state.cancelFailure?.lastError}); trying again after a look in ${formatDuration(state.waitSeconds)}`
      : state.interruption && event.state.name === 'PollExport'
        ? `  could not look (${state.interruption.lastError}); looking again in ${formatDuration(state.waitSeconds)}`
        : state.overdue && state.status !== 'CANCELING'
          ? '  deadline passed: canceling'
          : `  next poll in ${formatDuration(state.waitSeconds)}`;
  console.log(`${at} ${event.state.name.padEnd(12)} ${state.status.padEnd(11)} ${progressBar(state.percent)} ${String(state.percent).padStart(3)}%${next}`);
}

function printNotification(message: PublishedMessage, at: string): void {
  const body = message.message.split('\n-- record --')[0]!.trimEnd().split('\n').slice(2);
  const indent = ' '.repeat(at.length);
  console.log(`${at} ✉ SNS → ${message.subject}`);
  for (const line of body) console.log(`${indent}   │ ${line}`);
  // The Slack message the slackNotify Lambda would post for the same SNS message.
  const [colour, ...slack] = slackMessagePreview(slackMessageFor({ Subject: message.subject, Message: message.message }).message);
  console.log(`${indent} # Slack ${colour}`);
  for (const line of slack) console.log(`${indent}   │ ${line}`);
}

function progressBar(percent: number, width = 24): string {
  return `[${bar(percent, width)}]`;
}

function printSummary(result: ScenarioResult): void {
  const calls = Object.entries(result.apiCalls).map(([name, count]) => `${name} ${count}`).join(', ');
  console.log(`
Export ${result.status}; execution ${result.executionStatus}${result.error ? ` (${result.error})` : ''}
  simulated time      ${formatDuration(result.simulatedSeconds)} (export ran ${formatDuration(result.exportSeconds)})
  state transitions   ${result.stateTransitions} (${result.stateTransitions - result.transitionsAfterEnd} to the export's end, ${result.transitionsAfterEnd} after it)
  detection latency   ${result.detectionLatencySeconds ?? 'n/a'} s
  API calls           ${calls}
  notifications       ${result.notifications.length}`);
  if (result.executions > 1) {
    console.log(`  executions          ${result.executions} (${result.succeeded} succeeded, ${result.failed} failed), ${result.exportsStarted} export tasks
  makespan            ${formatDuration(result.makespanSeconds ?? 0)} (lower bound ${formatDuration(result.lowerBoundSeconds)}, ratio ${((result.makespanSeconds ?? 0) / result.lowerBoundSeconds).toFixed(3)})
  peak concurrent     ${result.peakConcurrentExports} export tasks`);
  }
  printVerification(result);
}

/** What the verify step found: the export table by table, the catalog, what a failed export left. */
function printVerification({ tables, catalog, partialData }: ScenarioResult): void {
  if (tables) {
    console.log(`  tables              ${tables.exported} exported, ${tables.failed} failed, ${tables.skipped} skipped`);
    for (const item of tables.items) console.log(`    ${item.status.padEnd(9)} ${item.name}${item.reason ? `: ${item.reason}` : ''}`);
  }
  if (catalog) console.log(`  Glue catalog        ${catalog.database}: ${catalog.tables.join(', ') || 'no table'}`);
  if (partialData) {
    const deleted = partialData.deleted ? `, ${partialData.deleted.objects} deleted` : '';
    console.log(`  left in S3          ${partialData.objects}${partialData.truncated ? '+' : ''} object(s), ${formatBytes(partialData.bytes)} under ${partialData.s3Uri}${deleted}`);
  }
}

process.exitCode = await main();
