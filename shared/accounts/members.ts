import { splitList, type ExportDefaults, type MembersConfig } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { quote } from '../runtime/format.ts';
import { placeKey, type Place } from './place.ts';

/**
 * Which places this deployment serves, and how it reaches them: its own account (the Lambda's own
 * credentials) and each member account (a role assumed there), in each member region. Read once
 * from the configuration (membersConfigShape), like every setting.
 */
export interface Members {
  /**
   * The deployment's own account; unknown when ORCHESTRATOR_ACCOUNT is not set (never when deployed): every
   * account not a member is then taken for it, and naming one of its places is a configuration error.
   */
  home?: string;
  /** The stack's own region. */
  homeRegion?: string;
  partition: string;
  /** The member accounts, the deployment's own left out: these are reached through the member role. */
  accounts: string[];
  /** The regions served in every account; the stack's own when none is listed. */
  regions: string[];
  roleName: string;
  exportRoleName: string;
  externalId?: string;
  /** The RoleSessionName of every AssumeRole: names the deployment in the member's CloudTrail. */
  sessionName: string;
}

/** What a request is built with: the deploy-time defaults, and the places the deployment serves (none given: the stack's own region, as before members). */
export type RequestDefaults = ExportDefaults & { members?: Members };

/** Deployments without members: the stack's own account, in its own region. */
export const NO_MEMBERS: Members = { partition: 'aws', accounts: [], regions: [], roleName: 'export-orchestrator-member', exportRoleName: 'export-orchestrator-member-export', sessionName: 'export-orchestrator' };

/** RoleSessionName: 2-64 of letters, digits and + = , . @ _ - */
const SESSION_NAME_CHARACTERS = /[^\w+=,.@-]/g;

/** The members of a configuration; a list of members across partitions is a configuration error. */
export function membersOf(config: MembersConfig): Members {
  const homeRegion = config.AWS_REGION?.trim() || undefined;
  const regions = [...new Set(splitList(config.MEMBER_REGIONS))];
  const servedRegions = regions.length > 0 ? regions : homeRegion ? [homeRegion] : [];
  const partition = partitionOf(homeRegion ?? servedRegions[0] ?? 'us-east-1');
  const elsewhere = servedRegions.filter((region) => partitionOf(region) !== partition);
  if (elsewhere.length > 0) {
    throw new ConfigurationError(
      `Configuration: MEMBER_REGIONS lists ${elsewhere.join(', ')}, outside the stack's partition ${partition}${homeRegion ? ` (${homeRegion})` : ''}: a role of one partition cannot be assumed from another; deploy a stack in that partition for them (memberRegions)`,
    );
  }
  const home = config.ORCHESTRATOR_ACCOUNT;
  const accounts = [...new Set(splitList(config.MEMBER_ACCOUNTS))].filter((account) => account !== home);
  const sessionName = (config.AWS_LAMBDA_FUNCTION_NAME ?? 'export-orchestrator').replace(SESSION_NAME_CHARACTERS, '-').slice(0, 64).padEnd(2, '-');
  return {
    ...(home ? { home } : {}),
    ...(homeRegion ? { homeRegion } : {}),
    partition,
    accounts,
    regions: servedRegions,
    roleName: config.MEMBER_ROLE_NAME,
    exportRoleName: config.MEMBER_EXPORT_ROLE_NAME,
    ...(config.MEMBER_EXTERNAL_ID ? { externalId: config.MEMBER_EXTERNAL_ID } : {}),
    sessionName,
  };
}

/** Whether calls for this account go through the member role (a member, not the deployment's own). */
export function reachedThroughRole(members: Members, account: string): boolean {
  return account !== members.home && members.accounts.includes(account);
}

/**
 * Every place the deployment serves: its own account and the members, in every region served. The
 * own account's places cannot be named without its id: a configuration error, not a sweep that
 * silently leaves them out (a deployment always sets ORCHESTRATOR_ACCOUNT, serverless.yml).
 */
export function servedPlaces(members: Members): Place[] {
  const home = homeAccount(members, 'the served places include those of');
  if (members.regions.length === 0) throw new ConfigurationError('Configuration: neither MEMBER_REGIONS nor AWS_REGION is set: no region is served (the Lambda runtime sets AWS_REGION)');
  return [home, ...members.accounts].flatMap((account) => members.regions.map((region) => ({ account, region })));
}

/**
 * The place of a source that may name its account and its region (a scheduled source): what it
 * leaves out is the deployment's own account, the stack's region. Its clients follow from the
 * account (shared/accounts/clients.ts): a member's through its role, any other's the function's own.
 */
export function placeOfSource(members: Members, named: Partial<Place>): Place {
  const account = named.account ?? homeAccount(members, 'a source that names no account is in');
  const region = named.region ?? members.homeRegion;
  if (region === undefined) throw new ConfigurationError("Configuration: AWS_REGION is not set: a source that names no region is in the stack's own (the Lambda runtime sets AWS_REGION)");
  return { account, region };
}

/** The deployment's own account id, where one of its places must be named (`why`: what is in it); only ORCHESTRATOR_ACCOUNT gives it. */
function homeAccount(members: Members, why: string): string {
  if (members.home === undefined) throw new ConfigurationError(`Configuration: ORCHESTRATOR_ACCOUNT is not set: ${why} the deployment's own account, whose id it gives (serverless.yml sets it to AWS::AccountId)`);
  return members.home;
}

/**
 * Whether a place is served. With no member and no known home account, any account of the
 * stack's region is (as before members existed: RDS itself refuses another account's source).
 */
export function serves(members: Members, place: Place): boolean {
  const region = members.regions.length === 0 || members.regions.includes(place.region);
  if (!region) return false;
  if (members.accounts.includes(place.account) || place.account === members.home) return true;
  return members.home === undefined;
}

/** The role assumed in a member account to call RDS there. */
export function memberRoleArn(members: Members, account: string): string {
  return `arn:${members.partition}:iam::${account}:role/${members.roleName}`;
}

/** The role RDS assumes in a member account to write the export to the central bucket: a member source's default iamRoleArn. */
export function memberExportRoleArn(members: Members, account: string): string {
  return `arn:${members.partition}:iam::${account}:role/${members.exportRoleName}`;
}

/**
 * Why a source's place is not served, for the execution input's problems: which field, which
 * account or region, and how to add it. Undefined when it is served.
 */
export function unservedPlaceProblem(field: string, arn: string, place: Place, members: Members): string | undefined {
  if (serves(members, place)) return undefined;
  const regionServed = members.regions.length === 0 || members.regions.includes(place.region);
  const accountServed = members.home === undefined || place.account === members.home || members.accounts.includes(place.account);
  const parts: string[] = [];
  if (!accountServed) parts.push(`account ${place.account} is not a member (served: ${[members.home, ...members.accounts].filter(Boolean).join(', ')}): add it to memberAccounts and deploy the member stack there`);
  if (!regionServed) parts.push(`region ${place.region} is not served (served: ${members.regions.join(', ')}): add it to memberRegions`);
  return `${field} ${quote(arn)} is in ${placeKey(place)}, which this deployment does not serve: ${parts.join('; ')}`;
}

/** The partition of a region: aws-cn for China, aws-us-gov for GovCloud, the ISO partitions, else aws. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}
