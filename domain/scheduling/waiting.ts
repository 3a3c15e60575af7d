import { effectiveStatus, isRequest, type Launch } from '../launch.js';
import { WAITING_STATUS_LIST, WAITING_STATUSES, type WaitingStatus } from './launch-queue.js';

export { WAITING_STATUS_LIST, type WaitingStatus };

/**
 * Since when a waiting launch has been waiting to start: the first of the last unbroken run of
 * QUEUED, THROTTLED and SUBMITTING in its history (a StartRun that was throttled hands the launch
 * back, it does not start it). Undefined for a launch that is not waiting. A re-queue by the
 * reconciler adds no history, so it does not reset the wait; a history cut to its limit gives
 * the oldest entry it kept.
 */
export function waitingSinceOf(
  launch: Pick<Launch, 'status' | 'statusHistory' | 'updatedAt'>,
): string | undefined {
  if (!WAITING_STATUSES.has(effectiveStatus(launch as Launch))) return undefined;
  let since: string | undefined;
  for (let i = launch.statusHistory.length - 1; i >= 0; i--) {
    const entry = launch.statusHistory[i];
    if (!entry) continue;
    // A person's request (RETRY) is not a status the launch was in.
    if (entry.source === 'console' || isRequest(entry.status)) continue;
    if (!WAITING_STATUSES.has(entry.status) && entry.status !== 'SUBMITTING') break;
    since = entry.at;
  }
  return since ?? launch.updatedAt;
}

/** A waiting launch as the status index holds it (what the measure below reads). */
export interface WaitingLaunch {
  status: WaitingStatus;
  team?: string;
  waitingSince: string;
}

export interface WaitingMeasure {
  /** Per waiting status: how many launches wait in it, and how long the oldest has waited (0 when none). */
  byStatus: Record<WaitingStatus, { count: number; oldestAgeSeconds: number }>;
  /** Waiting launches of teams not held at their `maxInFlight`: what the launcher can start now. */
  startable: number;
  /** Seconds the launcher needs to start them all at its configured rate, plus the margin. */
  expectedDrainSeconds: number;
  /** How long the oldest of them has waited. */
  oldestStartableAgeSeconds: number;
  /** max(0, oldestStartableAgeSeconds − expectedDrainSeconds): above 0, launches wait longer than the pace explains. */
  overdueSeconds: number;
}

/**
 * How long launches wait against how long the launch rate says they should. The launcher starts
 * about `startRatePerSecond` runs a second, whatever team they belong to, so even the last of N
 * startable launches should start within N / rate seconds; the oldest waiting longer than that
 * (plus a margin for the scheduler's rounds and a reconciler period) means the queue is not
 * draining. Launches of a team at its in-flight limit wait for that team's own runs to end, not
 * for the launcher: they are left out, or a busy team would page.
 */
export function measureWaiting(input: {
  launches: Iterable<WaitingLaunch>;
  /** Teams at their `maxInFlight` limit now. */
  heldTeams: ReadonlySet<string>;
  startRatePerSecond: number;
  marginSeconds: number;
  now: Date;
}): WaitingMeasure {
  const nowMs = input.now.getTime();
  const ageOf = (since: string) => {
    const at = Date.parse(since);
    return Number.isNaN(at) ? 0 : Math.max(0, (nowMs - at) / 1000);
  };
  const byStatus: WaitingMeasure['byStatus'] = {
    QUEUED: { count: 0, oldestAgeSeconds: 0 },
    THROTTLED: { count: 0, oldestAgeSeconds: 0 },
  };
  let startable = 0;
  let oldestStartable = 0;
  for (const launch of input.launches) {
    const age = ageOf(launch.waitingSince);
    const status = byStatus[launch.status];
    status.count++;
    status.oldestAgeSeconds = Math.max(status.oldestAgeSeconds, age);
    if (launch.team !== undefined && input.heldTeams.has(launch.team)) continue;
    startable++;
    oldestStartable = Math.max(oldestStartable, age);
  }
  const expectedDrainSeconds = startable / input.startRatePerSecond + input.marginSeconds;
  return {
    byStatus,
    startable,
    expectedDrainSeconds,
    oldestStartableAgeSeconds: oldestStartable,
    overdueSeconds: startable === 0 ? 0 : Math.max(0, oldestStartable - expectedDrainSeconds),
  };
}
