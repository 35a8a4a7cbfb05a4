import { describe, expect, it } from 'vitest';
import { parseScheduledSources } from '../../shared/triggers/scheduled-sources.ts';
import { planExports, type PlannerDeps } from '../../shared/triggers/schedules.ts';
import { recordingStarter } from '../support/stores.ts';

const AMI = 'ami-0123456789abcdef0';
const NOW = new Date('2026-11-23T03:00:00Z');

// The EC2 images and ADS agents need no RDS lookups: the catalog and history are never asked.
const noRds = { catalog: {}, exports: {} } as unknown as Omit<PlannerDeps, 'starter'>;

describe('scheduled EC2 images and ADS agent sets', () => {
  it('reads image entries (VMDK by default) and one source per agent of an ADS agent set', () => {
    const parsed = parseScheduledSources(JSON.stringify([{ imageId: AMI }, { adsAgentIds: ['o-1', 'o-2'], lookbackHours: 12 }]));

    expect(parsed).toEqual({
      ok: true,
      sources: [
        { resource: 'image', identifier: AMI, mode: 'VMDK' },
        { resource: 'ads-agent', identifier: 'o-1', mode: 'lookback', lookbackHours: 12 },
        { resource: 'ads-agent', identifier: 'o-2', mode: 'lookback', lookbackHours: 12 },
      ],
    });
  });

  it('names each bad entry', () => {
    const parsed = parseScheduledSources(JSON.stringify([{ imageId: 'ami-xyz' }, { adsAgentIds: [] }, { imageId: AMI, diskImageFormat: 'ISO' }]));

    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems[0]).toMatch(/^\[0\].*imageId must be an AMI id/);
    expect(problems[1]).toMatch(/^\[1\].*adsAgentIds must name at least one agent/);
    expect(problems[2]).toMatch(/^\[2\].*diskImageFormat must be "VMDK", "RAW" or "VHD"/);
  });

  it('names every bad agent id by its index and a lookback that is not a positive number of hours', () => {
    // Act
    const parsed = parseScheduledSources(JSON.stringify([{ adsAgentIds: ['o-1', 7, ''] }, { adsAgentIds: ['o-2', ''], lookbackHours: '12' }, { adsAgentIds: ['o-3'], lookbackHours: 0, since: 'x' }]));

    // Assess
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems[0]).toMatch(/^\[0\].*adsAgentIds\[1\] must be a string; adsAgentIds\[2\] must not be empty$/);
    expect(problems[1]).toMatch(/^\[1\].*adsAgentIds\[1\] must not be empty; lookbackHours must be a number of hours$/);
    expect(problems[2]).toMatch(/^\[2\].*lookbackHours must be positive; unknown field\(s\) "since": allowed are adsAgentIds, lookbackHours$/);
  });

  it('starts one execution per image and agent with the kind input, once per scheduled minute', async () => {
    const starter = recordingStarter();
    const parsed = parseScheduledSources(JSON.stringify([{ imageId: AMI, diskImageFormat: 'RAW' }, { adsAgentIds: ['o-1'] }]));
    const sources = parsed.ok ? parsed.sources : [];

    const first = await planExports(sources, { ...noRds, starter }, NOW);
    const retried = await planExports(sources, { ...noRds, starter }, NOW);

    expect(first.map((p) => p.outcome)).toEqual(['started', 'started']);
    expect(retried.map((p) => p.outcome)).toEqual(['execution-exists', 'execution-exists']);
    expect(starter.started).toEqual([
      { name: `ec2-image-${AMI}-raw-20261123t0300`, input: { kind: 'ec2-image', imageId: AMI, diskImageFormat: 'RAW' } },
      { name: 'ads-o-1-lookback-20261123t0300', input: { kind: 'ads', agentIds: ['o-1'], startTime: '2026-11-22T03:00:00.000Z', endTime: '2026-11-23T03:00:00.000Z' } },
    ]);
  });
});
