import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.ts';
import { run, type Clients } from '../../cli/run.ts';
import { jsonHandler } from '../../local/aws-json.ts';
import { queryHandler } from '../../local/aws-query.ts';
import { DynamoDbSimulator } from '../../local/dynamodb-simulator.ts';
import { LOCAL_AUTH_SCHEMES, LocalIdentities, localCredentials } from '../../local/identity.ts';
import { seededRandom } from '../../local/random.ts';
import { RdsExportSimulator } from '../../local/rds-simulator.ts';
import { StsSimulator, STS_XML_NAMESPACE } from '../../local/sts-simulator.ts';
import { sink } from '../support/cli.ts';

// list and watch over many accounts and regions (issue 14), against the local RDS and STS: the
// caller's own account with its own keys, a member's through the member role it assumes.

const OWN = '111111111111';
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const RDS_XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const BEHAVIOUR = { startingSeconds: 0, exportSeconds: 3600, progress: 'steady' as const, cancelSeconds: 60, dataGb: 1 };

function organisation() {
  const identities = new LocalIdentities();
  const rds = new RdsExportSimulator({ sources: () => true, behaviourFor: () => BEHAVIOUR, random: seededRandom(1), throttleRate: 0, identities });
  const sts = new StsSimulator({ identities, roleExists: (account, role) => account === MEMBER && role === 'export-orchestrator-member' });
  rds.startOutsideWorkflow('own-east', `arn:aws:rds:us-east-1:${OWN}:snapshot:own-1`, BEHAVIOUR);
  rds.startOutsideWorkflow('member-east', `arn:aws:rds:us-east-1:${MEMBER}:snapshot:member-1`, BEHAVIOUR);
  rds.startOutsideWorkflow('member-west', `arn:aws:rds:eu-west-1:${MEMBER}:snapshot:member-2`, BEHAVIOUR);
  const base = { region: 'us-east-1', credentials: localCredentials(OWN), httpAuthSchemes: LOCAL_AUTH_SCHEMES, maxAttempts: 1 };
  const none = () => {
    throw new Error('not used by list');
  };
  const clients: Clients = {
    rds: () => new RDSClient({ ...base, requestHandler: queryHandler(rds, RDS_XMLNS) }),
    sts: () => new STSClient({ ...base, requestHandler: queryHandler(sts, STS_XML_NAMESPACE) }),
    rdsIn: (config) => new RDSClient({ ...base, requestHandler: queryHandler(rds, RDS_XMLNS), ...(config as object) }),
    // No execution waits on these exports here: Step Functions is never called.
    sfn: () => new SFNClient({ ...base, requestHandler: jsonHandler({ handle: none }) }),
    dynamo: () => new DynamoDBClient({ ...base, requestHandler: jsonHandler(new DynamoDbSimulator('coordination')) }),
    ec2: none,
    destroy: () => {},
  };
  return { clients, sts };
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  const { clients, sts } = organisation();
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, { clients: () => clients, stdout, stderr, env, now: () => new Date(), sleep: async () => {} });
  return { code, stdout, stderr, sts };
}

describe('list --accounts --regions', () => {
  it("lists every place's export tasks, a member's through its role, each item naming its account and region", async () => {
    // Act
    const { code, stdout, sts } = await cli(['list', '--accounts', `${OWN},${MEMBER}`, '--regions', 'us-east-1,eu-west-1', '--json']);

    // Assess
    expect(code).toBe(0);
    const { items } = JSON.parse(stdout.text) as { items: Array<{ account: string; region: string; exportId: string }> };
    expect(items.map(({ account, region, exportId }) => `${account}/${region} ${exportId}`)).toEqual([
      `${OWN}/us-east-1 own-east`,
      `${MEMBER}/us-east-1 member-east`,
      `${MEMBER}/eu-west-1 member-west`,
    ]);
    expect(sts.assumeRoleCalls.get(MEMBER)).toBe(1);
    expect(sts.assumeRoleCalls.has(OWN)).toBe(false);
  });

  it('takes all from MEMBER_ACCOUNTS and MEMBER_REGIONS, and prints one table per place', async () => {
    // Act
    const { code, stdout } = await cli(['list', '--accounts', 'all', '--regions', 'all'], { MEMBER_ACCOUNTS: MEMBER, MEMBER_REGIONS: 'us-east-1,eu-west-1' });

    // Assess
    expect(code).toBe(0);
    expect(stdout.lines().filter((line) => /^\d{12}\//.test(line))).toEqual([`${OWN}/us-east-1:`, `${OWN}/eu-west-1:`, `${MEMBER}/us-east-1:`, `${MEMBER}/eu-west-1:`]);
    expect(stdout.text).toContain('member-west');
  });

  it('fails on a member whose role cannot be assumed, naming the account and what to do', async () => {
    // Act
    const { code, stderr } = await cli(['list', '--accounts', `${OWN},${NO_ROLE}`]);

    // Assess
    expect(code).not.toBe(0);
    expect(stderr.text).toContain(`Account ${NO_ROLE} (us-east-1): this deployment cannot assume arn:aws:iam::${NO_ROLE}:role/export-orchestrator-member`);
  });

  it('refuses malformed accounts and regions, paging across places, and another kind', () => {
    expect(() => parseCommandLine(['list', '--accounts', '12345,abc'])).toThrow('--accounts "12345,abc": "12345", "abc" are not a 12-digit account id: give 111111111111,222222222222, or all');
    expect(() => parseCommandLine(['list', '--regions', 'Europe'])).toThrow('"Europe" is not a region');
    expect(() => parseCommandLine(['list', '--accounts', OWN, '--starting-token', 'x'])).toThrow('--starting-token pages one account and region');
    expect(() => parseCommandLine(['watch', '--kind', 'ec2-image', '--regions', 'eu-west-1'])).toThrow('--accounts and --regions list RDS exports: not with --kind ec2-image');
  });
});

describe('watch --accounts', () => {
  it('finds an export in the place that has it', async () => {
    // Act: a member's export, watched by id from the central account; it runs an hour, so one frame and the watch goes on (sleep returns at once).
    const { clients } = organisation();
    const stdout = sink();
    let frames = 0;
    const code = await run(['watch', 'member-west', '--accounts', `${OWN},${MEMBER}`, '--regions', 'us-east-1,eu-west-1', '--interval', '1'], {
      clients: () => clients,
      stdout,
      stderr: sink(),
      env: {},
      now: () => new Date(),
      sleep: async () => {
        if (++frames >= 1) throw Object.assign(new Error('stop watching'), { name: 'StopWatching' });
      },
    });

    // Assess
    expect(stdout.text).toContain('member-west');
    expect(code).not.toBe(0);
  });
});

describe('cancel --accounts', () => {
  it("requests the cancel of a member's export, found in the place that has it", async () => {
    // Act
    const { code, stdout, stderr } = await cli(['cancel', 'member-west', '--table', 'coordination', '--accounts', `${OWN},${MEMBER}`, '--regions', 'us-east-1,eu-west-1', '--json']);

    // Assess: no execution waits on it here, so the cancel is recorded for its next poll.
    expect(stderr.text).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout.text)).toMatchObject({ exportId: 'member-west', sourceArn: `arn:aws:rds:eu-west-1:${MEMBER}:snapshot:member-2`, outcome: 'at next poll' });
  });
});
