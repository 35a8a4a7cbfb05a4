/**
 * Where an export runs: RDS's quota (5 concurrent exports), its API budget and every call of an
 * export belong to the source's own account and region. One deployment serves many such places
 * (issue 14): the slots, the sessions and the simulators are kept per place.
 */
export interface Place {
  /** The 12-digit AWS account id. */
  account: string;
  region: string;
}

const ARN = /^arn:[a-z-]+:[a-z0-9-]+:([a-z0-9-]+):(\d{12}):/;

/** The place of a regional ARN (an RDS snapshot or cluster, an EC2 image…); undefined for anything else. */
export function placeOfArn(arn: string): Place | undefined {
  const match = ARN.exec(arn);
  return match && match[1] ? { account: match[2]!, region: match[1] } : undefined;
}

/** The key of a place in stores and maps, and how notifications and the CLI name it: `123456789012/eu-west-1`. */
export function placeKey(place: Place): string {
  return `${place.account}/${place.region}`;
}

const PLACE_KEY = /^(\d{12})\/([a-z0-9-]+)$/;

/** The place a placeKey names; undefined for anything else. */
export function parsePlaceKey(key: string): Place | undefined {
  const match = PLACE_KEY.exec(key);
  return match ? { account: match[1]!, region: match[2]! } : undefined;
}

export const samePlace = (a: Place, b: Place): boolean => a.account === b.account && a.region === b.region;
