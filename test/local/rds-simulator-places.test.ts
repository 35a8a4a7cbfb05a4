import { DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { queryHandler } from '../../local/aws-query.ts';
import { LOCAL_AUTH_SCHEMES, LocalIdentities, localCredentials } from '../../local/identity.ts';
import { seededRandom } from '../../local/random.ts';
import { RdsExportSimulator, type ExportBehaviour } from '../../local/rds-simulator.ts';
import type { Place } from '../../shared/accounts/place.ts';

// The RDS simulator per account and Region, as RDS is: each place's own export quota, its own
// running tasks in a listing, its own throttling, its own call count.

const BEHAVIOUR: ExportBehaviour = { startingSeconds: 60, exportSeconds: 600, progress: 'steady', cancelSeconds: 30, dataGb: 1 };
const A: Place = { account: '111111111111', region: 'eu-west-1' };
const B: Place = { account: '222222222222', region: 'eu-west-1' };
const A_EAST: Place = { account: '111111111111', region: 'us-east-1' };

function simulator(options: { quota?: (place: Place) => number; placeThrottleRate?: (place: Place) => number } = {}) {
  const now = Date.parse('2026-12-01T00:00:00Z');
  const rds = new RdsExportSimulator({ sources: () => true, behaviourFor: () => BEHAVIOUR, random: seededRandom(1), throttleRate: 0, now: () => now, identities: new LocalIdentities(() => now), ...options });
  const clientIn = (place: Place) =>
    new RDSClient({ region: place.region, credentials: localCredentials(place.account), httpAuthSchemes: LOCAL_AUTH_SCHEMES, maxAttempts: 1, requestHandler: queryHandler(rds, 'http://rds.amazonaws.com/doc/2014-10-31/') });
  const start = (place: Place, n: number) =>
    clientIn(place).send(new StartExportTaskCommand({ ExportTaskIdentifier: `export-${place.account}-${place.region}-${n}`, SourceArn: `arn:aws:rds:${place.region}:${place.account}:snapshot:db-${n}`, S3BucketName: 'b', IamRoleArn: 'arn:aws:iam::111111111111:role/r', KmsKeyId: 'k' }));
  const running = async (place: Place) =>
    ((await clientIn(place).send(new DescribeExportTasksCommand({ Filters: [{ Name: 'status', Values: ['starting', 'in_progress', 'canceling'] }] }))).ExportTasks ?? []).map((task) => task.ExportTaskIdentifier);
  return { rds, start, running };
}

describe('the RDS simulator per account and Region', () => {
  it('keeps a quota per place: a full place refuses the next export, the same account\'s other Region and another account do not', async () => {
    // Prepare: quota 2 everywhere.
    const { start } = simulator({ quota: () => 2 });
    await start(A, 1);
    await start(A, 2);

    // Act / Assess
    await expect(start(A, 3)).rejects.toMatchObject({ name: 'ExportTaskLimitReachedFault', message: 'You have reached the limit of 2 concurrent export tasks.' });
    await expect(start(A_EAST, 3)).resolves.toBeDefined();
    await expect(start(B, 3)).resolves.toBeDefined();
  });

  it('lists a caller the running tasks of its own place only', async () => {
    const { start, running } = simulator();
    await start(A, 1);
    await start(B, 2);
    await start(A_EAST, 3);

    expect(await running(A)).toEqual(['export-111111111111-eu-west-1-1']);
    expect(await running(B)).toEqual(['export-222222222222-eu-west-1-2']);
  });

  it('throttles one place and times each account\'s calls', async () => {
    const { rds, start, running } = simulator({ placeThrottleRate: (place) => (place.account === B.account ? 1 : 0) });

    await expect(running(B)).rejects.toMatchObject({ name: 'Throttling' });
    await start(A, 1);
    await running(A_EAST);

    expect(rds.callTimesByAccount.get(A.account)).toHaveLength(2);
    expect(rds.callTimesByAccount.get(B.account)).toHaveLength(1);
  });
});
