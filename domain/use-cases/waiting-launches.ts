import type { LaunchQueueStore, TeamRepository, WaitingLaunchReader } from '../ports.js';
import {
  measureWaiting,
  WAITING_STATUS_LIST,
  type WaitingLaunch,
  type WaitingMeasure,
} from '../scheduling/waiting.js';

export interface WaitingLaunchesDeps {
  launches: WaitingLaunchReader;
  teams: Pick<TeamRepository, 'list'>;
  queue: Pick<LaunchQueueStore, 'inFlight'>;
  /** Whether the launcher holds teams at their `maxInFlight` (it does in fair-share order). */
  teamLimits: boolean;
  /** The launcher's configured StartRun pace. */
  startRatePerSecond: number;
  /** Slack on top of the expected drain time: the launcher's scheduling rounds and one reconciler period. */
  marginMs: number;
  /** Waiting launches read per run at most, over both waiting statuses. */
  maxRead: number;
  now: () => Date;
}

export interface WaitingReport extends WaitingMeasure {
  /** false: more launches wait than `maxRead`; counts are floors and `overdueSeconds` is not to be trusted. */
  complete: boolean;
  heldTeams: string[];
}

const PAGE = 1_000;

/**
 * Counts the launches waiting to start and measures how overdue the oldest is (see
 * measureWaiting). Reads the status index only (team and waiting time are projected into it),
 * at most `maxRead` entries, so its cost stays bounded however large the backlog.
 */
export async function measureWaitingLaunches(deps: WaitingLaunchesDeps): Promise<WaitingReport> {
  const now = deps.now();
  const heldTeams = deps.teamLimits ? await teamsAtLimit(deps) : new Set<string>();
  const launches: WaitingLaunch[] = [];
  let complete = true;
  for (const status of WAITING_STATUS_LIST) {
    let cursor: string | undefined;
    do {
      const room = deps.maxRead - launches.length;
      if (room <= 0) {
        complete = false;
        break;
      }
      const page = await deps.launches.listWaiting(status, { cursor, limit: Math.min(PAGE, room) });
      launches.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  const measure = measureWaiting({
    launches,
    heldTeams,
    startRatePerSecond: deps.startRatePerSecond,
    marginSeconds: deps.marginMs / 1000,
    now,
  });
  return { ...measure, complete, heldTeams: [...heldTeams].sort() };
}

/** Teams with as many runs in flight as their `maxInFlight`: the launcher starts none of theirs now. */
async function teamsAtLimit(deps: WaitingLaunchesDeps): Promise<Set<string>> {
  const held = new Set<string>();
  for (const team of await deps.teams.list()) {
    if (team.maxInFlight === undefined) continue;
    const inFlight = await deps.queue.inFlight(team.name, team.maxInFlight);
    if (inFlight.length >= team.maxInFlight) held.add(team.name);
  }
  return held;
}
