/**
 * EXPORT_QUOTA_OVERRIDES as read once by config.ts: RDS runs at most 5 export tasks at once per
 * account and Region unless the quota was raised there (a Service Quotas request, per account and
 * Region). A raised (or deliberately lowered) one is named: `123456789012=3` for every Region of an
 * account, `123456789012/eu-west-1=2` for one place (the place wins over its account). The keys are
 * the places' keys (shared/accounts/place.ts placeKey); shared/slots/quota.ts looks them up.
 */
export interface QuotaOverrides {
  /** By account id. */
  accounts: ReadonlyMap<string, number>;
  /** By place key (`123456789012/eu-west-1`). */
  places: ReadonlyMap<string, number>;
}

export const NO_OVERRIDES: QuotaOverrides = { accounts: new Map(), places: new Map() };

const ACCOUNT = /^\d{12}$/;
/** An account and a Region, as placeKey writes them. */
const PLACE = /^\d{12}\/[a-z]{2}(-[a-z]+)+-\d$/;

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
    const target = ACCOUNT.test(where) ? accounts : PLACE.test(where) ? places : undefined;
    if (!target) {
      problems.push(`"${item}": "${where}" is neither a 12-digit account id nor account/region (e.g. 123456789012/eu-west-1)`);
      continue;
    }
    if (target.has(where)) problems.push(`"${item}": ${target === accounts ? 'account ' : ''}${where} is named twice`);
    target.set(where, quota);
  }
  return { overrides: { accounts, places }, problems };
}
