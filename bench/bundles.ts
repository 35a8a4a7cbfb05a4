import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/** The same esbuild options serverless.yml gives serverless-esbuild (custom.esbuild). */
export const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  minify: true,
  // The state machine matches errors by name, and the names are the classes' names.
  keepNames: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'silent',
};

interface LambdaBundle {
  name: string;
  entry: string;
  /** The floor: a handler of only the SDK client(s) this function uses, one command each. */
  floor: string;
}

const RDS = ['@aws-sdk/client-rds', 'RDSClient'];
const SNS = ['@aws-sdk/client-sns', 'SNSClient'];
const DYNAMODB = ['@aws-sdk/client-dynamodb', 'DynamoDBClient'];
const SFN = ['@aws-sdk/client-sfn', 'SFNClient'];
const SSM = ['@aws-sdk/client-ssm', 'SSMClient'];
const EC2 = ['@aws-sdk/client-ec2', 'EC2Client'];

export const LAMBDAS: LambdaBundle[] = [
  { name: 'admit-export', entry: 'functions/admit-export/handler.ts', floor: floor([RDS, 'DescribeExportTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand']) },
  // Start, poll and cancel serve every kind: the EC2 client is theirs too (ADS has no SDK client: ours counts against us).
  { name: 'start-export', entry: 'functions/start-export/handler.ts', floor: floor([RDS, 'StartExportTaskCommand'], [EC2, 'ExportImageCommand']) },
  {
    name: 'poll-export',
    entry: 'functions/poll-export/handler.ts',
    floor: floor([RDS, 'DescribeExportTasksCommand'], [EC2, 'DescribeExportImageTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand']),
  },
  { name: 'cancel-export', entry: 'functions/cancel-export/handler.ts', floor: floor([RDS, 'CancelExportTaskCommand'], [EC2, 'CancelExportTaskCommand']) },
  { name: 'notify', entry: 'functions/notify/handler.ts', floor: floor([SNS, 'PublishCommand']) },
  { name: 'await-export', entry: 'functions/await-export/handler.ts', floor: floor([DYNAMODB, 'PutItemCommand'], [SFN, 'SendTaskSuccessCommand']) },
  { name: 'export-event', entry: 'functions/export-event/handler.ts', floor: floor([RDS, 'DescribeExportTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand']) },
  { name: 'dispatch-exports', entry: 'functions/dispatch-exports/handler.ts', floor: floor([RDS, 'DescribeExportTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand']) },
  { name: 'slack-notify', entry: 'functions/slack-notify/handler.ts', floor: floor([SSM, 'GetParameterCommand']) },
  { name: 'snapshot-trigger', entry: 'functions/snapshot-trigger/handler.ts', floor: floor([RDS, 'DescribeDBSnapshotsCommand'], [SFN, 'StartExecutionCommand']) },
  { name: 'plan-exports', entry: 'functions/plan-exports/handler.ts', floor: floor([RDS, 'DescribeDBSnapshotsCommand'], [SFN, 'StartExecutionCommand']) },
];

/** A handler that sends one command with each client: what any function using those clients must carry. */
function floor(...uses: Array<[string[], string]>): string {
  // Aliased: two services may have commands of the same name (RDS and EC2 both have CancelExportTask).
  const imports = uses.map(([[module, client], command], i) => `import { ${client} as Client${i}, ${command} as Command${i} } from '${module}';`).join('\n');
  const calls = uses.map((_, i) => `await new Client${i}({}).send(new Command${i}(event))`).join('; ');
  return `${imports}\nexport const handler = async (event) => { ${calls}; };`;
}

/** Enough configuration for the handlers' import-time config check to pass. */
const IMPORT_ENV = {
  EXPORT_BUCKET: 'bench-bucket',
  EXPORT_ROLE_ARN: 'arn:aws:iam::123456789012:role/bench',
  EXPORT_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/bench',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
  COORDINATION_TABLE: 'bench-coordination',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bench',
  SLACK_WEBHOOK_PARAMETER: '/export-orchestrator/bench/slack-webhook',
  SCHEDULED_SOURCES: '[{"dbInstanceIdentifier":"bench-db"}]',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export interface BundleFigures {
  name: string;
  bytes: number;
  floorBytes: number;
  importMs: number;
  floorImportMs: number;
}

export async function measureBundles(importRuns = 7): Promise<BundleFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
  const figures: BundleFigures[] = [];
  for (const lambda of LAMBDAS) {
    await build({ ...LAMBDA_BUILD, entryPoints: [lambda.entry], outfile: join(dir, `${lambda.name}.mjs`) });
    const floorSource = join(dir, `${lambda.name}-floor.src.mjs`);
    writeFileSync(floorSource, lambda.floor);
    await build({ ...LAMBDA_BUILD, entryPoints: [floorSource], outfile: join(dir, `${lambda.name}-floor.mjs`), nodePaths: [join(process.cwd(), 'node_modules')] });
    figures.push({
      name: lambda.name,
      bytes: sizeOf(join(dir, `${lambda.name}.mjs`)),
      floorBytes: sizeOf(join(dir, `${lambda.name}-floor.mjs`)),
      importMs: medianImportMs(join(dir, `${lambda.name}.mjs`), importRuns),
      floorImportMs: medianImportMs(join(dir, `${lambda.name}-floor.mjs`), importRuns),
    });
  }
  return figures;
}

function sizeOf(path: string): number {
  return statSync(path).size;
}

/** Module import time in a fresh Node process (what a cold start pays for the code), the median of several runs. */
function medianImportMs(path: string, runs: number): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(path)}); process.stdout.write(String(performance.now() - t));`;
  const times = Array.from({ length: runs }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], { env: { ...process.env, ...IMPORT_ENV }, encoding: 'utf8' })),
  ).sort((a, b) => a - b);
  return times[Math.floor(runs / 2)]!;
}
