import { IN_FLIGHT_STATUSES, type Launch, type LaunchStatus } from '../launch.js';

/**
 * Where a launch stands in the launch queue, kept on the item itself (the `queue` index) by every
 * gwm write: a waiting launch under its batch in sample order, a run in flight under its team.
 * Nothing else holds queue state, so there is nothing to get out of step with the launches.
 */
export interface QueueSlot {
  /** `wait#<batchId>` or `run#<team>`. */
  part: string;
  /** Sample order within the batch (waiting), or the launch id (in flight). */
  order: string;
}

/** Launches the queue starts: written ready by registration or release, or handed back after throttling. */
/** The statuses a launch waits in for the launcher (the launch queue's). */
export const WAITING_STATUS_LIST = ['QUEUED', 'THROTTLED'] as const satisfies readonly LaunchStatus[];
export type WaitingStatus = (typeof WAITING_STATUS_LIST)[number];
export const WAITING_STATUSES: ReadonlySet<LaunchStatus> = new Set(WAITING_STATUS_LIST);

/** From the claim until the run ends: what a team's `maxInFlight` counts. */
export const RUN_IN_FLIGHT_STATUSES: ReadonlySet<LaunchStatus> = new Set(
  IN_FLIGHT_STATUSES.filter((status) => status !== 'REGISTERED' && status !== 'WAITING_FOR_INPUTS'),
);

const ORDER_DIGITS = 7;

export function waitingPart(batchId: string): string {
  return `wait#${batchId}`;
}

export function inFlightPart(team: string | undefined): string {
  return `run#${team ?? ''}`;
}

/** The slot of a launch as gwm writes it; undefined: neither waiting nor in flight. */
export function queueSlotOf(
  launch: Pick<Launch, 'status' | 'batchId' | 'launchId' | 'sampleId' | 'team' | 'order'>,
): QueueSlot | undefined {
  if (WAITING_STATUSES.has(launch.status)) {
    const order = String(Math.max(0, Math.floor(launch.order ?? 0))).padStart(ORDER_DIGITS, '0');
    return { part: waitingPart(launch.batchId), order: `${order}#${launch.sampleId}` };
  }
  if (RUN_IN_FLIGHT_STATUSES.has(launch.status))
    return { part: inFlightPart(launch.team), order: launch.launchId };
  return undefined;
}
