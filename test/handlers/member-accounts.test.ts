import { DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHandler as makePollHandler } from '../../functions/poll-export/app.ts';
import { makeHandler as makeStartHandler } from '../../functions/start-export/app.ts';
import { placeClients } from '../../shared/accounts/clients.ts';
import { membersOf } from '../../shared/accounts/members.ts';
import { exportProviders } from '../../shared/export-kinds/providers.ts';
import { buildRdsRequest } from '../../shared/export-kinds/rds/request.ts';
import { membersConfigShape, readConfig } from '../../shared/runtime/config.ts';
import { ASL_ERROR_NAMES } from '../../shared/runtime/errors.ts';
import type { ExportState } from '../../shared/workflow/export-state.ts';
import { ACCOUNT, FAKE_CREDENTIALS, REGION } from '../support/aws.ts';
import { lambdaContext } from '../support/lambda.ts';
import { BOUNDS, clock, defaults, REQUESTED_AT } from '../support/requests.ts';
import { mockCoordinationStore, recordingPublisher } from '../support/stores.ts';
import { dispatchDeps } from '../../shared/slots/clients.ts';
import { SLOT_ADAPTERS_WITH_THE_HANDLER } from '../../shared/slots/adapters.ts';

// The start and poll handlers as deployed for an organisation: their RDS calls for a member's source
// are made in that account, with the member role's session (STS and RDS stubbed at the SDK).

const MEMBER = '210000000001';
const OTHER = '210000000002';
const stsMock = mockClient(STSClient);
const rdsMock = mockClient(RDSClient);
const members = membersOf(
  readConfig(membersConfigShape, { MEMBER_ACCOUNTS: `${MEMBER},${OTHER}`, MEMBER_REGIONS: `${REGION},eu-west-1`, MEMBER_EXTERNAL_ID: 'org-7', ORCHESTRATOR_ACCOUNT: ACCOUNT, AWS_REGION: REGION, AWS_LAMBDA_FUNCTION_NAME: 'export-orchestrator-prod-startExport' }),
);
const requestOf = (account: string, region = REGION) =>
  buildRdsRequest(
    { sourceArn: `arn:aws:rds:${region}:${account}:snapshot:orders-1`, kmsKeyId: `arn:aws:kms:${region}:${ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab` },
    { ...defaults, AWS_REGION: REGION, members },
    REQUESTED_AT,
  );

function handlers() {
  // The Lambda's own credentials; the member sessions come from STS, called in the Lambda's region.
  const inPlace = placeClients(members, { sts: { region: REGION, credentials: FAKE_CREDENTIALS }, clock });
  const providerFor = exportProviders({ rdsFor: (place) => inPlace(place, { credentials: FAKE_CREDENTIALS }) });
  const publisher = recordingPublisher();
  const slots = dispatchDeps({ COORDINATION_TABLE: 't', EXPORT_QUOTA: 5, EXPORT_QUOTA_OVERRIDES: '', SLOT_LEASE_SECONDS: 600, SLOT_WAIT_LIMIT_SECONDS: 86400 } as never, SLOT_ADAPTERS_WITH_THE_HANDLER, { rdsOf: (place) => inPlace(place, { credentials: FAKE_CREDENTIALS }) });
  return {
    start: makeStartHandler({ providerFor, publisher, clock }),
    poll: makePollHandler({ providerFor, slots: { ...slots, store: mockCoordinationStore([]) }, publisher, clock }),
  };
}

beforeEach(() => {
  signedBy = [];
  stsMock.reset();
  rdsMock.reset();
  let issued = 0;
  stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    issued++;
    const account = /iam::(\d{12}):/.exec(input.RoleArn)![1];
    return { Credentials: { AccessKeyId: `ASIA-${account}-${issued}`, SecretAccessKey: 's', SessionToken: 't', Expiration: new Date(clock().getTime() + 3600_000) } };
  });
  // The stub answers after resolving the client's credentials, as the SDK's signer does before a request leaves.
  rdsMock.on(StartExportTaskCommand).callsFake(async (input: { ExportTaskIdentifier: string; SourceArn: string }, getClient: () => RDSClient) => {
    signedBy.push(await signer(getClient()));
    return { ExportTaskIdentifier: input.ExportTaskIdentifier, SourceArn: input.SourceArn, Status: 'STARTING', PercentProgress: 0 };
  });
});

/** Each RDS call's signer: the access key and the region of the client that sent it. */
let signedBy: Array<{ key: string; region: string }> = [];
const signer = async (client: RDSClient) => ({ key: (await client.config.credentials()).accessKeyId, region: await client.config.region() });

afterAll(() => {
  stsMock.restore();
  rdsMock.restore();
});

describe('start and poll for member accounts', () => {
  it("call RDS with the member role's session, assumed once per account whatever the region and the calls", async () => {
    // Prepare
    const { start, poll } = handlers();
    const inEast = requestOf(MEMBER);
    const inWest = requestOf(MEMBER, 'eu-west-1');
    rdsMock.on(DescribeExportTasksCommand).callsFake(async (_input, getClient: () => RDSClient) => {
      signedBy.push(await signer(getClient()));
      return { ExportTasks: [{ ExportTaskIdentifier: inEast.exportId, SourceArn: inEast.source.arn, Status: 'IN_PROGRESS', PercentProgress: 40 }] };
    });

    // Act
    const started = (await start({ request: inEast, bounds: BOUNDS }, lambdaContext('start-export'))) as ExportState;
    await start({ request: inWest, bounds: BOUNDS }, lambdaContext('start-export'));
    await poll(started, lambdaContext('poll-export'));

    // Assess: one AssumeRole for the member, with the external id and the function's name.
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/export-orchestrator-member`,
      RoleSessionName: 'export-orchestrator-prod-startExport',
      ExternalId: 'org-7',
      DurationSeconds: 3600,
    });
    // Every RDS call signed by the member's session, in the source's region, with its own export role.
    expect(rdsMock).toHaveReceivedCommandWith(StartExportTaskCommand, { SourceArn: inEast.source.arn, IamRoleArn: `arn:aws:iam::${MEMBER}:role/export-orchestrator-member-export` });
    expect(signedBy).toEqual([
      { key: `ASIA-${MEMBER}-1`, region: REGION },
      { key: `ASIA-${MEMBER}-1`, region: 'eu-west-1' },
      { key: `ASIA-${MEMBER}-1`, region: REGION },
    ]);
  });

  it("use the Lambda's own credentials for its own account's sources: no AssumeRole", async () => {
    // Prepare
    const { start } = handlers();

    // Act
    await start({ request: requestOf(ACCOUNT), bounds: BOUNDS }, lambdaContext('start-export'));

    // Assess
    expect(stsMock).not.toHaveReceivedCommand(AssumeRoleCommand);
    expect(signedBy).toEqual([{ key: FAKE_CREDENTIALS.accessKeyId, region: REGION }]);
  });

  it('fail a member whose role is refused with MemberAccessDenied, and start the other member all the same', async () => {
    // Prepare
    const { start } = handlers();
    stsMock.on(AssumeRoleCommand, { RoleArn: `arn:aws:iam::${OTHER}:role/export-orchestrator-member` }).rejects(
      Object.assign(new Error(`User: x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${OTHER}:role/export-orchestrator-member`), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );

    // Act
    const refused = start({ request: requestOf(OTHER), bounds: BOUNDS }, lambdaContext('start-export'));
    const other = start({ request: requestOf(MEMBER), bounds: BOUNDS }, lambdaContext('start-export'));

    // Assess
    await expect(refused).rejects.toMatchObject({ name: ASL_ERROR_NAMES.memberAccessDenied, message: expect.stringContaining(`Account ${OTHER} (${REGION}): this deployment cannot assume`) });
    await expect(other).resolves.toMatchObject({ status: 'STARTING' });
    // Only the member whose session was had reached RDS.
    expect(signedBy).toEqual([{ key: `ASIA-${MEMBER}-1`, region: REGION }]);
  });
});
