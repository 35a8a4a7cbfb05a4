import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './definition.ts';
import { LocalStack, type EventLog } from './local-stack.ts';
import { seededRandom } from './random.ts';
import type { PublishedMessage } from './sns-recorder.ts';
import { onVirtualClock } from './virtual-clock.ts';
import type { SourceType } from '../shared/source.ts';

/** A scenario file for `npm start -- --scenario FILE`. Every field is optional; an unknown one is an error. */
export const scenarioSchema = z.strictObject({
  sourceType: z.enum(['SNAPSHOT', 'CLUSTER_SNAPSHOT', 'CLUSTER']).default('SNAPSHOT'),
  exportSeconds: z.number().positive().default(7200),
  startingSeconds: z.number().min(0).default(60),
  progress: z.enum(['steady', 'uneven']).default('steady'),
  failAtPercent: z.number().int().min(0).max(99).optional(),
  deadlineSeconds: z.number().int().positive().optional(),
  throttleRate: z.number().min(0).max(0.95).default(0),
  seed: z.number().int().default(1),
  cancelSeconds: z.number().min(0).default(90),
  dataGb: z.number().min(0).default(42),
  minPollSeconds: z.number().int().positive().default(60),
  maxPollSeconds: z.number().int().positive().default(3600),
  sourceMissing: z.boolean().default(false),
  input: z.record(z.string(), z.unknown()).default({}),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export function parseScenario(raw: unknown, origin = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field(s) ${issue.keys.join(', ')} (known: ${Object.keys(scenarioSchema.shape).join(', ')})`
      : `${issue.path.join('.') || 'scenario'}: ${issue.message}`,
  );
  throw new Error(`${origin}: ${problems.join('; ')}`);
}

export function readScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the scenario (${(error as Error).message})`);
  }
  return parseScenario(raw, path);
}

const SOURCE_ARNS: Record<SourceType, string> = {
  SNAPSHOT: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:snapshot:rds:prod-db-2026-11-23-03-10`,
  CLUSTER_SNAPSHOT: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster-snapshot:rds:prod-aurora-2026-11-23-03-10`,
  CLUSTER: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:prod-aurora`,
};

export interface ScenarioResult {
  status: string;
  executionStatus: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  exportId?: string;
  sourceArn: string;
  notifications: Array<{ status: string; percent: number | null; subject: string }>;
  stateTransitions: number;
  apiCalls: Record<string, number>;
  simulatedSeconds: number;
  exportSeconds: number;
  detectionLatencySeconds: number | null;
}

export interface ScenarioObserver {
  onEvent?: (event: EventLog) => void;
  onPublish?: (message: PublishedMessage) => void;
}

/** A fixed start time, so runs with the same seed print the same dates. */
const SCENARIO_EPOCH = Date.parse('2026-11-23T03:15:00Z');

/** One execution of the real workflow against the simulator, on the virtual clock. */
export async function runScenario(scenario: Scenario, observer: ScenarioObserver = {}): Promise<ScenarioResult> {
  const sourceArn = SOURCE_ARNS[scenario.sourceType];
  const { result: outcome, virtualSeconds } = await onVirtualClock(SCENARIO_EPOCH, async () => {
    const stack = new LocalStack({
      sources: (arn) => !scenario.sourceMissing && arn === sourceArn,
      behaviourFor: () => ({
        startingSeconds: scenario.startingSeconds,
        exportSeconds: scenario.exportSeconds,
        progress: scenario.progress,
        cancelSeconds: scenario.cancelSeconds,
        dataGb: scenario.dataGb,
        ...(scenario.failAtPercent !== undefined ? { failAtPercent: scenario.failAtPercent } : {}),
      }),
      random: seededRandom(scenario.seed),
      throttleRate: scenario.throttleRate,
      config: { MIN_POLL_SECONDS: scenario.minPollSeconds, MAX_POLL_SECONDS: scenario.maxPollSeconds },
      ...(observer.onPublish ? { onPublish: observer.onPublish } : {}),
    });
    const input = { sourceArn, ...(scenario.deadlineSeconds ? { deadlineSeconds: scenario.deadlineSeconds } : {}), ...scenario.input };
    const execution = await stack.execute(input, observer.onEvent ? { onEvent: observer.onEvent } : {});
    return { execution, stack };
  });
  const { execution, stack } = outcome;
  const task = [...stack.rds.tasks.values()][0];
  const endedAt = task ? stack.rds.endedAt(task) : undefined;
  const notifications = stack.sns.messages.map((message) => {
    const record = JSON.parse(message.message.slice(message.message.lastIndexOf('\n') + 1)) as { percent?: number };
    return { status: message.attributes.status ?? '', percent: record.percent ?? null, subject: message.subject };
  });
  return {
    status: notifications.at(-1)?.status ?? 'NONE',
    executionStatus: execution.status,
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
    ...(task ? { exportId: task.id } : {}),
    sourceArn,
    notifications,
    stateTransitions: execution.stateTransitions,
    apiCalls: { ...stack.rds.calls, ...stack.sns.calls },
    simulatedSeconds: Math.round(virtualSeconds),
    exportSeconds: scenario.startingSeconds + scenario.exportSeconds,
    detectionLatencySeconds:
      task?.terminalSeenAt !== undefined && endedAt !== undefined ? Math.round((task.terminalSeenAt - endedAt) / 1000) : null,
  };
}
