import type { Clock } from '../runtime/clock.ts';
import { isTransient, toWorkflowError } from '../runtime/aws-errors.ts';
import { MemberAccessDenied, TransientAwsError } from '../runtime/errors.ts';
import { memberRoleArn, type Members } from './members.ts';
import { placeKey, type Place } from './place.ts';

/** A session's temporary credentials, as STS gives them. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface AssumeRoleRequest {
  roleArn: string;
  sessionName: string;
  externalId?: string;
  durationSeconds: number;
}

/** The port of the sessions: STS's AssumeRole. Its adapter is sts-role-assumer.ts, loaded on first use (clients.ts). */
export interface RoleAssumer {
  assumeRole(request: AssumeRoleRequest): Promise<SessionCredentials>;
}

/** How long a member session lasts: STS's default, and a role's maximum unless it was raised. */
export const SESSION_SECONDS = 3600;
/**
 * A session is renewed this long before it expires, so that no call is signed with credentials
 * about to lapse (the SDK itself asks again for credentials within 5 minutes of their expiry).
 */
export const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** A role that was refused is not asked again for this long: a burst of a member's executions makes one AssumeRole, not one each. */
export const REFUSAL_REMEMBERED_MS = 60_000;

interface Cached {
  session: Promise<SessionCredentials>;
  /** When the session (or the refusal) stops being good; undefined while the AssumeRole is in flight. */
  goodUntil?: number;
}

/**
 * The sessions in the member accounts: one AssumeRole per account (not per region, not per call),
 * shared by every client of the Lambda, renewed shortly before it expires. Calls made while one is
 * being assumed wait for it. A refusal (AccessDenied) is a MemberAccessDenied naming the account,
 * the role and what to do; throttling is a TransientAwsError (the state machine retries it).
 */
export class MemberSessions {
  private readonly cache = new Map<string, Cached>();
  /** AssumeRole calls made, per account. */
  readonly assumed = new Map<string, number>();

  constructor(
    private readonly members: Members,
    private readonly assumer: () => Promise<RoleAssumer>,
    private readonly clock: Clock,
  ) {}

  /** The credentials of the member role in the place's account (the place's region names the call that needs them, in errors). */
  credentials(place: Place): Promise<SessionCredentials> {
    const now = this.clock().getTime();
    const cached = this.cache.get(place.account);
    if (cached && (cached.goodUntil === undefined || now < cached.goodUntil)) return cached.session;
    const entry: Cached = { session: this.assume(place) };
    this.cache.set(place.account, entry);
    entry.session.then(
      (session) => (entry.goodUntil = session.expiration.getTime() - RENEW_BEFORE_EXPIRY_MS),
      (error: unknown) => {
        if (error instanceof MemberAccessDenied) entry.goodUntil = this.clock().getTime() + REFUSAL_REMEMBERED_MS;
        else if (this.cache.get(place.account) === entry) this.cache.delete(place.account);
      },
    );
    return entry.session;
  }

  private async assume(place: Place): Promise<SessionCredentials> {
    const roleArn = memberRoleArn(this.members, place.account);
    this.assumed.set(place.account, (this.assumed.get(place.account) ?? 0) + 1);
    try {
      const assumer = await this.assumer();
      return await assumer.assumeRole({
        roleArn,
        sessionName: this.members.sessionName,
        ...(this.members.externalId ? { externalId: this.members.externalId } : {}),
        durationSeconds: SESSION_SECONDS,
      });
    } catch (error) {
      throw this.failure(place, roleArn, error);
    }
  }

  private failure(place: Place, roleArn: string, error: unknown): Error {
    const name = (error as { name?: string } | undefined)?.name ?? 'Error';
    const said = `${name}: ${(error as Error | undefined)?.message ?? String(error)}`;
    if (isTransient(error)) return new TransientAwsError(`AssumeRole of ${roleArn} for ${placeKey(place)} failed, to be retried: ${said}`, { cause: error });
    if (ACCESS_DENIED.has(name)) {
      const trust = this.members.externalId ? ' and the external id (memberExternalId)' : '';
      return new MemberAccessDenied(
        `Account ${place.account} (${place.region}): this deployment cannot assume ${roleArn} (${said}). ` +
          `Deploy the member stack (member/member-account.yml) in account ${place.account}, or check that the role's trust policy allows this deployment's function roles${trust}; ` +
          'the other accounts are not affected.',
        { cause: error },
      );
    }
    return toWorkflowError(`AssumeRole of ${roleArn} for ${placeKey(place)}`, error);
  }
}

/** What STS answers when the role does not exist, does not trust the caller, or wants another external id. */
const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
