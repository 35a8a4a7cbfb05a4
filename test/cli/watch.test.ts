import type { ExportTask, RDSClient } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { watchCommand, type WatchSource } from '../../cli/commands/watch.ts';
import type { ListedExport } from '../../shared/export-kinds/contract.ts';
import { run, type Clients } from '../../cli/run.ts';
import { TransientAwsError } from '../../shared/runtime/errors.ts';
import { pagingRds, sink, task } from '../support/cli.ts';

const T0 = Date.parse('2026-11-23T03:00:00Z');

/** A fake clock: sleep(ms) moves it on and runs `onTick` (the exports progress), with no real waiting. */
function fakeTime(onTick: (seconds: number) => void) {
  let now = T0;
  const sleeps: number[] = [];
  return {
    now: () => new Date(now),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
      onTick((now - T0) / 1000);
    },
    sleeps,
  };
}

/** Exports that go 0 → 100 % at `rate` % per second of the fake clock; one fails at 30 %. */
function progressingSource(exports: Array<{ id: string; rate: number; failAt?: number }>, clockSeconds: () => number): WatchSource & { describes: string[] } {
  const describes: string[] = [];
  const read = ({ id, rate, failAt }: { id: string; rate: number; failAt?: number }): ListedExport => {
    const percent = Math.min(100, Math.floor(clockSeconds() * rate));
    if (failAt !== undefined && percent >= failAt) return { exportId: id, source: `arn:aws:rds:us-east-1:123456789012:snapshot:${id}`, status: 'FAILED', percent: failAt, failureCause: 'S3 access denied' };
    return { exportId: id, source: `arn:aws:rds:us-east-1:123456789012:snapshot:${id}`, status: percent >= 100 ? 'COMPLETE' : 'IN_PROGRESS', percent, startedAt: new Date(T0).toISOString() };
  };
  return {
    describes,
    running: async () => exports.map(read).filter((e) => e.status === 'IN_PROGRESS'),
    describe: async (id) => {
      describes.push(id);
      const found = exports.find((e) => e.id === id);
      if (!found) throw new Error(`no ${id}`);
      return read(found);
    },
  };
}

describe('watch', () => {
  it('into a pipe: one line per refresh every --interval, until every watched export ended; exit 0 when all completed', async () => {
    let seconds = 0;
    const time = fakeTime((s) => (seconds = s));
    const source = progressingSource([{ id: 'fast', rate: 2 }, { id: 'slow', rate: 1 }], () => seconds);
    const stdout = sink(false);

    const code = await watchCommand({ command: 'watch', kind: 'rds', ids: ['fast', 'slow'], intervalSeconds: 30 }, { source, stdout, now: time.now, sleep: time.sleep });

    expect(code).toBe(0);
    expect(time.sleeps).toEqual([30_000, 30_000, 30_000, 30_000]);
    expect(stdout.lines()).toEqual([
      '2026-11-23T03:00:00.000Z  fast IN_PROGRESS 0% [░░░░░░░░░░] | slow IN_PROGRESS 0% [░░░░░░░░░░]',
      '2026-11-23T03:00:30.000Z  fast IN_PROGRESS 60% [██████░░░░] | slow IN_PROGRESS 30% [███░░░░░░░]',
      '2026-11-23T03:01:00.000Z  fast COMPLETE 100% [██████████] | slow IN_PROGRESS 60% [██████░░░░]',
      '2026-11-23T03:01:30.000Z  fast COMPLETE 100% [██████████] | slow IN_PROGRESS 90% [█████████░]',
      '2026-11-23T03:02:00.000Z  fast COMPLETE 100% [██████████] | slow COMPLETE 100% [██████████]',
      'All 2 exports ended: 2 COMPLETE',
    ]);
    expect(stdout.text).not.toContain('\x1b');
    // An export that ended is not described again.
    expect(source.describes.filter((id) => id === 'fast')).toHaveLength(3);
  });

  it('on a terminal: redraws the frame in place (cursor up, clear), lines cut to its width; exit 1 when one failed', async () => {
    let seconds = 0;
    const time = fakeTime((s) => (seconds = s));
    const source = progressingSource([{ id: 'ok', rate: 1 }, { id: 'bad', rate: 1, failAt: 30 }], () => seconds);
    const stdout = sink(true, 60);

    const code = await watchCommand({ command: 'watch', kind: 'rds', ids: ['ok', 'bad'], intervalSeconds: 50 }, { source, stdout, now: time.now, sleep: time.sleep });

    expect(code).toBe(1);
    const frames = stdout.text.split('\x1b[3A\r\x1b[J');
    expect(frames).toHaveLength(3); // 0 s, 50 s, 100 s: two redraws
    expect(frames[1]).toContain('FAILED');
    expect(frames[2]!.split('\n')[1]).toMatch(/^ok {3}\[█{24}\] {2}100% {2}COMPLETE/);
    expect(frames[0]!.split('\n')[0]).toBe('2026-11-23 03:00:00Z  2 exports, 2 running  (every 50s, Ct…');
    // The frames (not the summary, printed once below them) never wrap, so the redraw counts lines right.
    expect(stdout.lines().slice(0, -1).every((line) => [...line.replace(/\x1b\[\d*[A-Z]|\r/g, '')].length <= 59)).toBe(true);
    expect(stdout.lines().at(-1)).toBe('All 2 exports ended: 1 COMPLETE, 1 FAILED (bad: S3 access denied)');
  });

  it('tolerates a refresh failing for throttling, saying so on the next line', async () => {
    let seconds = 0;
    const time = fakeTime((s) => (seconds = s));
    const source = progressingSource([{ id: 'a', rate: 1 }], () => seconds);
    let failOnce = true;
    const flaky: WatchSource = {
      running: source.running,
      describe: async (id) => {
        if (seconds === 60 && failOnce) {
          failOnce = false;
          throw new TransientAwsError('DescribeExportTasks failed: Throttling: Rate exceeded');
        }
        return source.describe(id);
      },
    };
    const stdout = sink();

    const code = await watchCommand({ command: 'watch', kind: 'rds', ids: ['a'], intervalSeconds: 60 }, { source: flaky, stdout, now: time.now, sleep: time.sleep });

    expect(code).toBe(0);
    expect(stdout.lines()[1]).toBe('2026-11-23T03:01:00.000Z  a IN_PROGRESS 0% [░░░░░░░░░░]  (refresh failed: DescribeExportTasks failed: Throttling: Rate exceeded; trying again)');
    expect(stdout.lines()).toHaveLength(4);
  });
});

describe('watch through the CLI, on RDS (aws-sdk-client-mock)', () => {
  function rdsWith(tasks: ExportTask[]): { client: RDSClient; clients: () => Clients } {
    const { client } = pagingRds(tasks);
    const unused = () => {
      throw new Error('unused');
    };
    return { client, clients: () => ({ rds: () => client, sfn: unused, dynamo: unused, ec2: unused, destroy: () => {} }) as Clients };
  }

  it('without ids: every running export, those that start meanwhile too, until all ended', async () => {
    const tasks = [task(1, { Status: 'IN_PROGRESS', PercentProgress: 10 }), task(2, { Status: 'STARTING', PercentProgress: 0 }), task(3, { Status: 'COMPLETE' })];
    const { clients } = rdsWith(tasks);
    const steps: Array<() => void> = [
      () => Object.assign(tasks[0]!, { PercentProgress: 80 }) && Object.assign(tasks[1]!, { Status: 'IN_PROGRESS', PercentProgress: 5 }),
      () => Object.assign(tasks[0]!, { Status: 'COMPLETE', PercentProgress: 100 }) && tasks.push(task(4, { Status: 'STARTING', PercentProgress: 0 })),
      () => Object.assign(tasks[1]!, { Status: 'CANCELED', PercentProgress: 40 }) && Object.assign(tasks[3]!, { Status: 'COMPLETE', PercentProgress: 100 }),
    ];
    const sleeps: number[] = [];
    const stdout = sink();
    const stderr = sink();

    const code = await run(['watch'], {
      stdout,
      stderr,
      env: {},
      now: () => new Date(T0 + sleeps.length * 10_000),
      sleep: async (ms) => {
        sleeps.push(ms);
        steps[sleeps.length - 1]?.();
      },
      clients,
    });

    expect(stderr.text).toBe('');
    expect(code).toBe(1);
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(stdout.lines()).toEqual([
      '2026-11-23T03:00:00.000Z  export-001 IN_PROGRESS 10% [█░░░░░░░░░] | export-002 STARTING 0% [░░░░░░░░░░]',
      '2026-11-23T03:00:10.000Z  export-001 IN_PROGRESS 80% [████████░░] | export-002 IN_PROGRESS 5% [█░░░░░░░░░]',
      '2026-11-23T03:00:20.000Z  export-001 COMPLETE 100% [██████████] | export-002 IN_PROGRESS 5% [█░░░░░░░░░] | export-004 STARTING 0% [░░░░░░░░░░]',
      '2026-11-23T03:00:30.000Z  export-001 COMPLETE 100% [██████████] | export-002 CANCELED 40% [████░░░░░░] | export-004 COMPLETE 100% [██████████]',
      'All 3 exports ended: 2 COMPLETE, 1 CANCELED',
    ]);
  });

  it('nothing running: says so and ends', async () => {
    const { clients } = rdsWith([task(1, { Status: 'COMPLETE' })]);
    const stdout = sink();

    const code = await run(['watch'], { stdout, stderr: sink(), env: {}, now: () => new Date(T0), sleep: async () => {}, clients });

    expect(code).toBe(0);
    expect(stdout.text).toBe('No running export tasks.\n');
  });

  it('an unknown id: one line on stderr, exit 1, nothing drawn', async () => {
    const { clients } = rdsWith([task(1, { Status: 'IN_PROGRESS' })]);
    const stdout = sink();
    const stderr = sink();

    const code = await run(['watch', 'export-001', 'no-such-export'], { stdout, stderr, env: {}, now: () => new Date(T0), sleep: async () => {}, clients });

    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.text).toBe('export-orchestrator: Export task no-such-export does not exist (in this account and region)\n');
  });
});
