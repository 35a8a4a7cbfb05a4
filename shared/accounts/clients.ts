import type { STSClientConfig } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { systemClock, type Clock } from '../runtime/clock.ts';
import { onFirstUse } from '../runtime/on-first-use.ts';
import { reachedThroughRole, type Members } from './members.ts';
import type { Place } from './place.ts';
import { MemberSessions } from './sessions.ts';

/**
 * The member sessions of a Lambda, made once per cold start. STS's adapter is imported on the first
 * AssumeRole (the rule of shared/export-kinds/rds/adapter-on-first-use.ts): a deployment whose sources are all
 * its own never loads the STS client.
 */
const stsAdapter = /* @__PURE__ */ onFirstUse(() => import('./sts-role-assumer.ts'));

export interface SessionOptions {
  /** Where STS is called (the local run points it at its simulator); the Lambda's own region by default. */
  sts?: STSClientConfig;
  clock?: Clock;
}

export function memberSessions(members: Members, { sts = {}, clock = systemClock }: SessionOptions = {}): MemberSessions {
  const assumer = onFirstUse(async () => (await stsAdapter()).stsRoleAssumer({ ...(members.homeRegion ? { region: members.homeRegion } : {}), ...sts }));
  return new MemberSessions(members, assumer, clock);
}

/**
 * An SDK client's config for a place: `base` (endpoint, handler: the local run's simulators), in the
 * place's region, with the Lambda's own credentials for its own account and the member role's
 * session for a member account (asked for on the client's first call, renewed before it expires).
 * `reach(place)` has the place's session now: a member whose role cannot be assumed is refused
 * (MemberAccessDenied) before anything is queued for it.
 */
export interface PlaceClients {
  <C extends object>(place: Place, base?: C): C & { region: string; credentials?: AwsCredentialIdentityProvider };
  reach(place: Place): Promise<void>;
}

export function placeClientConfigs(members: Members, sessions: MemberSessions): PlaceClients {
  const configFor = <C extends object>(place: Place, base: C = {} as C): C & { region: string; credentials?: AwsCredentialIdentityProvider } => {
    if (!reachedThroughRole(members, place.account)) return { ...base, region: place.region };
    const credentials: AwsCredentialIdentityProvider = () => sessions.credentials(place);
    return { ...base, region: place.region, credentials };
  };
  const reach = async (place: Place): Promise<void> => {
    if (reachedThroughRole(members, place.account)) await sessions.credentials(place);
  };
  return Object.assign(configFor, { reach });
}

/** The client configs per place of a Lambda: its member sessions made once, shared by every client. */
export function placeClients(members: Members, options: SessionOptions = {}): PlaceClients {
  return placeClientConfigs(members, memberSessions(members, options));
}
