export function firstValidDate(...candidates: (string | undefined)[]): Date | undefined {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const date = new Date(candidate);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return undefined;
}

/** The time a scheduled event was due: the same on Lambda's retries, so a live cluster's name dedups them. */
export function scheduledTime(event: unknown, now: Date): Date {
  return firstValidDate((event as { time?: string } | null | undefined)?.time) ?? now;
}
