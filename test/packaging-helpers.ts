/**
 * Helpers of test/packaging.test.ts: reading the packaged template (CloudFormation intrinsic
 * functions evaluated to plausible placeholder values), the zips and the bundles, and the tools.
 * No expectations live here: they are all in the test file.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { parse as parseYaml, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface CfnResource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
  Conditions?: Record<string, unknown>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
}
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}
export interface FoundStatement extends Statement {
  /** The resource that holds the statement. */
  holder: string;
  /** Where it is: `<logical id>/Policies/<name>[i]`, `<logical id>/AssumeRolePolicyDocument[i]`, ... */
  where: string;
}

export function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** "admitExport" -> "admit-export" */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
/** "admitExport" -> "AdmitExport" (how osls and our roles name a function's resources) */
export const pascal = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Evaluates the intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::Join,
 * Fn::Equals...) the way CloudFormation would on deploy, with plausible placeholders for what only
 * exists once deployed (physical names, ARNs). Parameters take their defaults.
 */
export class TemplateEvaluator {
  constructor(
    private readonly template: CfnTemplate,
    private readonly stackName: string,
    /** Where the stack is deployed: aws-cn and aws-us-gov change every ARN's partition. */
    private readonly where: { partition: string; region: string; account?: string } = { partition: 'aws', region: REGION },
  ) {}

  /** The account the stack is deployed in. */
  private get account(): string {
    return this.where.account ?? ACCOUNT;
  }

  value(node: unknown): unknown {
    // AWS::NoValue removes the property or list item it stands for.
    if (Array.isArray(node)) return node.map((item) => this.value(item)).filter((item) => item !== NO_VALUE);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1 && entries[0]![0] === 'Ref' && entries[0]![1] === 'AWS::NoValue') return NO_VALUE;
    // { "Condition": "Name" } inside Fn::And / Fn::Or / Fn::Not names a condition; a policy's Condition is never alone.
    if (entries.length === 1 && entries[0]![0] === 'Condition' && typeof entries[0]![1] === 'string') return this.condition(entries[0]![1]);
    if (entries.length !== 1 || !(entries[0]![0] === 'Ref' || entries[0]![0].startsWith('Fn::'))) {
      return Object.fromEntries(entries.map(([key, item]) => [key, this.value(item)]).filter(([, item]) => item !== NO_VALUE));
    }
    const [fn, args] = entries[0]! as [string, unknown];
    switch (fn) {
      case 'Ref':
        return this.ref(args as string);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof args === 'string' ? (args.split('.') as [string, string]) : (args as [string, string]);
        return this.getAtt(logicalId, attribute);
      }
      case 'Fn::Sub': {
        const [body, variables] = typeof args === 'string' ? [args, {}] : (args as [string, Record<string, unknown>]);
        return body.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
          if (literal) return `\${${name}}`;
          if (name in variables) return String(this.value(variables[name]));
          const dot = name.indexOf('.');
          return String(dot > 0 && !name.startsWith('AWS::') ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name));
        });
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = args as [string, unknown, unknown];
        return this.value(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Join': {
        const [separator, items] = args as [string, unknown[]];
        return (this.value(items) as unknown[]).join(separator);
      }
      case 'Fn::Equals': {
        const [a, b] = this.value(args) as [unknown, unknown];
        return a === b;
      }
      case 'Fn::Split': {
        const [separator, text] = args as [string, unknown];
        return this.string(text, `Fn::Split of ${JSON.stringify(text)}`).split(separator);
      }
      case 'Fn::Select': {
        const [index, items] = args as [number | string, unknown];
        const values = this.value(items);
        if (!Array.isArray(values)) throw new Error(`Fn::Select from ${JSON.stringify(values)}, not a list`);
        return values[Number(index)];
      }
      case 'Fn::Not':
        return !(this.value((args as unknown[])[0]) as boolean);
      case 'Fn::And':
        return (args as unknown[]).every((item) => this.value(item) === true);
      case 'Fn::Or':
        return (args as unknown[]).some((item) => this.value(item) === true);
      default:
        throw new Error(`The test cannot evaluate ${fn} (${JSON.stringify(args)}): teach TemplateEvaluator`);
    }
  }

  /** A string, or an error naming what could not be made one. */
  string(node: unknown, what: string): string {
    const value = this.value(node);
    if (typeof value !== 'string') throw new Error(`${what} evaluates to ${JSON.stringify(value)}, not a string`);
    return value;
  }

  condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new Error(`Condition ${name} is not in the template`);
    return this.value(definition) === true;
  }

  ref(name: string): unknown {
    const pseudo: Record<string, string> = {
      'AWS::Region': this.where.region,
      'AWS::AccountId': this.account,
      'AWS::Partition': this.where.partition,
      'AWS::StackName': this.stackName,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      const value = parameter.Default ?? '';
      // A list parameter's value is given as one comma-separated string, and Ref gives a list.
      return parameter.Type === 'CommaDelimitedList' || parameter.Type?.startsWith('List<') ? String(value).split(',') : value;
    }
    const resource = this.resource(name);
    const properties = resource.Properties ?? {};
    const { partition, region } = this.where;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return (properties.TableName as string | undefined) ?? this.physicalName(name);
      case 'AWS::SNS::Topic':
        return `arn:${partition}:sns:${region}:${this.account}:${(properties.TopicName as string | undefined) ?? this.physicalName(name)}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${this.account}:stateMachine:${(properties.StateMachineName as string | undefined) ?? this.physicalName(name)}`;
      case 'AWS::Lambda::Function':
        return (properties.FunctionName as string | undefined) ?? this.physicalName(name);
      case 'AWS::IAM::Role':
        return (properties.RoleName as string | undefined) ?? this.physicalName(name);
      case 'AWS::Logs::LogGroup':
        return (properties.LogGroupName as string | undefined) ?? this.physicalName(name);
      case 'AWS::Events::Rule':
        return (properties.Name as string | undefined) ?? this.physicalName(name);
      case 'AWS::S3::Bucket':
        return (properties.BucketName as string | undefined) ?? this.physicalName(name).toLowerCase();
      case 'AWS::KMS::Key':
        return '1234abcd-12ab-34cd-56ef-1234567890ab';
      case 'AWS::CloudWatch::Alarm':
        return (properties.AlarmName as string | undefined) ?? this.physicalName(name);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}/${this.account}/${(properties.QueueName as string | undefined) ?? this.physicalName(name)}`;
      default:
        throw new Error(`The test has no placeholder for Ref ${name} (${resource.Type}): teach TemplateEvaluator.ref`);
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const resource = this.resource(logicalId);
    if (attribute !== 'Arn') throw new Error(`The test has no placeholder for Fn::GetAtt ${logicalId}.${attribute}`);
    const name = this.ref(logicalId) as string;
    const { partition, region } = this.where;
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${this.account}:role/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${this.account}:function:${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${partition}:dynamodb:${region}:${this.account}:table/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${partition}:logs:${region}:${this.account}:log-group:${name}:*`;
      case 'AWS::Events::Rule':
        return `arn:${partition}:events:${region}:${this.account}:rule/${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${partition}:s3:::${name}`;
      case 'AWS::KMS::Key':
        return `arn:${partition}:kms:${region}:${this.account}:key/${name}`;
      case 'AWS::CloudWatch::Alarm':
        return `arn:${partition}:cloudwatch:${region}:${this.account}:alarm:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${partition}:sqs:${region}:${this.account}:${name.split('/').at(-1)}`;
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return name;
      default:
        throw new Error(`The test has no placeholder for Fn::GetAtt ${logicalId}.Arn (${resource.Type})`);
    }
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`${logicalId} is referred to but is not in the template`);
    if (resource.Condition && !this.condition(resource.Condition)) {
      throw new Error(`${logicalId} is referred to but its condition ${resource.Condition} is false with the default parameters`);
    }
    return resource;
  }

  /** What CloudFormation generates for an unnamed resource: <stack>-<logical id>-<suffix>. */
  private physicalName(logicalId: string): string {
    return `${this.stackName}-${logicalId}-PLACEHOLDER`;
  }
}

const SHORT_FORM_FUNCTIONS = ['Sub', 'If', 'Equals', 'Not', 'And', 'Or', 'Select', 'Split', 'Join', 'FindInMap', 'Base64', 'Cidr', 'ImportValue', 'GetAZs'];

/** A CloudFormation YAML template as CloudFormation reads it: the short forms (!Ref, !Sub, !If...) as their long forms. */
export function parseCfnYaml(text: string): CfnTemplate {
  const long = (name: string) => `Fn::${name}`;
  const customTags: ScalarTag[] | CollectionTag[] = [
    { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
    { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
    { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
    { tag: '!GetAtt', collection: 'seq', resolve: (seq: YAMLSeq) => ({ 'Fn::GetAtt': seq.toJSON() }) },
    ...SHORT_FORM_FUNCTIONS.flatMap((name) => [
      { tag: `!${name}`, resolve: (value: string) => ({ [long(name)]: value }) },
      { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: YAMLSeq) => ({ [long(name)]: seq.toJSON() }) },
      { tag: `!${name}`, collection: 'map' as const, resolve: (map: YAMLMap) => ({ [long(name)]: map.toJSON() }) },
    ]),
  ] as never;
  return parseYaml(text, { customTags }) as CfnTemplate;
}

/**
 * Packages the service into a fresh directory, without AWS credentials, and returns the directory,
 * the template and what the command printed. `args` adds options (`--region`, `--param=...`).
 *
 * The bundles do not depend on the stage, region or parameters: the run's first packaging builds
 * them and leaves its zips in the run's bundle cache (test/setup/bundle-cache.ts); a later one
 * packages those zips as they are (PREBUILT_BUNDLES=true, serverless.yml), which renders the same
 * template without building again. `reused` says which happened. `bundleCache` is the test run's
 * cache (`inject('bundleCache')`); outside vitest (the rehearsal) there is none and it always builds.
 */
export async function packageService(
  repoRoot: string,
  stage: string,
  args: string[],
  timeoutMs: number,
  bundleCache?: string,
): Promise<{ packageDir: string; template: CfnTemplate; stderr: string; reused: boolean }> {
  const packageDir = await mkdtemp(join(tmpdir(), 'export-orchestrator-package-'));
  const cache = bundleCache;
  let stderr: string;
  let reused = false;
  // serverless-esbuild builds in <repo>/.esbuild: two test files packaging at once (aws, aws-cn) would delete each other's chunks.
  const release = await lockRepo(repoRoot, timeoutMs);
  try {
    reused = cache !== undefined && (await copyZips(cache, packageDir)) > 0;
    ({ stderr } = await promisify(execFile)('npx', ['--no', '--', 'serverless', 'package', '--stage', stage, ...args, '--package', packageDir], {
      cwd: repoRoot,
      env: { ...credentialFreeEnv(packageDir), PREBUILT_BUNDLES: String(reused) },
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    }));
    // Under the lock, so no packaging finds half of them.
    if (cache !== undefined && !reused) await copyZips(packageDir, cache);
  } catch (error) {
    const { stdout = '', stderr: err = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package failed:\n${stdout}\n${err}`, { cause: error });
  } finally {
    await release();
  }
  const template = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  return { packageDir, template, stderr, reused };
}

/** Copies the function zips of `from` into `to`; how many. */
async function copyZips(from: string, to: string): Promise<number> {
  const zips = (await readdir(from)).filter((name) => name.endsWith('.zip'));
  await Promise.all(zips.map((name) => copyFile(join(from, name), join(to, name))));
  return zips.length;
}

/** A lock across vitest's worker processes (mkdir is atomic); one left by a killed run is taken over once older than `timeoutMs`. */
async function lockRepo(repoRoot: string, timeoutMs: number): Promise<() => Promise<void>> {
  const lock = join(repoRoot, '.esbuild.package-lock');
  for (;;) {
    try {
      await mkdir(lock);
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
      if (age > timeoutMs) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Every statement of every policy document in the template, identity and resource policies alike. */
export function policyStatements(template: CfnTemplate): FoundStatement[] {
  const found: FoundStatement[] = [];
  const collect = (document: unknown, holder: string, where: string) => {
    const statement = (document as { Statement?: Statement | Statement[] } | undefined)?.Statement;
    list(statement).forEach((s, index) => found.push({ ...s, holder, where: `${where}[${index}]` }));
  };
  for (const [logicalId, { Type, Properties = {} }] of Object.entries(template.Resources)) {
    if (Type === 'AWS::IAM::Role') {
      collect(Properties.AssumeRolePolicyDocument, logicalId, `${logicalId}/AssumeRolePolicyDocument`);
      for (const policy of (Properties.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []) {
        collect(policy.PolicyDocument, logicalId, `${logicalId}/Policies/${policy.PolicyName}`);
      }
    } else if (Type === 'AWS::Events::EventBusPolicy') {
      // One statement of the bus's policy, given as the resource's Statement.
      collect({ Statement: Properties.Statement }, logicalId, `${logicalId}/Statement`);
    } else {
      for (const key of ['PolicyDocument', 'Policy', 'KeyPolicy']) {
        if (Properties[key]) collect(Properties[key], logicalId, `${logicalId}/${key}`);
      }
    }
  }
  return found;
}

/**
 * The modules a bundle loads at run time: its static `import ... from "x"` statements and dynamic
 * `import("x")` calls. (Mentions inside strings, such as an SDK error message that says
 * `[import "@aws-sdk/signature-v4a"]`, are not at a statement boundary and are not counted.)
 */
export function moduleSpecifiers(bundle: string): string[] {
  const statics = [...bundle.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{},\s]+?\s*from\s*)?["']([^"']+)["']/g)];
  const dynamics = [...bundle.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)];
  return [...new Set([...statics, ...dynamics].map((match) => match[1]!))].sort();
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface KeptClass {
  /** The minified binding (`var <binding>=class ...`), when the class is bound to one. */
  binding?: string;
  /** The minified expression it extends. */
  base: string;
  /** The start of the class body (enough to read a constructor). */
  body: string;
}

/**
 * The class names esbuild's keepNames pins in a minified bundle. For a class it emits
 * `class extends Base{static{__name(this,"Original")}...}` with the helper
 * `var __name=(target,value)=>__defProp(target,"name",{value,configurable:true})` (both renamed by
 * the minifier), so `Class.name` stays the source name although the binding is renamed.
 */
export function keptClassNames(bundle: string): { helper?: string; classes: Map<string, KeptClass> } {
  const classes = new Map<string, KeptClass>();
  const helperMatch = /(?:\bvar |,)([\w$]+)=\(([\w$]+),([\w$]+)\)=>([\w$]+)\(\2,"name",\{value:\3,configurable:!0\}\)/.exec(bundle);
  if (!helperMatch) return { classes };
  const [, helper, , , defineProperty] = helperMatch as unknown as [string, string, string, string, string];
  if (!new RegExp(`(?:\\bvar |,)${escapeRegExp(defineProperty)}=Object\\.defineProperty\\b`).test(bundle)) return { classes };
  const pattern = new RegExp(`(?:([\\w$]+)=)?class(?: [\\w$]+)? extends ([\\w$.]+)\\{static\\{${escapeRegExp(helper)}\\(this,"([\\w$]+)"\\)\\}`, 'g');
  for (const match of bundle.matchAll(pattern)) {
    classes.set(match[3]!, { ...(match[1] ? { binding: match[1] } : {}), base: match[2]!, body: bundle.slice(match.index!, match.index! + 400) });
  }
  return { helper, classes };
}

/**
 * The modules of a split bundle (esbuild `splitting`): the handler's module and its chunks, by path
 * in the zip. Chunks share bindings through minified `import{a as b}from"./handler.chunk-X.mjs"` and
 * `export{b as a}` clauses; `resolve` follows them to where a binding is defined.
 */
export class SplitBundle {
  private readonly imports = new Map<string, Map<string, { from: string; name: string }>>();
  private readonly exports = new Map<string, Map<string, string>>();

  constructor(readonly files: Map<string, string>) {
    for (const [file, source] of files) {
      const imported = new Map<string, { from: string; name: string }>();
      for (const match of source.matchAll(/import\{([^}]*)\}from"\.\/([^"]+)"/g)) {
        for (const [name, local] of bindings(match[1]!)) imported.set(local, { from: join(dirname(file), match[2]!), name });
      }
      this.imports.set(file, imported);
      const exported = new Map<string, string>();
      for (const match of source.matchAll(/export\{([^}]*)\}/g)) for (const [local, name] of bindings(match[1]!)) exported.set(name, local);
      this.exports.set(file, exported);
    }
  }

  /** `<file>#<binding>` of where a binding used in `file` is defined. */
  resolve(file: string, local: string): string {
    for (let hops = 0; hops < 10; hops++) {
      const imported = this.imports.get(file)?.get(local);
      const next = imported && this.exports.get(imported.from)?.get(imported.name);
      if (!imported || next === undefined) break;
      [file, local] = [imported.from, next];
    }
    return `${file}#${local}`;
  }

  /** The modules loaded with `file`: it and, transitively, every module it imports statically. */
  staticallyLoaded(file: string): string[] {
    const loaded = new Set<string>();
    const visit = (current: string) => {
      if (loaded.has(current) || !this.files.has(current)) return;
      loaded.add(current);
      const source = this.files.get(current)!;
      for (const match of source.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{},\s]+?\s*from\s*)?"\.\/([^"]+)"/g)) visit(join(dirname(current), match[1]!));
    };
    visit(file);
    return [...loaded];
  }

  /** keptClassNames over every module; bindings and bases are `<file>#<binding>`, resolved across modules. */
  keptClassNames(): { helper?: string; classes: Map<string, KeptClass> } {
    // Each module that defines the helper (normally one shared chunk; others import it).
    const helpers = new Set<string>();
    for (const [file, source] of this.files) {
      const found = keptClassNames(source).helper;
      if (found) helpers.add(`${file}#${found}`);
    }
    const classes = new Map<string, KeptClass>();
    const helper = [...helpers][0];
    if (!helper) return { classes };
    const pattern = /(?:([\w$]+)=)?class(?: [\w$]+)? extends ([\w$.]+)\{static\{([\w$]+)\(this,"([\w$]+)"\)\}/g;
    for (const [file, source] of this.files) {
      for (const match of source.matchAll(pattern)) {
        if (!helpers.has(this.resolve(file, match[3]!))) continue;
        classes.set(match[4]!, {
          ...(match[1] ? { binding: this.resolve(file, match[1]) } : {}),
          base: this.resolve(file, match[2]!),
          body: source.slice(match.index!, match.index! + 400),
        });
      }
    }
    return { helper, classes };
  }
}

/** `a as b, c` -> [[a, b], [c, c]] */
function bindings(clause: string): Array<[string, string]> {
  return clause
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [left, right] = part.split(/\s+as\s+/);
      return [left!, right ?? left!];
    });
}

/** The kept names of a class and of the classes it extends, nearest first (as far as the bundle names them). */
export function classChain(classes: Map<string, KeptClass>, name: string): string[] {
  const byBinding = new Map([...classes].flatMap(([kept, { binding }]) => (binding ? [[binding, kept] as const] : [])));
  const chain: string[] = [];
  for (let current: string | undefined = name; current !== undefined && !chain.includes(current); current = byBinding.get(classes.get(current)?.base ?? '')) {
    chain.push(current);
    if (!classes.has(current)) break;
  }
  return chain;
}

/** A module script that imports the bundle and prints the type of its handler export, or the error's name and message alone. */
export function importAndReport(url: string, exportName: string): string {
  return [
    'try {',
    `  const module = await import(${JSON.stringify(url)});`,
    `  console.log(typeof module[${JSON.stringify(exportName)}]);`,
    '} catch (error) {',
    '  console.error(`${error?.name}: ${error?.message}`);',
    '  process.exitCode = 1;',
    '}',
  ].join('\n');
}

/** Entries of a zip archive (stored or deflated), read from its central directory. */
export function readZip(zip: Buffer): Map<string, () => Buffer> {
  const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
  const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < 0) throw new Error('not a zip archive');

  const entries = new Map<string, () => Buffer>();
  let offset = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    entries.set(name, () => {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      return method === 0 ? data : inflateRawSync(data);
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The child's environment: this one without any way to find AWS credentials (packaging must not need them). */
export function credentialFreeEnv(scratchDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(scratchDir, 'no-credentials'),
    AWS_CONFIG_FILE: join(scratchDir, 'no-config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
}

export function cfnLintAvailable(): boolean {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  // A pyenv or asdf shim exits 127 when the active Python has no cfn-lint.
  return probe.error === undefined && probe.status === 0;
}

export function isCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * cfn-lint on a packaged template, started now and awaited by the test that checks it: it takes
 * about 10 s of Python, which runs beside the file's other tests instead of after them. Never rejects.
 */
export function startCfnLint(templatePath: string | string[], args: string[] = []): Promise<{ error?: Error; status: number | null; output: string }> {
  return new Promise((resolvePromise) => {
    // Several templates in one run share cfn-lint's start (most of its time); its findings name their file.
    const child = spawn('cfn-lint', [...args, '--', ...[templatePath].flat()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', (error) => resolvePromise({ error, status: null, output }));
    child.on('close', (status) => resolvePromise({ status, output }));
  });
}

/** Runs node on a module script; never rejects, so a failing import is reported by the test. */
export function runNodeScript(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}
