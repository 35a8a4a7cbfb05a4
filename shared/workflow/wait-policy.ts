import type { ExportStatus } from '../export-kinds/status.ts';

export interface PollBounds {
  minSeconds: number;
  maxSeconds: number;
  /** RDS export events end a wait early; then, once the export runs, a poll is only the safety net. 0: no events. */
  eventSafetyNetSeconds?: number;
}

export interface ProgressReading {
  status: ExportStatus;
  percent: number;
  /** Since the export task began (our StartExportTask call, or the adopted task's start). */
  secondsSinceStart: number;
  /** Since the task began making progress (RDS TaskStartTime when given), the origin of the rate. */
  secondsSinceProgressOrigin: number;
  secondsToDeadline: number;
}

/** Share of the (conservatively) estimated remaining time to wait while the estimate is still coarse. */
const APPROACH = 0.8;
/** Detection target: the end is noticed within this share of the export's duration (or the minimum wait). */
const LATENCY_SHARE = 0.02;

/**
 * How long to wait before the next poll. Step Functions bills each transition, so a long export
 * should be polled rarely, yet its end noticed soon:
 * - no progress yet (STARTING, 0 %): back off, doubling the time since the start;
 * - progress p % after t seconds: with a steady rate the end lies between t·100/(p+1) and t·100/p.
 *   While that window is wider than the latency target, wait 80 % of the way to its early edge
 *   (the estimate sharpens as p grows); once it is narrow enough, wait for its late edge, so the
 *   next poll sees the end.
 * Never shorter than 2 % of the time since the start (within the latency target anyway), so even
 * a task stuck at 99 % for days stays far below Step Functions' 25,000 history events.
 * Always within [min, max] (or the event safety net, when RDS export events wake the wait), and
 * never past the deadline, so a cancel is on time.
 */
export function nextWaitSeconds(reading: ProgressReading, bounds: PollBounds): number {
  const floor = Math.max(bounds.minSeconds, LATENCY_SHARE * reading.secondsSinceStart);
  let wait = clamp(untilLikelyChange(reading, bounds), Math.min(floor, bounds.maxSeconds), bounds.maxSeconds);
  // Once IN_PROGRESS, the only change left is the end, and RDS announces it: a poll is only the
  // safety net. STARTING → IN_PROGRESS has no event, so it keeps the adaptive polls.
  if (reading.status === 'IN_PROGRESS' && bounds.eventSafetyNetSeconds) wait = Math.max(wait, bounds.eventSafetyNetSeconds);
  // Past the deadline the task is being canceled: the deadline no longer shortens the wait.
  const untilDeadline = reading.secondsToDeadline > 0 ? Math.max(1, reading.secondsToDeadline) : Infinity;
  return Math.ceil(Math.min(wait, untilDeadline));
}

function untilLikelyChange(reading: ProgressReading, bounds: PollBounds): number {
  const { status, percent, secondsSinceStart, secondsSinceProgressOrigin: elapsed } = reading;
  if (status === 'CANCELING' || percent >= 100) return bounds.minSeconds;
  if (status === 'STARTING' || percent <= 0 || elapsed <= 0) return secondsSinceStart;
  const earliestEnd = (elapsed * 100) / (percent + 1);
  const latestEnd = (elapsed * 100) / percent;
  const tolerance = Math.max(bounds.minSeconds, LATENCY_SHARE * earliestEnd);
  if (latestEnd - earliestEnd <= tolerance) return latestEnd - elapsed;
  return APPROACH * (earliestEnd - elapsed);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
