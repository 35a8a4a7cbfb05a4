/** What the handler tests share: a Lambda context, a fixed clock, a request, and the state machine's Retry lists. */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { exportDefaultsShape, readConfig, type ExportDefaults } from '../../shared/runtime/config.ts';
import { buildExportRequest, type ExportRequest } from '../../shared/export-kinds/request.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';
import { vi } from 'vitest';
import type { CoordinationStore, QueueEntry } from '../../shared/slots/coordination-store.ts';
import type { NotificationPublisher } from '../../shared/notify/sns-publisher.ts';
import type { Notification } from '../../shared/notify/record.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
/** Fake credentials, so no SDK client looks for real ones. */
export const CLIENT_CONFIG = { region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
export const SNAPSHOT_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:rds:orders-db-2026-03-04-05-06`;
export const REQUESTED_AT = new Date('2026-03-04T05:06:07.000Z');
export const NOW = new Date('2026-03-04T05:36:07.000Z');
export const clock = () => NOW;

export const defaults: ExportDefaults = readConfig(exportDefaultsShape, {
  EXPORT_BUCKET: 'export-bucket',
  EXPORT_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  EXPORT_KMS_KEY_ID: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
});

export const BOUNDS = { minSeconds: defaults.MIN_POLL_SECONDS, maxSeconds: defaults.MAX_POLL_SECONDS };

export function exportRequest(input: Record<string, unknown> = {}): ExportRequest {
  return buildExportRequest({ sourceArn: SNAPSHOT_ARN, ...input }, defaults, REQUESTED_AT);
}

export function exportState(overrides: Partial<ExportState> = {}): ExportState {
  return {
    request: exportRequest({ exportOnly: ['orders'] }),
    status: 'IN_PROGRESS',
    percent: 25,
    notifiedStatus: 'IN_PROGRESS',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 600,
    exportStartedAt: REQUESTED_AT.toISOString(),
    adopted: false,
    polls: 3,
    bounds: BOUNDS,
    wakeByEvent: false,
    cancelBackoff: false,
    ...overrides,
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/03/04/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

interface AslState {
  Retry?: Array<{ ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
}
const asl = JSON.parse(readFileSync(new URL('../../statemachines/export.asl.json', import.meta.url), 'utf8')) as { States: Record<string, AslState> };

/** The error names the state machine retries for the given Task state. */
export function retriedErrors(stateName: string): string[] {
  const state = asl.States[stateName];
  if (!state) throw new Error(`no state ${stateName} in export.asl.json`);
  return (state.Retry ?? []).flatMap((retry) => retry.ErrorEquals);
}

/** The state a Task state's Catch sends the given error to. */
export function caughtBy(stateName: string, errorName: string): string | undefined {
  return asl.States[stateName]?.Catch?.find((c) => c.ErrorEquals.includes(errorName) || c.ErrorEquals.includes('States.ALL'))?.Next;
}

/** A coordination store of mocks: the given queue waiting (oldest first), one dispatcher, nothing lent, nothing to cancel. */
export function mockCoordinationStore(queue: QueueEntry[], overrides: Partial<CoordinationStore> = {}): CoordinationStore {
  const waiting = [...queue].sort((a, b) => positionOf(a).localeCompare(positionOf(b)));
  return {
    enqueue: vi.fn(async () => {}),
    oldestRequestedAt: vi.fn(async () => waiting[0]?.requestedAt),
    oldest: vi.fn(async (limit: number, after?: string) => {
      const from = after === undefined ? 0 : waiting.findIndex((entry) => positionOf(entry) > after);
      const entries = from < 0 ? [] : waiting.slice(from, from + limit);
      return entries.length === limit ? { entries, next: positionOf(entries.at(-1)!) } : { entries };
    }),
    depth: vi.fn(async () => waiting.length),
    remove: vi.fn(async (entry: QueueEntry) => {
      const index = waiting.indexOf(entry);
      if (index >= 0) waiting.splice(index, 1);
    }),
    putLease: vi.fn(async () => {}),
    leases: vi.fn(async () => []),
    dropLease: vi.fn(async () => {}),
    swapWait: vi.fn(async () => undefined),
    takeWait: vi.fn(async () => undefined),
    tryLock: vi.fn(async () => true),
    unlock: vi.fn(async () => {}),
    markDirty: vi.fn(async () => {}),
    takeDirty: vi.fn(async () => false),
    requestCancel: vi.fn(async () => {}),
    takeCancelRequest: vi.fn(async () => false),
    ...overrides,
  };
}

/** A publisher that keeps what it was given (or fails with `failWith`), for the steps that notify themselves. */
export function recordingPublisher(failWith?: () => Error): NotificationPublisher & { published: Notification[] } {
  const published: Notification[] = [];
  return {
    published,
    async publish(notification) {
      if (failWith) throw failWith();
      published.push(notification);
    },
  };
}

const positionOf = (entry: QueueEntry) => `${entry.requestedAt}#${entry.execution}`;
