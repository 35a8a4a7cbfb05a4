import { parsePlaceKey, placeKey, type Place } from '../accounts/place.ts';

/**
 * RDS runs at most 5 export tasks at once per account and region unless the quota was raised there
 * (a Service Quotas request, per account and region). EXPORT_QUOTA is every place's quota; a raised
 * (or deliberately lowered) one is named in EXPORT_QUOTA_OVERRIDES: `123456789012=3` for every region
 * of an account, `123456789012/eu-west-1=2` for one place (the place wins over its account).
 */
export interface QuotaOverrides {
  /** By account id. */
  accounts: ReadonlyMap<string, number>;
  /** By placeKey (`123456789012/eu-west-1`). */
  places: ReadonlyMap<string, number>;
}

export const NO_OVERRIDES: QuotaOverrides = { accounts: new Map(), places: new Map() };

const ACCOUNT = /^\d{12}$/;

/**
 * Reads `account=N` and `account/region=N`, separated by commas (spaces allowed). Every malformed
 * item is named, with what to write instead.
 */
export function parseQuotaOverrides(text: string): { overrides: QuotaOverrides; problems: string[] } {
  const accounts = new Map<string, number>();
  const places = new Map<string, number>();
  const problems: string[] = [];
  for (const item of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [where = '', count, ...rest] = item.split('=').map((part) => part.trim());
    const quota = Number(count);
    if (count === undefined || rest.length > 0 || count === '' || !Number.isInteger(quota) || quota < 1) {
      problems.push(`"${item}": the quota must be a whole number of at least 1 after "=" (e.g. 123456789012=3)`);
      continue;
    }
    if (ACCOUNT.test(where)) {
      if (accounts.has(where)) problems.push(`"${item}": account ${where} is named twice`);
      accounts.set(where, quota);
      continue;
    }
    const place = parsePlaceKey(where);
    if (!place) {
      problems.push(`"${item}": "${where}" is neither a 12-digit account id nor account/region (e.g. 123456789012/eu-west-1)`);
      continue;
    }
    if (places.has(placeKey(place))) problems.push(`"${item}": ${placeKey(place)} is named twice`);
    places.set(placeKey(place), quota);
  }
  return { overrides: { accounts, places }, problems };
}

/** The quota of a place: its own override, else its account's, else the default. */
export const quotaOf =
  (defaultQuota: number, overrides: QuotaOverrides = NO_OVERRIDES) =>
  (place: Place): number =>
    overrides.places.get(placeKey(place)) ?? overrides.accounts.get(place.account) ?? defaultQuota;
