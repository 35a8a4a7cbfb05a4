import type { AwsCredentialIdentity, HttpAuthScheme, HttpRequest, HttpSigner } from '@smithy/types';
import type { Place } from '../shared/accounts/place.ts';
import { QueryError } from './aws-query.ts';

/**
 * Who calls, locally: credentials that carry their account, and a signer that stamps the access key
 * and the region into each request, so that a simulator knows each request's caller place (account
 * from the key, region from the signing scope) as AWS does from a SigV4 signature.
 *
 * The signer computes no HMAC: SigV4 is close to half of what an SDK call costs here, and a fleet
 * makes some 100,000 calls. It writes the Authorization header SigV4 would (same scope, same form),
 * with a placeholder signature; the wire tests (moto_server) keep the real signer.
 */

/** Access key ids as AWS makes them: 20 characters, AKIA for long-term keys, ASIA for a session's. The last 12 are the account here. */
const ACCESS_KEY = /^(AKIA|ASIA)([0-9A-Z]{4})(\d{12})$/;

/** The long-term credentials of an account (what a Lambda's own role gives it, locally). */
export function localCredentials(account: string): AwsCredentialIdentity {
  return { accessKeyId: `AKIA0000${checkedAccount(account)}`, secretAccessKey: `local-secret-${account}` };
}

/** The account an access key id of ours belongs to; undefined for any other key. */
export function accountOfAccessKey(accessKeyId: string): string | undefined {
  return ACCESS_KEY.exec(accessKeyId)?.[3];
}

/** What a simulator knows of a request's caller: its key, the account and region it signed for, its session token. */
export interface Caller extends Place {
  accessKeyId: string;
  service: string;
  sessionToken?: string;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** The caller of a request signed by LOCAL_SIGNER (or by the real SigV4 signer with our keys); undefined when unsigned. */
export function callerOf(request: Pick<HttpRequest, 'headers'>): Caller | undefined {
  const match = AUTHORIZATION.exec(header(request.headers, 'authorization') ?? '');
  if (!match) return undefined;
  const [, accessKeyId, region, service] = match as unknown as [string, string, string, string];
  const account = accountOfAccessKey(accessKeyId);
  if (!account) return undefined;
  const sessionToken = header(request.headers, 'x-amz-security-token');
  return { accessKeyId, account, region, service, ...(sessionToken ? { sessionToken } : {}) };
}

/** Stamps the access key, the signing region and service (and the session token) as SigV4 would; no HMAC. */
export const LOCAL_SIGNER: HttpSigner = {
  sign: async (request, identity, properties) => {
    const { accessKeyId, sessionToken } = identity as AwsCredentialIdentity;
    // As the SDK's SigV4 signer finds them: the client's auth option names them (`name`, `region`).
    const region = String(properties.signingRegion ?? properties.region ?? 'us-east-1');
    const service = String(properties.signingName ?? properties.name ?? 'unknown');
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    request.headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${day}/${region}/${service}/aws4_request, SignedHeaders=host, Signature=local`;
    if (sessionToken) request.headers['x-amz-security-token'] = sessionToken;
    return request;
  },
};

/**
 * The auth scheme of every local SDK client: the client's own credentials (its `credentials`
 * setting: an account's keys, or a session's from AssumeRole), signed by LOCAL_SIGNER.
 */
export const LOCAL_AUTH_SCHEMES: HttpAuthScheme[] = [
  { schemeId: 'aws.auth#sigv4', identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'), signer: LOCAL_SIGNER },
];

interface Session {
  account: string;
  roleArn: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

/**
 * The sessions the local STS has issued: a simulator asks it whether a caller's key is good (an
 * expired or unknown session is refused as AWS refuses it) before it answers.
 */
export class LocalIdentities {
  private readonly sessions = new Map<string, Session>();
  private issued = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A session in `account` for `roleArn`, valid for `durationSeconds`. */
  issue(account: string, roleArn: string, durationSeconds: number): AwsCredentialIdentity & { expiration: Date } {
    const serial = (++this.issued).toString(36).toUpperCase().padStart(4, '0').slice(-4);
    const accessKeyId = `ASIA${serial}${checkedAccount(account)}`;
    const session: Session = {
      account,
      roleArn,
      secretAccessKey: `local-session-secret-${this.issued}`,
      sessionToken: `local-session-token-${this.issued}-${account}`,
      expiresAt: this.now() + durationSeconds * 1000,
    };
    this.sessions.set(accessKeyId, session);
    return { accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiration: new Date(session.expiresAt) };
  }

  /**
   * The caller's place, if its credentials are good: an account's long-term key, or a session
   * issued here, unexpired, with its token. Throws the error AWS answers otherwise.
   */
  verify(caller: Caller | undefined): Caller {
    if (!caller) throw new QueryError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    if (caller.accessKeyId.startsWith('AKIA')) return caller;
    const session = this.sessions.get(caller.accessKeyId);
    if (!session || session.sessionToken !== caller.sessionToken) {
      throw new QueryError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
    }
    if (this.now() >= session.expiresAt) throw new QueryError('ExpiredToken', 'The security token included in the request is expired', 403);
    return caller;
  }
}

function checkedAccount(account: string): string {
  if (!/^\d{12}$/.test(account)) throw new Error(`local identity: ${JSON.stringify(account)} is not a 12-digit account id`);
  return account;
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
