import './polyfills.ts';
import './log-level.ts';
import { parseArgs } from 'node:util';
import { formatDuration } from '../shared/notification.ts';
import type { ExportState } from '../shared/workflow.ts';
import type { EventLog } from './local-stack.ts';
import { parseScenario, readScenarioFile, runScenario, type ScenarioResult } from './scenario.ts';
import type { PublishedMessage } from './sns-recorder.ts';

const USAGE = `Usage: npm start -- [--scenario FILE] [--json] [--verbose]
  Runs the export workflow (the real state machine and Lambda handlers) on the embedded RDS simulator.
  --scenario FILE  a JSON scenario (fields in README.md); without it, a 2-hour DB snapshot export
  --json           print the run's figures as one JSON object on the last line
  --verbose        also print the Lambdas' structured logs`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { scenario: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
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
  const startedAt = Date.parse('2026-11-23T03:15:00Z');
  const quiet = Boolean(args.json);
  const clockLabel = () => `[+${formatDuration((Date.now() - startedAt) / 1000).padStart(10)}]`;
  // A fleet would print thousands of steps: show one line per notification instead.
  const fleet = scenario.fleet > 0;
  const result = await runScenario(scenario, {
    onEvent: (event) => !quiet && !fleet && printStep(event, clockLabel()),
    onPublish: (message) => !quiet && (fleet ? console.log(`${clockLabel()} ✉ ${message.subject}`) : printNotification(message, clockLabel())),
  });
  if (quiet) console.log(JSON.stringify(result));
  else printSummary(result);
  return 0;
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
  const next = ['COMPLETE', 'FAILED', 'CANCELED', 'TIMED_OUT'].includes(state.status)
    ? ''
    : state.overdue && state.status !== 'CANCELING'
      ? '  deadline passed: canceling'
      : `  next poll in ${formatDuration(state.waitSeconds)}`;
  console.log(`${at} ${event.state.name.padEnd(12)} ${state.status.padEnd(11)} ${progressBar(state.percent)} ${String(state.percent).padStart(3)}%${next}`);
}

function printNotification(message: PublishedMessage, at: string): void {
  const body = message.message.split('\n-- record --')[0]!.trimEnd().split('\n').slice(2);
  console.log(`${at} ✉ SNS → ${message.subject}`);
  for (const line of body) console.log(`${' '.repeat(at.length)}   │ ${line}`);
}

function progressBar(percent: number, width = 24): string {
  const filled = Math.round((percent / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

function printSummary(result: ScenarioResult): void {
  const calls = Object.entries(result.apiCalls).map(([name, count]) => `${name} ${count}`).join(', ');
  console.log(`
Export ${result.status}; execution ${result.executionStatus}${result.error ? ` (${result.error})` : ''}
  simulated time      ${formatDuration(result.simulatedSeconds)} (export ran ${formatDuration(result.exportSeconds)})
  state transitions   ${result.stateTransitions}
  detection latency   ${result.detectionLatencySeconds ?? 'n/a'} s
  API calls           ${calls}
  notifications       ${result.notifications.length}`);
  if (result.executions > 1) {
    console.log(`  executions          ${result.executions} (${result.succeeded} succeeded, ${result.failed} failed), ${result.exportsStarted} export tasks
  makespan            ${formatDuration(result.makespanSeconds ?? 0)} (lower bound ${formatDuration(result.lowerBoundSeconds)}, ratio ${((result.makespanSeconds ?? 0) / result.lowerBoundSeconds).toFixed(3)})
  peak concurrent     ${result.peakConcurrentExports} export tasks`);
  }
}

process.exitCode = await main();
