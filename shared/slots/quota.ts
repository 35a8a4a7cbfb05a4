import { placeKey, type Place } from '../accounts/place.ts';
import { NO_OVERRIDES, type QuotaOverrides } from '../runtime/quota-overrides.ts';

/** The quota of a place: its own override, else its account's, else the default (EXPORT_QUOTA, EXPORT_QUOTA_OVERRIDES). */
export const quotaOf =
  (defaultQuota: number, overrides: QuotaOverrides = NO_OVERRIDES) =>
  (place: Place): number =>
    overrides.places.get(placeKey(place)) ?? overrides.accounts.get(place.account) ?? defaultQuota;
