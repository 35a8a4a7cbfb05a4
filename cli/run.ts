import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { hostname, userInfo } from 'node:os';
import { DynamoCoordinationStore } from '../shared/slots/dynamodb-store.ts';
import { StepFunctionsCallbacks } from '../shared/workflow/step-functions.ts';
import { definitionOf, EXPORT_KINDS } from '../shared/export-kinds/registry.ts';
import { listingOf, type ListingClients } from '../shared/export-kinds/listings.ts';
import { parseCommandLine, type GlobalOptions } from './args.ts';
import { cancelCommand, tableOf } from './commands/cancel.ts';
import { listAllKinds, listCommand } from './commands/list.ts';
import { startCommand, startLocalCommand, type LocalRunner } from './commands/start.ts';
import { watchCommand } from './commands/watch.ts';
import { CliError, describeFailure, EXIT_OK, rejectNonAwsAnswers } from './errors.ts';
import type { Io } from './io.ts';
import { usage } from './usage.ts';

/** The SDK clients of one run, made when first needed, with the global options. */
export interface Clients {
  rds(): RDSClient;
  sfn(): SFNClient;
  dynamo(): DynamoDBClient;
  ec2(): EC2Client;
  destroy(): void;
}

/**
 * The region as the AWS CLI resolves it: --region, else AWS_REGION, else AWS_DEFAULT_REGION (which
 * the SDK alone would not read); undefined leaves it to the profile's `region` (--profile, else
 * AWS_PROFILE, else default), which the SDK reads from ~/.aws/config.
 */
export function regionOf(globals: GlobalOptions, env: Readonly<Record<string, string | undefined>>): string | undefined {
  return globals.region ?? (env.AWS_REGION?.trim() || undefined) ?? (env.AWS_DEFAULT_REGION?.trim() || undefined);
}

/**
 * What --region, --endpoint-url and --profile become for every SDK client. The clients' own
 * `profile` option reads that profile's credentials (including SSO, assume-role, process) and region
 * through the SDK's default chain, as the AWS CLI does: no separate credential provider is needed.
 */
export function clientConfig(globals: GlobalOptions, env: Readonly<Record<string, string | undefined>> = {}): { region?: string; endpoint?: string; profile?: string; logger: typeof QUIET } {
  const region = regionOf(globals, env);
  return {
    // The SDK's warnings (e.g. "Multiple credential sources" when --profile meets AWS_ACCESS_KEY_ID;
    // --profile wins, as in the AWS CLI) would break "one line on stderr"; errors still surface as errors.
    logger: QUIET,
    ...(region ? { region } : {}),
    ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}),
    ...(globals.profile ? { profile: globals.profile } : {}),
  };
}

const ignore = (): void => {};
const QUIET = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

export function sdkClients(globals: GlobalOptions, env: Readonly<Record<string, string | undefined>> = process.env): Clients {
  const config = clientConfig(globals, env);
  const made: Array<{ destroy(): void }> = [];
  const lazy = <C extends { destroy(): void; middlewareStack: Parameters<typeof rejectNonAwsAnswers>[0] }>(make: () => C): (() => C) => {
    let client: C | undefined;
    return () => {
      if (!client) {
        made.push((client = make()));
        rejectNonAwsAnswers(client.middlewareStack);
      }
      return client;
    };
  };
  return {
    rds: lazy(() => new RDSClient(config)),
    sfn: lazy(() => new SFNClient(config)),
    dynamo: lazy(() => new DynamoDBClient(config)),
    ec2: lazy(() => new EC2Client(config)),
    destroy: () => made.forEach((client) => client.destroy()),
  };
}

export interface RunDeps extends Io {
  /** The SDK clients for the global options; tests may give clients of their own. */
  clients?: (globals: GlobalOptions) => Clients;
  /** Who asks to cancel, recorded with the request. */
  requestedBy?: string;
  runLocal?: LocalRunner;
}

/** Runs one command line; returns the exit status. Every failure is one line on stderr. */
export async function run(argv: readonly string[], deps: RunDeps): Promise<number> {
  let clients: Clients | undefined;
  const clientsFor = (globals: GlobalOptions): Clients => (clients ??= deps.clients ? deps.clients(globals) : sdkClients(globals, deps.env));
  try {
    const { globals, args } = parseCommandLine(argv);
    switch (args.command) {
      case 'help':
        deps.stdout.write(usage(args.topic));
        return EXIT_OK;
      case 'list': {
        const aws = clientsFor(globals);
        if (args.kind === undefined) {
          const listings = listingClients(aws, globals);
          await listAllKinds(args, { kinds: EXPORT_KINDS.map((name) => ({ name, listing: () => listingOf(name, listings) })), stdout: deps.stdout, where: () => regionName(aws) });
          return EXIT_OK;
        }
        await listCommand(args, { listing: await listingOf(args.kind, listingClients(aws, globals)), stdout: deps.stdout });
        return EXIT_OK;
      }
      case 'watch':
        return await watchCommand(args, { source: await listingOf(args.kind, listingClients(clientsFor(globals), globals)), stdout: deps.stdout, now: deps.now, sleep: deps.sleep });
      case 'start':
        if (args.local) return await startLocalCommand(args, { stdout: deps.stdout, stderr: deps.stderr, ...(deps.runLocal ? { runLocal: deps.runLocal } : {}) });
        await startCommand(args, { sfn: clientsFor(globals).sfn(), stdout: deps.stdout, env: deps.env, now: deps.now });
        return EXIT_OK;
      case 'cancel': {
        const kind = definitionOf({ kind: args.kind });
        if (!kind.cancellable) throw new CliError(`${kind.title} cannot be canceled (the service has no cancel): the workflow stops following one at its deadline`);
        const table = tableOf(args, deps.env);
        const aws = clientsFor(globals);
        await cancelCommand(args, {
          exports: await listingOf(args.kind, listingClients(aws, globals)),
          store: new DynamoCoordinationStore(aws.dynamo(), table),
          callbacks: new StepFunctionsCallbacks(aws.sfn()),
          stdout: deps.stdout,
          requestedBy: deps.requestedBy ?? operatorName(),
        });
        return EXIT_OK;
      }
      default:
        return unreachable(args);
    }
  } catch (error) {
    const { line, exitCode } = describeFailure(error, { profile: profileOf(argv) });
    deps.stderr.write(`${line}\n`);
    return exitCode;
  } finally {
    clients?.destroy();
  }
}

/**
 * What the kinds' listings (shared/export-kinds/listings.ts) talk to. ADS has no SDK client here:
 * its region and credentials are resolved as the SDK clients resolve them (--region, --profile, the
 * environment), through one of those.
 */
function listingClients(clients: Clients, globals: GlobalOptions): ListingClients {
  return {
    rds: () => clients.rds(),
    ec2: () => clients.ec2(),
    ads: async () => {
      const probe = clients.rds();
      return { region: await probe.config.region(), ...(globals.endpointUrl ? { endpoint: globals.endpointUrl } : {}), credentials: () => probe.config.credentials() };
    },
  };
}

/** The region the clients resolved, for the notes of `list` (undefined when none could be). */
async function regionName(clients: Clients): Promise<string | undefined> {
  try {
    return await clients.rds().config.region();
  } catch {
    return undefined;
  }
}

/** --profile as given, for the message of a credentials error (the command line may be what failed to parse). */
function profileOf(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((arg) => arg === '--profile' || arg.startsWith('--profile='));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice('--profile='.length) : argv[at + 1];
}

function unreachable(args: never): never {
  throw new Error(`unknown command ${JSON.stringify(args)}`);
}

function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host is still worth recording.
  }
  return `${user}@${hostname()} (export-orchestrator cancel)`;
}
