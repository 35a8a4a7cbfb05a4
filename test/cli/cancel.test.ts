import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ExportTask } from '@aws-sdk/client-rds';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { run, type Clients } from '../../cli/run.ts';
import { pagingRds, sink, task } from '../support/cli.ts';

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

/** The CLI over a paging RDS fake, and DynamoDB and Step Functions mocks; the waiting record, if any, is `wait`. */
function world(tasks: ExportTask[], wait?: { token: string }) {
  const rds = pagingRds(tasks);
  const dynamo = new DynamoDBClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const sfn = new SFNClient({ region: 'us-east-1', credentials, maxAttempts: 1 });
  const dynamoMock = mockClient(dynamo);
  const sfnMock = mockClient(sfn);
  dynamoMock.on(PutItemCommand).resolves({});
  dynamoMock.on(DeleteItemCommand).resolves(wait ? { Attributes: { data: { S: JSON.stringify(wait) } } } : {});
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  const clients = () => ({ rds: () => rds.client, dynamo: () => dynamo, sfn: () => sfn, ec2: () => { throw new Error('unused'); }, destroy: () => {} }) as Clients;
  const cli = async (argv: string[], env: Record<string, string> = {}) => {
    const stdout = sink();
    const stderr = sink();
    const code = await run(argv, { stdout, stderr, env, now: () => new Date(), sleep: async () => {}, clients, requestedBy: 'ops@laptop' });
    return { code, out: stdout.text, err: stderr.text };
  };
  return { cli, dynamoMock, sfnMock, rdsRequests: rds.requests };
}

const RUNNING = task(7, { ExportTaskIdentifier: 'prod-db-c2865e44c1', Status: 'IN_PROGRESS', PercentProgress: 40 });

describe('cancel: through the workflow (shared/workflow/operator-cancel.ts requestCancel, DynamoDB coordination store)', () => {
  it('records the request and wakes the execution waiting on the export', async () => {
    const { cli, dynamoMock, sfnMock } = world([RUNNING], { token: 'task-token-1' });

    const { code, out, err } = await cli(['cancel', 'prod-db-c2865e44c1', '--table', 'coordination']);

    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe('Cancel requested: the execution following prod-db-c2865e44c1 was woken and cancels it now; follow it with: export-orchestrator watch prod-db-c2865e44c1\n');
    const put = dynamoMock.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ TableName: 'coordination', Item: { pk: { S: 'CANCEL' }, sk: { S: 'prod-db-c2865e44c1' }, data: { S: JSON.stringify({ requestedBy: 'ops@laptop' }) } } });
    expect(dynamoMock.commandCalls(DeleteItemCommand)[0]!.args[0].input).toMatchObject({ Key: { pk: { S: 'WAIT' }, sk: { S: RUNNING.SourceArn } } });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input).toEqual({ taskToken: 'task-token-1', output: JSON.stringify({ cancelRequestedBy: 'ops@laptop' }) });
  });

  it('no execution waiting right now: the request waits for the next poll, and it says so (--json, table from the environment)', async () => {
    const { cli, sfnMock } = world([RUNNING]);

    const { code, out } = await cli(['cancel', 'prod-db-c2865e44c1', '--json'], { EXPORT_ORCHESTRATOR_TABLE: 'coordination' });

    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ exportId: 'prod-db-c2865e44c1', sourceArn: RUNNING.SourceArn, outcome: 'at next poll', status: 'IN_PROGRESS' });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('an export that already ended: one line, exit 1, nothing recorded', async () => {
    const { cli, dynamoMock } = world([task(1, { ExportTaskIdentifier: 'done-1', Status: 'complete' })]);

    const { code, out, err } = await cli(['cancel', 'done-1', '--table', 'coordination']);

    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('export-orchestrator: export done-1 already ended COMPLETE: nothing to cancel\n');
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('an export already canceling: nothing to do', async () => {
    const { cli, dynamoMock } = world([task(1, { ExportTaskIdentifier: 'going-1', Status: 'CANCELING' })]);

    const { code, out } = await cli(['cancel', 'going-1', '--table', 'coordination']);

    expect(code).toBe(0);
    expect(out).toMatch(/^Export going-1 is already canceling: nothing to do/);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('an unknown id: one clear line, exit 1', async () => {
    const { cli, dynamoMock } = world([RUNNING]);

    const { code, out, err } = await cli(['cancel', 'no-such-export', '--table', 'coordination']);

    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe('export-orchestrator: Export task no-such-export does not exist (in this account and region)\n');
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('no table anywhere: a usage error before any AWS call', async () => {
    const { cli, rdsRequests } = world([RUNNING]);

    const { code, err } = await cli(['cancel', 'prod-db-c2865e44c1']);

    expect(code).toBe(2);
    expect(err).toMatch(/^export-orchestrator: cancel needs the coordination table: --table NAME or EXPORT_ORCHESTRATOR_TABLE/);
    expect(rdsRequests).toEqual([]);
  });
});
