import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import { parseFilterArg, type FilterArg } from './query.ts';
import { INPUT_LIMITS } from '../shared/export-kinds/input-limits.ts';
import { EXPORT_KINDS, isExportKind } from '../shared/export-kinds/registry.ts';
import type { ExportKind } from '../shared/export-kinds/request.ts';
import { splitList } from '../shared/runtime/config.ts';

/** As the AWS CLI has them; passed to every SDK client. */
export interface GlobalOptions {
  endpointUrl?: string;
  region?: string;
  profile?: string;
}

export interface ListArgs {
  command: 'list';
  /** Absent: every kind, one after the other (a kind the region does not offer is a one-line note). */
  kind?: ExportKind;
  maxItems?: number;
  pageSize?: number;
  startingToken?: string;
  filters: FilterArg[];
  sourceType?: string;
  json: boolean;
  /** --accounts / --regions: every place's exports, section by section (RDS). */
  places?: PlaceArgs;
}

export interface WatchArgs {
  command: 'watch';
  kind: ExportKind;
  /** --accounts / --regions: the exports of every place (RDS). */
  places?: PlaceArgs;
  /** Empty: every running export. */
  ids: string[];
  intervalSeconds: number;
}

/** What `start` exports: an RDS source, an AMI, or an ADS agent's data. */
export type StartTarget =
  | { kind: 'rds'; sourceArn: string }
  | { kind: 'ec2-image'; imageId: string; diskImageFormat: string }
  | { kind: 'ads'; agentId: string; lookbackHours: number };

export interface StartArgs {
  command: 'start';
  /** Absent only with --local. */
  target?: StartTarget;
  /** The --source-arn of --local (the simulated source's type). */
  sourceArn?: string;
  deadlineSeconds?: number;
  stateMachineArn?: string;
  /** --again (RDS): export the source again, as its next attempt, when its earlier ones ended without the export. */
  again: boolean;
  local: boolean;
  /** Only with --local: a scenario file, as `npm start -- --scenario FILE` takes. */
  scenario?: string;
  json: boolean;
}

export interface CancelArgs {
  command: 'cancel';
  kind: ExportKind;
  exportId: string;
  table?: string;
  json: boolean;
  /** --accounts / --regions: the export is looked for in each of these places (RDS). */
  places?: PlaceArgs;
}

export interface HelpArgs {
  command: 'help';
  topic?: CommandName;
}

export type CommandArgs = ListArgs | WatchArgs | StartArgs | CancelArgs | HelpArgs;
export const COMMANDS = ['list', 'watch', 'start', 'cancel'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface CommandLine {
  globals: GlobalOptions;
  args: CommandArgs;
}

const OPTIONS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  kind: { type: 'string' },
  'max-items': { type: 'string' },
  'page-size': { type: 'string' },
  'starting-token': { type: 'string' },
  filter: { type: 'string', multiple: true },
  'source-type': { type: 'string' },
  interval: { type: 'string' },
  'source-arn': { type: 'string' },
  'image-id': { type: 'string' },
  'disk-image-format': { type: 'string' },
  'ads-agent-id': { type: 'string' },
  'lookback-hours': { type: 'string' },
  'deadline-seconds': { type: 'string' },
  'state-machine-arn': { type: 'string' },
  local: { type: 'boolean' },
  again: { type: 'boolean' },
  scenario: { type: 'string' },
  table: { type: 'string' },
  accounts: { type: 'string' },
  regions: { type: 'string' },
} as const;

const GLOBAL = ['endpoint-url', 'region', 'profile', 'help'];
const PER_COMMAND: Record<CommandName, string[]> = {
  list: ['json', 'kind', 'max-items', 'page-size', 'starting-token', 'filter', 'source-type', 'accounts', 'regions'],
  watch: ['interval', 'kind', 'accounts', 'regions'],
  start: ['json', 'source-arn', 'image-id', 'disk-image-format', 'ads-agent-id', 'lookback-hours', 'deadline-seconds', 'state-machine-arn', 'again', 'local', 'scenario'],
  cancel: ['json', 'table', 'kind', 'accounts', 'regions'],
};

/**
 * `--accounts` and `--regions` of list and watch (issue 14): the places to look in. `all` is the
 * deployment's members as its functions read them (MEMBER_ACCOUNTS, MEMBER_REGIONS in the shell),
 * the caller's own account always with them. A member account is reached through its member role
 * (MEMBER_ROLE_NAME, with MEMBER_EXTERNAL_ID), which must trust the operator (docs/organisation.md).
 */
export interface PlaceArgs {
  accounts?: string[] | 'all';
  regions?: string[] | 'all';
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/** `--accounts`/`--regions` as given: a comma list (every entry checked) or `all`. */
export function placeOption(flag: '--accounts' | '--regions', raw: string): string[] | 'all' {
  if (raw.trim().toLowerCase() === 'all') return 'all';
  const entries = [...new Set(splitList(raw))];
  const form = flag === '--accounts' ? ACCOUNT : REGION;
  const bad = entries.filter((entry) => !form.test(entry));
  if (entries.length === 0 || bad.length > 0) {
    const example = flag === '--accounts' ? '111111111111,222222222222' : 'us-east-1,eu-west-1';
    throw new UsageError(`${flag} "${raw}": ${bad.length > 0 ? `${bad.map((entry) => `"${entry}"`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not ${flag === '--accounts' ? 'a 12-digit account id' : 'a region'}` : 'empty'}: give ${example}, or all (the members in MEMBER_${flag === '--accounts' ? 'ACCOUNTS' : 'REGIONS'})`);
  }
  return entries;
}

/** The most a workflow deadline may be (README: Execution input). */
export const MAX_DEADLINE_SECONDS = INPUT_LIMITS.deadlineSeconds.max;
export const DEFAULT_INTERVAL_SECONDS = 10;

function kindOf(value: string | undefined): ExportKind {
  const kind = value ?? 'rds';
  if (!isExportKind(kind)) throw new UsageError(`--kind "${kind}": use ${EXPORT_KINDS.join(', ')}`);
  return kind;
}

/** Reads the command line; anything wrong is a UsageError naming it (exit status 2). */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseErrorText(error as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  const globals: GlobalOptions = {
    ...(values['endpoint-url'] !== undefined ? { endpointUrl: endpointUrl(values['endpoint-url']) } : {}),
    ...(values.region !== undefined ? { region: nonEmpty('--region', values.region) } : {}),
    ...(values.profile !== undefined ? { profile: nonEmpty('--profile', values.profile) } : {}),
  };
  const [first, ...rest] = positionals;
  if (first === undefined || first === 'help') {
    if (first === undefined && !values.help) throw new UsageError('no command: use list, watch, start or cancel');
    const topic = rest[0];
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command "${topic}": use list, watch, start or cancel`);
    return { globals, args: { command: 'help', ...(topic ? { topic } : {}) } };
  }
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}": use list, watch, start or cancel`);
  if (values.help) return { globals, args: { command: 'help', topic: first } };

  const allowed = new Set([...GLOBAL, ...PER_COMMAND[first]]);
  const stray = Object.keys(values).filter((name) => !allowed.has(name));
  if (stray.length > 0) throw new UsageError(`${stray.map((name) => `--${name}`).join(', ')} ${stray.length === 1 ? 'is not an option' : 'are not options'} of ${first}`);

  switch (first) {
    case 'list': {
      noArguments('list', rest);
      // Filters, paging and source types belong to one kind's API: with any of them, RDS unless --kind says otherwise.
      const places = placesArg(values);
      if (places && values['starting-token'] !== undefined) throw new UsageError('--starting-token pages one account and region: give it without --accounts and --regions (with --region)');
      const oneKind = places !== undefined || values.kind !== undefined || ['max-items', 'page-size', 'starting-token', 'filter', 'source-type'].some((name) => name in values);
      return {
        globals,
        args: {
          command: 'list',
          ...(oneKind ? { kind: kindOf(values.kind) } : {}),
          ...(values['max-items'] !== undefined ? { maxItems: wholeNumber('--max-items', values['max-items'], 1) } : {}),
          ...(values['page-size'] !== undefined ? { pageSize: wholeNumber('--page-size', values['page-size'], 1) } : {}),
          ...(values['starting-token'] !== undefined ? { startingToken: nonEmpty('--starting-token', values['starting-token']) } : {}),
          filters: (values.filter ?? []).map(parseFilterArg),
          ...(values['source-type'] !== undefined ? { sourceType: values['source-type'] } : {}),
          json: values.json ?? false,
          ...(places ? { places } : {}),
        },
      };
    }
    case 'watch': {
      const intervalSeconds = values.interval !== undefined ? seconds('--interval', values.interval) : DEFAULT_INTERVAL_SECONDS;
      const places = placesArg(values);
      return { globals, args: { command: 'watch', kind: kindOf(values.kind), ids: [...new Set(rest)], intervalSeconds, ...(places ? { places } : {}) } };
    }
    case 'start': {
      noArguments('start', rest);
      const local = values.local ?? false;
      if (local && values['state-machine-arn'] !== undefined) throw new UsageError('--state-machine-arn and --local do not go together: --local runs no deployed state machine');
      if (!local && values.scenario !== undefined) throw new UsageError('--scenario goes with --local only');
      const target = local ? undefined : startTarget(values);
      if (local && (values['image-id'] !== undefined || values['ads-agent-id'] !== undefined)) throw new UsageError('--local simulates RDS sources only: give --source-arn or nothing');
      const again = values.again ?? false;
      if (again && (local || target?.kind !== 'rds')) {
        throw new UsageError(local ? '--again and --local do not go together' : '--again goes with --source-arn only: an EC2 image or ADS start is a new export each minute already');
      }
      return {
        globals,
        args: {
          command: 'start',
          ...(target ? { target } : {}),
          ...(values['source-arn'] !== undefined ? { sourceArn: nonEmpty('--source-arn', values['source-arn']) } : {}),
          ...(values['deadline-seconds'] !== undefined ? { deadlineSeconds: wholeNumber('--deadline-seconds', values['deadline-seconds'], 1, MAX_DEADLINE_SECONDS) } : {}),
          ...(values['state-machine-arn'] !== undefined ? { stateMachineArn: nonEmpty('--state-machine-arn', values['state-machine-arn']) } : {}),
          again,
          local,
          ...(values.scenario !== undefined ? { scenario: values.scenario } : {}),
          json: values.json ?? false,
        },
      };
    }
    case 'cancel': {
      if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'cancel needs the export id: cancel ID' : `cancel takes one export id, not ${rest.length} (${rest.join(' ')})`);
      const places = placesArg(values);
      return {
        globals,
        args: {
          command: 'cancel',
          kind: kindOf(values.kind),
          exportId: rest[0]!,
          ...(values.table !== undefined ? { table: nonEmpty('--table', values.table) } : {}),
          json: values.json ?? false,
          ...(places ? { places } : {}),
        },
      };
    }
  }
}

/** Exactly one of --source-arn, --image-id, --ads-agent-id, with the options of its kind only. */
function startTarget(values: Record<string, unknown>): StartTarget {
  const given = ['source-arn', 'image-id', 'ads-agent-id'].filter((name) => values[name] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'start needs what to export: --source-arn ARN (RDS), --image-id AMI (EC2 image) or --ads-agent-id ID (Application Discovery Service); or --local'
        : `start exports one thing: ${given.map((name) => `--${name}`).join(' and ')} do not go together`,
    );
  }
  const stray = (allowed: string, names: string[]) => {
    const wrong = names.filter((name) => values[name] !== undefined);
    if (wrong.length > 0) throw new UsageError(`${wrong.map((name) => `--${name}`).join(', ')} ${wrong.length === 1 ? 'goes' : 'go'} with ${allowed} only`);
  };
  if (values['source-arn'] !== undefined) {
    stray('--image-id or --ads-agent-id', ['disk-image-format', 'lookback-hours']);
    return { kind: 'rds', sourceArn: nonEmpty('--source-arn', values['source-arn'] as string) };
  }
  if (values['image-id'] !== undefined) {
    stray('--ads-agent-id', ['lookback-hours']);
    const imageId = nonEmpty('--image-id', values['image-id'] as string);
    if (!/^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(imageId)) throw new UsageError(`--image-id "${imageId}": expected an AMI id, ami- and 8 or 17 lowercase hex digits`);
    const format = ((values['disk-image-format'] as string | undefined) ?? 'VMDK').trim().toUpperCase();
    if (!['VMDK', 'RAW', 'VHD'].includes(format)) throw new UsageError(`--disk-image-format "${format}": use VMDK, RAW or VHD`);
    return { kind: 'ec2-image', imageId, diskImageFormat: format };
  }
  stray('--image-id', ['disk-image-format']);
  const lookbackHours = values['lookback-hours'] !== undefined ? wholeNumber('--lookback-hours', values['lookback-hours'] as string, 1, 24 * 365) : 24;
  return { kind: 'ads', agentId: nonEmpty('--ads-agent-id', values['ads-agent-id'] as string), lookbackHours };
}

/** --accounts and --regions, for RDS exports only (the quota and the member roles are RDS's). */
function placesArg(values: { accounts?: string; regions?: string; kind?: string }): PlaceArgs | undefined {
  if (values.accounts === undefined && values.regions === undefined) return undefined;
  if (values.kind !== undefined && values.kind !== 'rds') throw new UsageError(`--accounts and --regions list RDS exports: not with --kind ${values.kind}`);
  return {
    ...(values.accounts !== undefined ? { accounts: placeOption('--accounts', values.accounts) } : {}),
    ...(values.regions !== undefined ? { regions: placeOption('--regions', values.regions) } : {}),
  };
}

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

function noArguments(command: string, rest: string[]): void {
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments, only options (got "${rest.join(' ')}")`);
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} is empty`);
  return value.trim();
}

export function wholeNumber(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${flag} "${raw}": expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}`);
  }
  return value;
}

function seconds(flag: string, raw: string): number {
  const value = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= 1 && value <= 3600)) throw new UsageError(`${flag} "${raw}": expected seconds from 1 to 3600`);
  return value;
}

function endpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--endpoint-url "${raw}" is not a URL: expected e.g. http://127.0.0.1:5000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint-url "${raw}": expected an http:// or https:// URL`);
  return raw.replace(/\/+$/, '');
}

/** node:util parseArgs explains at length; one short sentence is enough here. */
function parseErrorText(error: Error & { code?: string }): string {
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option && /argument missing/.test(error.message) ? `${option} needs a value` : (error.message.split('. ')[0] ?? error.message);
    default:
      return error.message.split('. ')[0] ?? error.message;
  }
}
