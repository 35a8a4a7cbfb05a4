import { describe, expect, it, vi } from 'vitest';
import type { CoordinationStore, QueueEntry } from '../../shared/slots/store.ts';
import type { TaskCallbacks } from '../../shared/workflow/step-functions.ts';
import { mockCoordinationStore } from '../support/stores.ts';
import type { ExportObservation, ExportProvider } from '../../shared/export-kinds/contract.ts';
import { startingNow, type DispatchDeps } from '../../shared/slots/dispatch.ts';
import type { ExportRequest } from '../../shared/export-kinds/request.ts';
import { startExport } from '../../shared/workflow/start-export.ts';
import type { ExportStatus } from '../../shared/export-kinds/status.ts';
import { cancelExport } from '../../shared/workflow/cancel-export.ts';
import { markNotified, observe, type ExportState } from '../../shared/workflow/export-state.ts';
import { pollExport } from '../../shared/workflow/poll-export.ts';

const ACCOUNT = '123456789012';
const SOURCE_ARN = `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:orders-db-final`;
const EXPORT_ID = 'orders-db-final-0123456789';
const REQUESTED_AT = '2026-03-04T05:00:00.000Z';
const DEADLINE = '2026-03-04T11:00:00.000Z';
const BEFORE_DEADLINE = new Date('2026-03-04T06:00:00.000Z');
const AFTER_DEADLINE = new Date('2026-03-04T11:05:00.000Z');
const BOUNDS = { minSeconds: 60, maxSeconds: 3600 };

const request: ExportRequest = {
  source: { arn: SOURCE_ARN, type: 'SNAPSHOT', region: 'us-east-1', account: ACCOUNT, name: 'orders-db-final' },
  exportId: EXPORT_ID,
  s3Bucket: 'export-bucket',
  s3Prefix: 'orders-db-final/2026-03-04',
  iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/rds-s3-export`,
  kmsKeyId: 'alias/rds-export',
  requestedAt: REQUESTED_AT,
  deadline: DEADLINE,
};

function observation(status: ExportStatus, overrides: Partial<ExportObservation> = {}): ExportObservation {
  return { exportId: EXPORT_ID, sourceArn: SOURCE_ARN, status, percent: 0, ...overrides };
}

function state(overrides: Partial<ExportState> = {}): ExportState {
  return {
    request,
    status: 'IN_PROGRESS',
    percent: 10,
    notifiedStatus: 'IN_PROGRESS',
    overdue: false,
    cancelRequested: false,
    canceledForDeadline: false,
    waitSeconds: 60,
    exportStartedAt: REQUESTED_AT,
    adopted: false,
    polls: 2,
    bounds: BOUNDS,
    wakeByEvent: false,
    cancelBackoff: false,
    ...overrides,
  };
}

/** A fake export service: answers with the readings it is given and records what it was asked. */
function fakeProvider(answers: { start?: ExportObservation & { adopted: boolean }; describe?: ExportObservation; cancel?: ExportObservation }) {
  const calls: Array<[string, unknown]> = [];
  const provider: ExportProvider = {
    async start(req) {
      calls.push(['start', req]);
      if (!answers.start) throw new Error('start not expected');
      return answers.start;
    },
    async describe(exportId) {
      calls.push(['describe', exportId]);
      if (!answers.describe) throw new Error('describe not expected');
      return answers.describe;
    },
    async cancel(exportId) {
      calls.push(['cancel', exportId]);
      if (!answers.cancel) throw new Error('cancel not expected');
      return answers.cancel;
    },
  };
  return { provider, calls };
}

/** A queued execution for another snapshot, waiting for a slot. */
const queued: QueueEntry = {
  exportId: 'other-db-final-abcdef0123',
  sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:other-db-final`,
  token: 'task-token-of-the-next-execution',
  release: {
    request: { ...request, exportId: 'other-db-final-abcdef0123', source: { ...request.source, arn: `arn:aws:rds:us-east-1:${ACCOUNT}:snapshot:other-db-final`, name: 'other-db-final' } },
    bounds: BOUNDS,
  },
  requestedAt: '2026-03-04T05:30:00.000Z',
  execution: 'other-db-execution',
};

/** Export slots with one execution queued (or none), one dispatcher, and nothing else running. */
function slotsWithQueue(queue: QueueEntry[], overrides: Partial<CoordinationStore> = {}): { slots: DispatchDeps; store: CoordinationStore; callbacks: TaskCallbacks } {
  const store = mockCoordinationStore(queue, overrides);
  const callbacks: TaskCallbacks = { succeed: vi.fn(async () => true), fail: vi.fn(async () => true) };
  const slots: DispatchDeps = { store, exports: { active: vi.fn(async () => []) }, callbacks, quota: () => 5, leaseSeconds: 600, slotWaitLimitSeconds: 30 * 86400 };
  return { slots, store, callbacks };
}

describe('startExport', () => {
  it('starts the export and begins the state from the start time', async () => {
    // Prepare
    const now = new Date('2026-03-04T05:00:30.000Z');
    const { provider, calls } = fakeProvider({ start: { ...observation('STARTING'), adopted: false } });

    // Act
    const started = await startExport({ request, bounds: BOUNDS }, provider, now);

    // Assess
    expect(calls).toEqual([['start', request]]);
    expect(started).toMatchObject({
      request,
      status: 'STARTING',
      percent: 0,
      notifiedStatus: 'NONE',
      overdue: false,
      cancelRequested: false,
      canceledForDeadline: false,
      adopted: false,
      polls: 0,
      exportStartedAt: '2026-03-04T05:00:30.000Z',
      bounds: BOUNDS,
      waitSeconds: 60,
    });
  });

  it('keeps adopted: true and the task start time for a task that was already running', async () => {
    const now = new Date('2026-03-04T06:00:00.000Z');
    const { provider } = fakeProvider({
      start: { ...observation('IN_PROGRESS', { percent: 40, taskStartTime: '2026-03-04T05:10:00.000Z' }), adopted: true },
    });

    const adopted = await startExport({ request, bounds: BOUNDS }, provider, now);

    expect(adopted).toMatchObject({ adopted: true, status: 'IN_PROGRESS', percent: 40, exportStartedAt: '2026-03-04T05:10:00.000Z', taskStartTime: '2026-03-04T05:10:00.000Z' });
  });

  it('starts the clock now for an adopted task that gives no start time', async () => {
    const now = new Date('2026-03-04T06:00:00.000Z');
    const { provider } = fakeProvider({ start: { ...observation('STARTING'), adopted: true } });

    expect(await startExport({ request, bounds: BOUNDS }, provider, now)).toMatchObject({ adopted: true, exportStartedAt: now.toISOString() });
  });
});

describe('pollExport', () => {
  it('reads the task, counts the poll and takes over what RDS reports', async () => {
    const { provider, calls } = fakeProvider({
      describe: observation('IN_PROGRESS', { percent: 55, taskStartTime: '2026-03-04T05:01:00.000Z', warning: 'slow', extractedDataGb: 3 }),
    });
    const { slots } = slotsWithQueue([]);

    const next = await pollExport(state(), provider, slots, BEFORE_DEADLINE);

    expect(calls).toEqual([['describe', EXPORT_ID]]);
    expect(next).toMatchObject({ status: 'IN_PROGRESS', percent: 55, polls: 3, taskStartTime: '2026-03-04T05:01:00.000Z', warning: 'slow', extractedDataGb: 3, overdue: false });
    expect(next.waitSeconds).toBeGreaterThanOrEqual(60);
  });

  it('hands the freed export slot to the next queued execution when the export ended', async () => {
    const { provider } = fakeProvider({ describe: observation('COMPLETE') });
    const { slots, callbacks } = slotsWithQueue([queued]);

    const next = await pollExport(state(), provider, slots, BEFORE_DEADLINE);

    expect(next).toMatchObject({ status: 'COMPLETE', percent: 100 });
    expect(callbacks.succeed).toHaveBeenCalledExactlyOnceWith(queued.token, startingNow(queued.release, BEFORE_DEADLINE));
  });

  it('leaves the queue alone while the export runs', async () => {
    const { provider } = fakeProvider({ describe: observation('IN_PROGRESS', { percent: 20 }) });
    const { slots, store, callbacks } = slotsWithQueue([queued]);

    await pollExport(state(), provider, slots, BEFORE_DEADLINE);

    expect(callbacks.succeed).not.toHaveBeenCalled();
    expect(store.oldestRequestedAt).not.toHaveBeenCalled();
  });

  it('still reports the end when handing on the slot fails', async () => {
    const { provider } = fakeProvider({ describe: observation('FAILED', { failureCause: 'bucket gone' }) });
    const { slots } = slotsWithQueue([queued], { oldestRequestedAt: vi.fn(async () => Promise.reject(new Error('DynamoDB down'))) });

    await expect(pollExport(state(), provider, slots, BEFORE_DEADLINE)).resolves.toMatchObject({ status: 'FAILED', failureCause: 'bucket gone' });
  });

  it('reads CANCELED after our cancel for the deadline as TIMED_OUT', async () => {
    const { provider } = fakeProvider({ describe: observation('CANCELED') });
    const { slots } = slotsWithQueue([]);

    const next = await pollExport(state({ status: 'CANCELING', canceledForDeadline: true }), provider, slots, AFTER_DEADLINE);

    expect(next.status).toBe('TIMED_OUT');
    expect(next.overdue).toBe(false);
  });

  it('reads CANCELED as CANCELED when someone else canceled the task', async () => {
    const { provider } = fakeProvider({ describe: observation('CANCELED') });
    const { slots } = slotsWithQueue([]);

    expect((await pollExport(state(), provider, slots, BEFORE_DEADLINE)).status).toBe('CANCELED');
    expect((await pollExport(state(), provider, slots, AFTER_DEADLINE)).status).toBe('CANCELED');
  });
});

describe('cancelExport', () => {
  it('asks for the cancel and remembers that it was for the deadline', async () => {
    const { provider, calls } = fakeProvider({ cancel: observation('CANCELING', { percent: 70 }) });

    const next = await cancelExport(state({ overdue: true }), provider, AFTER_DEADLINE);

    expect(calls).toEqual([['cancel', EXPORT_ID]]);
    expect(next).toMatchObject({ status: 'CANCELING', canceledForDeadline: true, overdue: true });
  });

  it('ends TIMED_OUT when the cancel answers CANCELED at once', async () => {
    const { provider } = fakeProvider({ cancel: observation('CANCELED') });

    expect((await cancelExport(state({ overdue: true }), provider, AFTER_DEADLINE)).status).toBe('TIMED_OUT');
  });

  it('keeps COMPLETE and FAILED when the task ended before the cancel reached it', async () => {
    const completed = fakeProvider({ cancel: observation('COMPLETE') });
    const failed = fakeProvider({ cancel: observation('FAILED', { failureCause: 'boom' }) });

    expect(await cancelExport(state({ overdue: true }), completed.provider, AFTER_DEADLINE)).toMatchObject({ status: 'COMPLETE', percent: 100, overdue: false });
    expect(await cancelExport(state({ overdue: true }), failed.provider, AFTER_DEADLINE)).toMatchObject({ status: 'FAILED', failureCause: 'boom', overdue: false });
  });
});

describe('observe', () => {
  it('flags the export overdue once the deadline passed while it still runs', () => {
    expect(observe(state(), observation('IN_PROGRESS', { percent: 50 }), AFTER_DEADLINE).overdue).toBe(true);
    expect(observe(state(), observation('STARTING'), AFTER_DEADLINE).overdue).toBe(true);
    expect(observe(state({ canceledForDeadline: true }), observation('CANCELING'), AFTER_DEADLINE).overdue).toBe(true);
    expect(observe(state(), observation('IN_PROGRESS', { percent: 50 }), new Date(DEADLINE)).overdue).toBe(true);
  });

  it('does not flag the export overdue before the deadline', () => {
    expect(observe(state(), observation('IN_PROGRESS', { percent: 50 }), BEFORE_DEADLINE).overdue).toBe(false);
    expect(observe(state(), observation('IN_PROGRESS', { percent: 50 }), new Date(Date.parse(DEADLINE) - 1000)).overdue).toBe(false);
  });

  it.each(['COMPLETE', 'FAILED', 'CANCELED'] as const)('does not flag an export that ended %s overdue', (status) => {
    expect(observe(state(), observation(status), AFTER_DEADLINE).overdue).toBe(false);
  });

  it('counts an export that ended COMPLETE as 100 % even when RDS gives no progress', () => {
    expect(observe(state({ percent: 40 }), observation('COMPLETE', { percent: 0 }), BEFORE_DEADLINE).percent).toBe(100);
  });

  it('does not wait past the deadline', () => {
    const tenSecondsBefore = new Date(Date.parse(DEADLINE) - 10_000);
    expect(observe(state(), observation('IN_PROGRESS', { percent: 1 }), tenSecondsBefore).waitSeconds).toBe(10);
  });

  it('does not change the state it was given', () => {
    const before = state();
    const copy = structuredClone(before);
    observe(before, observation('COMPLETE'), AFTER_DEADLINE);
    expect(before).toEqual(copy);
  });
});

describe('markNotified', () => {
  it('records the current status as notified and changes nothing else', () => {
    const before = state({ status: 'COMPLETE', percent: 100, notifiedStatus: 'IN_PROGRESS' });
    const copy = structuredClone(before);

    const after = markNotified(before);

    expect(after).toEqual({ ...copy, notifiedStatus: 'COMPLETE' });
    expect(before).toEqual(copy);
  });
});
