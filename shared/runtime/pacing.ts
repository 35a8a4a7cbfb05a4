/**
 * The RDS API throttles at about 12 requests/s per account, shared by everything that calls it.
 * The functions that a burst of events (or a sweep of a large account) would make call RDS many
 * times share the budget by construction: each container spaces its own calls at least
 * `intervalMs` apart, and the function's reserved concurrency caps the containers. Their product
 * is the function's worst-case rate (RDS_CALL_BUDGET below, checked against serverless.yml).
 */

/** Requests per second of the RDS API the account can sustain (RDS throttles above about 12/s). */
export const RDS_REQUESTS_PER_SECOND = 12;

/** How the event-driven RDS callers share that budget; the remainder is left to the workflow's own polls. */
export const RDS_CALL_BUDGET = {
  /** snapshot-trigger: one DescribeDB(Cluster)Snapshots per event. */
  snapshotTrigger: { reservedConcurrency: 2, intervalMs: 250 },
  /** reconcile-snapshots: listing pages, one sweep at a time. */
  reconcileSnapshots: { reservedConcurrency: 1, intervalMs: 500 },
} as const;

/** The worst-case requests per second of a caller: containers × calls per second each. */
export const worstCaseRate = ({ reservedConcurrency, intervalMs }: { reservedConcurrency: number; intervalMs: number }): number =>
  (reservedConcurrency * 1000) / intervalMs;

/** Hands out call times at least `intervalMs` apart; the first call goes at once. */
export class Pacer {
  private next = -Infinity;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** How long the call asked for now must wait (and books its slot). */
  reserve(): number {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    return at - now;
  }

  async wait(): Promise<void> {
    const delay = this.reserve();
    if (delay > 0) await this.sleep(delay);
  }
}
