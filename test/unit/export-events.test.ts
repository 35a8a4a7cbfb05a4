import { describe, expect, it } from 'vitest';
import { awaitExportEnd, exportFinished, parseExportFinished } from '../../shared/slots/export-events.ts';
import { MemoryCoordinationStore } from '../support/stores.ts';

const SOURCE = 'arn:aws:rds:us-east-1:123456789012:snapshot:rds:prod-db-2026-11-23-03-10';
const event = (EventID: string, source = 'aws.rds') => ({ source, 'detail-type': 'RDS DB Snapshot Event', time: '2026-11-23T05:00:00Z', detail: { EventID, SourceArn: SOURCE } });

describe('parseExportFinished', () => {
  it.each([
    ['RDS-EVENT-0159', 'FAILED'],
    ['RDS-EVENT-0160', 'CANCELED'],
    ['RDS-EVENT-0161', 'COMPLETE'],
    ['RDS-EVENT-0162', 'FAILED'],
    ['RDS-EVENT-0163', 'CANCELED'],
    ['RDS-EVENT-0164', 'COMPLETE'],
    ['RDS-EVENT-0234', 'FAILED'],
    ['RDS-EVENT-0235', 'CANCELED'],
    ['RDS-EVENT-0236', 'COMPLETE'],
  ])('reads %s as an export that ended %s', (id, outcome) => {
    expect(parseExportFinished(event(id))).toEqual({ sourceArn: SOURCE, eventId: id, outcome, at: '2026-11-23T05:00:00Z' });
  });

  it.each(['RDS-EVENT-0042', 'RDS-EVENT-0091', 'RDS-EVENT-0001'])('ignores %s, which is not an export ending', (id) => {
    expect(parseExportFinished(event(id))).toBeUndefined();
  });

  it('ignores events from other sources', () => {
    expect(parseExportFinished(event('RDS-EVENT-0161', 'aws.ec2'))).toBeUndefined();
  });
});

function callbacks() {
  const woken: Array<{ token: string; output: unknown }> = [];
  return { woken, succeed: async (token: string, output: unknown) => (woken.push({ token, output }), true), fail: async () => true };
}

const finished = { sourceArn: SOURCE, eventId: 'RDS-EVENT-0161', outcome: 'COMPLETE' as const, at: '2026-11-23T05:00:00Z' };

describe('waiting for an export to end', () => {
  it('wakes the execution waiting on the source', async () => {
    const store = new MemoryCoordinationStore();
    const cb = callbacks();
    await awaitExportEnd({ token: 't1', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: cb });

    const result = await exportFinished(finished, { store, callbacks: cb });

    expect(result).toBe('woke');
    expect(cb.woken.map((w) => w.token)).toEqual(['t1']);
  });

  it('wakes a wait once when the event is delivered twice', async () => {
    const store = new MemoryCoordinationStore();
    const cb = callbacks();
    await awaitExportEnd({ token: 't1', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: cb });

    await exportFinished(finished, { store, callbacks: cb });
    const second = await exportFinished(finished, { store, callbacks: cb });

    expect(second).toBe('noted');
    expect(cb.woken).toHaveLength(1);
  });

  it('ends a wait at once when the event came between two waits', async () => {
    const store = new MemoryCoordinationStore();
    const cb = callbacks();
    await exportFinished(finished, { store, callbacks: cb });

    const wait = await awaitExportEnd({ token: 't2', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: cb });

    expect(wait).toBe('already ended');
    expect(cb.woken.map((w) => w.token)).toEqual(['t2']);
  });

  it('ignores an end noted for an earlier export of the same source', async () => {
    const store = new MemoryCoordinationStore();
    const cb = callbacks();
    await exportFinished(finished, { store, callbacks: cb });

    const wait = await awaitExportEnd({ token: 't3', sourceArn: SOURCE, exportStartedAt: '2026-11-23T06:00:00Z' }, { store, callbacks: cb });

    expect(wait).toBe('waiting');
    expect(cb.woken).toEqual([]);
  });
});

describe('a wake-up that Step Functions refuses for now (issue 9: the queue and the waits never lose an entry)', () => {
  /** SendTaskSuccess answered with `failures` errors first (ThrottlingException, as TransientAwsError), then accepted. */
  function refusing(failures: number) {
    const woken: string[] = [];
    let refused = 0;
    return {
      woken,
      succeed: async (token: string) => {
        if (refused < failures) {
          refused++;
          throw Object.assign(new Error('SendTaskSuccess failed: ThrottlingException: Rate exceeded'), { name: 'TransientAwsError' });
        }
        woken.push(token);
        return true;
      },
      fail: async () => true,
    };
  }

  it('puts the wait back when the callback is throttled, so the retried event wakes the execution', async () => {
    const store = new MemoryCoordinationStore();
    const cb = refusing(1);
    await awaitExportEnd({ token: 't1', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: cb });

    await expect(exportFinished(finished, { store, callbacks: cb })).rejects.toThrow(/ThrottlingException/);
    const kept = store.waits.get(SOURCE);
    const retried = await exportFinished(finished, { store, callbacks: cb });

    expect(kept).toEqual({ token: 't1' });
    expect(retried).toBe('woke');
    expect(cb.woken).toEqual(['t1']);
  });

  it('does not put back the wait of a task that is gone (timed out: the execution polled), and notes the end instead', async () => {
    const store = new MemoryCoordinationStore();
    await awaitExportEnd({ token: 't1', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: callbacks() });

    const result = await exportFinished(finished, { store, callbacks: { succeed: async () => false, fail: async () => false } });

    expect(result).toBe('noted');
    expect(await store.takeWait(SOURCE)).toEqual({ endedAt: finished.at, eventId: finished.eventId });
  });

  it('keeps a newer wait that took the place of the one whose callback failed', async () => {
    const store = new MemoryCoordinationStore();
    await awaitExportEnd({ token: 't1', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' }, { store, callbacks: callbacks() });
    // While the callback for t1 is refused, t1's wait times out and the execution parks a new token.
    const racing = {
      succeed: async () => {
        await store.swapWait(SOURCE, { token: 't2' });
        throw Object.assign(new Error('SendTaskSuccess failed: ServiceUnavailable'), { name: 'TransientAwsError' });
      },
      fail: async () => true,
    };

    await expect(exportFinished(finished, { store, callbacks: racing })).rejects.toThrow(/ServiceUnavailable/);

    expect(await store.takeWait(SOURCE)).toEqual({ token: 't2' });
  });

  it('puts a noted end back when the wait that found it cannot answer its own token, so the retried wait ends at once', async () => {
    const store = new MemoryCoordinationStore();
    await exportFinished(finished, { store, callbacks: callbacks() });
    const cb = refusing(1);
    const input = { token: 't2', sourceArn: SOURCE, exportStartedAt: '2026-11-23T03:00:00Z' };

    await expect(awaitExportEnd(input, { store, callbacks: cb })).rejects.toThrow(/ThrottlingException/);
    const retried = await awaitExportEnd(input, { store, callbacks: cb });

    expect(retried).toBe('already ended');
    expect(cb.woken).toEqual(['t2']);
    expect(await store.takeWait(SOURCE)).toBeUndefined();
  });
});
