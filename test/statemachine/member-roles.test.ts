import { describe, expect, it } from 'vitest';
import { LocalDeployment } from '../../local/deployment.ts';
import { LOCAL_ACCOUNT } from '../../local/definition.ts';
import { seededRandom } from '../../local/random.ts';
import type { ExportBehaviour } from '../../local/rds-simulator.ts';
import { parseScenario, runScenario } from '../../local/scenario.ts';
import { onVirtualClock } from '../../local/virtual-clock.ts';

// A deployment reaches each member account through the member role it assumes there (issue 14).
// A member whose role is missing must not stop the others: its exports fail, notified with the cause.

const MEMBER = '210000000001';
const MISSING = '210000000002';
const snapshotOf = (account: string) => `arn:aws:rds:us-east-1:${account}:snapshot:orders-2026-12-01`;
const HALF_AN_HOUR: ExportBehaviour = { startingSeconds: 60, exportSeconds: 1800, progress: 'steady', cancelSeconds: 60, dataGb: 3 };

function deployment() {
  return new LocalDeployment({
    sources: () => true,
    behaviourFor: () => HALF_AN_HOUR,
    random: seededRandom(5),
    throttleRate: 0,
    memberAccounts: [MEMBER, MISSING],
    missingRoles: [MISSING],
  });
}

describe('member accounts on the real state machine', () => {
  it("exports the own account's and a member's snapshots, and fails the member whose role is missing, notified with the account, the role and what to do", async () => {
    // Prepare
    const { result: stack } = await onVirtualClock(Date.parse('2026-12-01T06:00:00Z'), async () => {
      const stack = deployment();

      // Act
      for (const account of [LOCAL_ACCOUNT, MEMBER, MISSING]) void stack.execute({ sourceArn: snapshotOf(account) }, `export-${account}`);
      await stack.settle();
      return stack;
    });

    // Assess: the own account and the member exported, each with its own account's credentials.
    const outcomes = Object.fromEntries(await Promise.all([...stack.executions].map(async ([name, outcome]) => [name, await outcome])));
    expect(outcomes[`export-${LOCAL_ACCOUNT}`]).toMatchObject({ status: 'SUCCEEDED' });
    expect(outcomes[`export-${MEMBER}`]).toMatchObject({ status: 'SUCCEEDED' });
    const tasks = [...stack.rds.tasks.values()];
    expect(tasks.map((task) => task.sourceArn).sort()).toEqual([snapshotOf(LOCAL_ACCOUNT), snapshotOf(MEMBER)].sort());
    expect(tasks.find((task) => task.sourceArn === snapshotOf(MEMBER))!.iamRoleArn).toBe(`arn:aws:iam::${MEMBER}:role/export-orchestrator-member-export`);
    // The role missing: the execution fails with MemberAccessDenied, nothing started there.
    const failed = outcomes[`export-${MISSING}`]!;
    expect(failed).toMatchObject({ status: 'FAILED' });
    const messages = stack.sns.messages.filter((message) => message.message.includes(snapshotOf(MISSING)) || message.message.includes(MISSING));
    expect(messages.map((message) => message.attributes.status)).toEqual(['FAILED']);
    expect(messages[0]!.message).toContain('MemberAccessDenied');
    expect(messages[0]!.message).toContain(`Account ${MISSING} (us-east-1): this deployment cannot assume arn:aws:iam::${MISSING}:role/export-orchestrator-member`);
    expect(messages[0]!.message).toContain(`Deploy the member stack (member/member-account.yml) in account ${MISSING}`);
    // One session per member account, however many calls were made in it.
    expect(stack.sts.assumeRoleCalls.get(MEMBER)).toBe(1);
    expect(stack.sts.assumeRoleCalls.get(LOCAL_ACCOUNT)).toBeUndefined();
  });

  it("goes on in the other accounts' fleets while one member's role is missing (scenario field missingRoles)", async () => {
    // Act: 12 snapshots over 3 accounts; account 3 never got the member stack.
    const result = await runScenario(parseScenario({ fleet: 12, accounts: 3, missingRoles: [3], quota: 2, exportSecondsRange: [600, 1200], seed: 4 }));

    // Assess: the 8 snapshots of accounts 1 and 2 exported once each; account 3's 4 failed, none started.
    expect(result.succeeded).toBe(8);
    expect(result.failed).toBe(4);
    expect(result.snapshotsExported).toBe(8);
    expect(result.snapshotsExportedTwice).toBe(0);
    expect(result.exports.every((record) => record.account !== MISSING)).toBe(true);
  });
});
