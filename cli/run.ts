import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { placeClientConfigs } from '../shared/accounts/clients.ts';
import { membersOf } from '../shared/accounts/members.ts';
import type { Place } from '../shared/accounts/place.ts';
import { MemberSessions } from '../shared/accounts/sessions.ts';
import { stsRoleAssumer } from '../shared/accounts/sts-role-assumer.ts';
import type { ExportListing } from '../shared/export-kinds/contract.ts';
import { systemClock } from '../shared/runtime/clock.ts';
import { membersConfigShape, readConfig } from '../shared/runtime/config.ts';
import { placesOf, watchAcrossPlaces } from './places.ts';
import { hostname, userInfo } from 'node:os';
import { DynamoCoordinationStore } from '../shared/slots/dynamodb-store.ts';
import { StepFunctionsCallbacks } from '../shared/workflow/step-functions.ts';
import { definitionOf, EXPORT_KINDS } from '../shared/export-kinds/registry.ts';
import { listingOf, type ListingClients } from '../shared/export-kinds/listings.ts';
import { parseCommandLine, type GlobalOptions, type PlaceArgs } from './args.ts';
import { cancelCommand, tableOf } from './commands/cancel.ts';
import { listAllKinds, listCommand, listPlaces } from './commands/list.ts';
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
  /** Who the caller is (--accounts: its own account needs no role), and the member roles it assumes. */
  sts?(): STSClient;
  /** An RDS client in another account or region (--accounts, --regions): the config's credentials and region. */
  rdsIn?(config: { region: string; credentials?: unknown }): RDSClient;
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
    sts: lazy(() => new STSClient(config)),
    // One per place, made when its listing is: with the place's region and (for a member) the member session.
    rdsIn: (place) => lazy(() => new RDSClient({ ...config, ...(place as object) }))(),
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
        if (args.places) {
          await listPlaces(args, { places: await placeListings(aws, globals, deps.env, args.places), stdout: deps.stdout });
          return EXIT_OK;
        }
        if (args.kind === undefined) {
          const listings = listingClients(aws, globals);
          await listAllKinds(args, { kinds: EXPORT_KINDS.map((name) => ({ name, listing: () => listingOf(name, listings) })), stdout: deps.stdout, where: () => regionName(aws) });
          return EXIT_OK;
        }
        await listCommand(args, { listing: await listingOf(args.kind, listingClients(aws, globals)), stdout: deps.stdout });
        return EXIT_OK;
      }
      case 'watch': {
        const aws = clientsFor(globals);
        const source = args.places
          ? watchAcrossPlaces(await Promise.all((await placeListings(aws, globals, deps.env, args.places)).map(async ({ place, listing }) => ({ place, source: await listing() }))))
          : await listingOf(args.kind, listingClients(aws, globals));
        return await watchCommand(args, { source, stdout: deps.stdout, now: deps.now, sleep: deps.sleep });
      }
      case 'start':
        if (args.local) return await startLocalCommand(args, { stdout: deps.stdout, stderr: deps.stderr, ...(deps.runLocal ? { runLocal: deps.runLocal } : {}) });
        {
          const aws = clientsFor(globals);
          // --again reads the source's export tasks in the source's own region.
          const rds = (region: string) => (aws.rdsIn ? aws.rdsIn({ region }) : aws.rds());
          await startCommand(args, { sfn: aws.sfn(), rds, stdout: deps.stdout, env: deps.env, now: deps.now });
        }
        return EXIT_OK;
      case 'cancel': {
        const kind = definitionOf({ kind: args.kind });
        if (!kind.cancellable) throw new CliError(`${kind.title} cannot be canceled (the service has no cancel): the workflow stops following one at its deadline`);
        const table = tableOf(args, deps.env);
        const aws = clientsFor(globals);
        await cancelCommand(args, {
          exports: args.places
            ? watchAcrossPlaces(await Promise.all((await placeListings(aws, globals, deps.env, args.places)).map(async ({ place, listing }) => ({ place, source: await listing() }))))
            : await listingOf(args.kind, listingClients(aws, globals)),
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

/**
 * The RDS listing of every place of --accounts and --regions: the caller's own account with its own
 * credentials, a member's through the member role (MEMBER_ROLE_NAME, MEMBER_EXTERNAL_ID from the
 * environment, as the deployment has them), one session per account.
 */
async function placeListings(clients: Clients, globals: GlobalOptions, env: Readonly<Record<string, string | undefined>>, args: PlaceArgs): Promise<Array<{ place: Place; listing: () => Promise<ExportListing> }>> {
  if (!clients.sts || !clients.rdsIn) throw new CliError('--accounts and --regions need STS and RDS clients of any account');
  const region = await clients.rds().config.region();
  const { Account: own } = await clients.sts().send(new GetCallerIdentityCommand({}));
  const places = placesOf(args, env, own ?? '', region);
  const members = membersOf(
    readConfig(membersConfigShape, {
      MEMBER_ACCOUNTS: places.map((place) => place.account).join(','),
      MEMBER_REGIONS: [...new Set(places.map((place) => place.region))].join(','),
      ORCHESTRATOR_ACCOUNT: own,
      AWS_REGION: region,
      MEMBER_ROLE_NAME: env.MEMBER_ROLE_NAME,
      MEMBER_EXTERNAL_ID: env.MEMBER_EXTERNAL_ID,
      AWS_LAMBDA_FUNCTION_NAME: 'export-orchestrator-cli',
    }),
  );
  const sts = clients.sts();
  const configFor = placeClientConfigs(members, new MemberSessions(members, async () => stsRoleAssumer(sts), systemClock));
  const rdsIn = clients.rdsIn;
  return places.map((place) => ({
    place,
    listing: () => {
      const rds = rdsIn(configFor(place));
      return listingOf('rds', { rds: () => rds, ec2: () => clients.ec2(), ads: async () => ({ region: place.region, credentials: () => rds.config.credentials() }) });
    },
  }));
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
