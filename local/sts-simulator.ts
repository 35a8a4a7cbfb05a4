import type { HttpRequest } from '@smithy/types';
import { QueryError, type QueryService } from './aws-query.ts';
import { callerOf, type LocalIdentities } from './identity.ts';

/** STS's Query API namespace (queryHandler's dialect). */
export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsSimulatorOptions {
  identities: LocalIdentities;
  /** Whether the role exists in its account (a member stack that was not deployed has none). */
  roleExists: (account: string, roleName: string) => boolean;
  /** The external id the member roles' trust policy requires; none when absent. */
  externalId?: string;
  /** Injected faults (local/faults.ts): the error to answer instead, while a fault window is open. */
  fault?: (operation: string) => Error | undefined;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** AssumeRole's DurationSeconds: 15 minutes to the role's maximum (1 hour unless raised); 1 hour when absent. */
const DEFAULT_DURATION_SECONDS = 3600;

/**
 * AWS STS's AssumeRole, locally: the role must exist in its account and trust the caller (with the
 * external id when the role requires one), else AccessDenied, as STS answers both; the session's
 * credentials carry the role's account (local/identity.ts), so the simulators see which account calls.
 */
export class StsSimulator implements QueryService {
  readonly calls: Record<string, number> = {};
  /** AssumeRole calls per role account (granted or refused). */
  readonly assumeRoleCalls = new Map<string, number>();

  constructor(private readonly options: StsSimulatorOptions) {}

  handle(action: string, params: URLSearchParams, request?: HttpRequest): Record<string, unknown> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    const caller = this.options.identities.verify(request && callerOf(request));
    const fault = this.options.fault?.(action);
    if (fault) throw fault;
    if (action === 'GetCallerIdentity') return { Account: caller.account, Arn: `arn:aws:sts::${caller.account}:assumed-role/local/${caller.accessKeyId}`, UserId: caller.accessKeyId };
    if (action !== 'AssumeRole') throw new QueryError('InvalidAction', `The simulator does not implement ${action}`);
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw new QueryError('ValidationError', `${JSON.stringify(roleArn)} is not a valid role ARN`);
    if (!SESSION_NAME.test(sessionName)) {
      throw new QueryError('ValidationError', "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    }
    const [, account, roleName] = match as unknown as [string, string, string];
    this.assumeRoleCalls.set(account, (this.assumeRoleCalls.get(account) ?? 0) + 1);
    const externalId = params.get('ExternalId') ?? undefined;
    // STS says the same whether the role is missing or does not trust the caller: it does not tell which.
    if (!this.options.roleExists(account, roleName) || (this.options.externalId !== undefined && externalId !== this.options.externalId)) {
      throw new QueryError('AccessDenied', `User: arn:aws:sts::${caller.account}:assumed-role/local/${caller.accessKeyId} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    const duration = Number(params.get('DurationSeconds') ?? DEFAULT_DURATION_SECONDS);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
      throw new QueryError('ValidationError', `The requested DurationSeconds ${duration} is outside 900-43200`);
    }
    const credentials = this.options.identities.issue(account, roleArn, duration);
    return {
      Credentials: { AccessKeyId: credentials.accessKeyId, SecretAccessKey: credentials.secretAccessKey, SessionToken: credentials.sessionToken, Expiration: credentials.expiration },
      AssumedRoleUser: { AssumedRoleId: `AROALOCAL${account}:${sessionName}`, Arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}` },
    };
  }
}
