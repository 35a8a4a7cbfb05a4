// The real definition with the EC2 image and ADS simulators: each kind starts, is followed and ends as its service allows.
import { describe, expect, it } from 'vitest';
import { LocalDeployment } from '../../local/deployment.ts';
import { seededRandom } from '../../local/random.ts';
import { onVirtualClock } from '../../local/virtual-clock.ts';
import { parseScenario, runScenario } from '../../local/scenario.ts';
import { requestCancel } from '../../shared/workflow/operator-cancel.ts';

const AMI = 'ami-0123456789abcdef0';
const AGENT = 'o-0123456789abcdef0';

function stack(overrides: Partial<ConstructorParameters<typeof LocalDeployment>[0]> = {}) {
  return new LocalDeployment({
    sources: () => false,
    behaviourFor: () => ({ startingSeconds: 60, exportSeconds: 600, progress: 'steady', cancelSeconds: 60, dataGb: 1 }),
    random: seededRandom(1),
    throttleRate: 0,
    images: (id) => id === AMI,
    ...overrides,
  });
}

async function run(input: unknown, overrides: Partial<ConstructorParameters<typeof LocalDeployment>[0]> = {}) {
  const { result, virtualSeconds } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
    const local = stack(overrides);
    const execution = await local.execute(input);
    return { execution, local };
  });
  const notes = result.local.sns.messages.map((m) => m.attributes.status);
  return { ...result, notes, virtualSeconds };
}

describe('export kinds on the real state machine', () => {
  it('ec2-image: starts at once (no RDS slot), follows the export-ami task to COMPLETE, notifies the image file', async () => {
    const { execution, local, notes, virtualSeconds } = await run(
      { kind: 'ec2-image', imageId: AMI, diskImageFormat: 'VMDK' },
      { imageExport: () => ({ validatingSeconds: 120, exportSeconds: 3600, deletingSeconds: 60, finalTransferPercent: 95 }) },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(notes).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    const task = [...local.ec2.tasks.values()][0]!;
    expect(local.sns.messages.at(-1)!.message).toContain(`s3://example-exports/${AMI}/2026-11-23/${task.id}.vmdk`);
    expect(local.rds.calls).toEqual({});
    expect(virtualSeconds).toBeLessThan(120 + 3600 + 0.05 * 3720);
  });

  it('ec2-image: the deadline cancels it (CancelExportTask), CANCELING then TIMED_OUT', async () => {
    const { execution, local, notes } = await run({ kind: 'ec2-image', imageId: AMI, diskImageFormat: 'RAW', deadlineSeconds: 1200 });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ExportTimedOut' });
    expect(notes).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING', 'TIMED_OUT']);
  });

  it('ads: follows the export to COMPLETE with the truncation warning', async () => {
    const { execution, local, notes, virtualSeconds } = await run({ kind: 'ads', agentIds: [AGENT], startTime: '2026-11-01T00:00:00Z', endTime: '2026-11-20T00:00:00Z' }, { adsExport: () => ({ exportSeconds: 900, truncated: true }) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(notes).toEqual(['IN_PROGRESS', 'COMPLETE']);
    expect(local.sns.messages.at(-1)!.message).toContain('The export was truncated: narrow the time range (startTime/endTime)');
  });

  it('ads: past the deadline the cancel is impossible: notified, execution ends ExportNotFollowed', async () => {
    const { execution, local, notes } = await run({ kind: 'ads', deadlineSeconds: 300 }, { adsExport: () => ({ exportSeconds: 3600 }) });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'ExportNotFollowed' });
    expect(execution.cause).toContain('stops following it');
    expect(notes.at(-1)).toBe('FAILED');
  });

  it('bad input of a kind is refused with every problem named', async () => {
    const { execution } = await run({ kind: 'ec2-image', imageId: 'ami-x', diskImageFormat: 'ISO', s3Bucket: 'Bad_Bucket' });
    expect(execution).toMatchObject({ status: 'FAILED', error: 'InvalidExportRequest' });
  });
});

describe('an operator cancel of another kind', () => {
  it('ec2-image: cancels by EC2\'s own task id through the workflow at its next poll, notified, ending CANCELED', async () => {
    const { result } = await onVirtualClock(Date.parse('2026-11-23T00:00:00Z'), async () => {
      // A plain Wait state has no token to wake: the cancel request is taken at the next poll.
      const local = stack({ imageExport: () => ({ validatingSeconds: 120, exportSeconds: 4 * 3600, deletingSeconds: 60, finalTransferPercent: 95 }) });
      const execution = local.execute({ kind: 'ec2-image', imageId: AMI, diskImageFormat: 'VMDK' });
      // Act: 20 minutes in, the operator cancels export-ami-… (what `list --kind ec2-image` shows).
      const cancel = new Promise((resolve) =>
        setTimeout(() => {
          const [task] = local.ec2.tasks.values();
          resolve(requestCancel({ exportId: task!.id, sourceArn: `arn:aws:ec2:us-east-1::image/${AMI}` }, 'operator', local.operator));
        }, 1_200_000),
      );
      return { execution: await execution, cancel: await cancel, local };
    });
    const notes = result.local.sns.messages.map((m) => m.attributes.status);

    expect(result.cancel).toBe('at next poll');
    expect(result.execution.error).toBe('ExportCanceled');
    expect(notes).toEqual(['STARTING', 'IN_PROGRESS', 'CANCELING', 'CANCELED']);
  });
});

describe('scenario kinds (npm start -- --scenario)', () => {
  it.each([
    ['EC2_IMAGE', 'EC2.ExportImage'],
    ['ADS', 'Discovery.StartExportTask'],
  ] as const)('runs a %s export through its own service vocabulary', async (sourceType, startCall) => {
    const result = await runScenario(parseScenario({ sourceType, exportSeconds: 900 }));

    expect(result.status).toBe('COMPLETE');
    expect(result.apiCalls[startCall]).toBe(1);
    expect(result.apiCalls.StartExportTask ?? 0).toBe(0);
  });

  it.each(['EC2_IMAGE', 'ADS'] as const)('fails a %s export that its service reports failed, notified with the cause', async (sourceType) => {
    const result = await runScenario(parseScenario({ sourceType, exportSeconds: 1800, failAtPercent: 40 }));

    expect(result.executionStatus).toBe('FAILED');
    expect(result.error).toBe('ExportFailed');
    expect(result.notifications.at(-1)!.status).toBe('FAILED');
  });
});
