import type { BatchPriority } from '../teams/team.js';

/**
 * Fair share by stride scheduling. Each team's waiting launches of one priority form a flow whose
 * weight is the team's weight times the priority's factor. Every flow keeps a pass (virtual time);
 * the flow with the lowest pass goes next, and its pass grows by 1 / weight (equal passes: the
 * flow that was lifted furthest, then the higher priority, then the older batch). Over any stretch in
 * which flows keep waiting, each gets StartRun calls in proportion to its weight, and no flow with
 * launches waiting is ever left out: a low-priority batch still moves at its (small) share.
 *
 * A flow that comes back after it had nothing waiting starts level with the others: its pass is
 * lifted to the virtual pass, the pass at which the latest turn was served (every flow that kept
 * waiting is at or above it), so idle time earns no credit to spend in a burst.
 */
/** How the launcher picks the next launch to start (LAUNCH_ORDER). */
export const LAUNCH_ORDERS = ['fair-share', 'stream-order'] as const;
export type LaunchOrder = (typeof LAUNCH_ORDERS)[number];

export const PRIORITY_FACTORS: Readonly<Record<BatchPriority, number>> = { urgent: 100, normal: 10, low: 1 };

const TIER_RANK: Readonly<Record<BatchPriority, number>> = { urgent: 0, normal: 1, low: 2 };

/** A batch with launches waiting to start. */
export interface WaitingBatch {
  batchId: string;
  team: string;
  priority: BatchPriority;
  createdAt: string;
}

export interface TeamShare {
  weight: number;
  maxInFlight?: number;
}

export interface ShareView {
  batches: readonly WaitingBatch[];
  /** A team without an entry has weight 1 and no limit (the default team without an item). */
  teams: ReadonlyMap<string, TeamShare>;
  /** Runs in flight per team (only teams with a limit need an entry). */
  inFlight: ReadonlyMap<string, number>;
  /** Stored pass per flow (`flowOf`); absent: never served. */
  passes: ReadonlyMap<string, number>;
  /** The pass at which the latest turn was served (0: none yet). */
  virtualPass: number;
  /**
   * Starts of each flow being made now by the process that ranks (chosen, not yet served): each
   * counts as one stride already taken, so launches chosen at the same time share the turns as
   * launches chosen one after another would.
   */
  pending?: ReadonlyMap<string, number>;
}

/** One flow's turn: the batches to try in order, and how its pass moves once one launch starts. */
export interface Turn {
  flow: string;
  team: string;
  priority: BatchPriority;
  batches: WaitingBatch[];
  /** The pass the flow is served at (its stored pass, lifted when it comes back). */
  pass: number;
  /** Its stored pass: between equal passes, the one lifted furthest goes first. */
  stored: number;
  /**
   * When a launch of the flow starts: the stored pass is raised to `pass` (if lower), then grows by
   * this (1 / weight), and the virtual pass becomes `pass`. Raising is idempotent and growing adds,
   * so two launchers serving the same turn at once lift it once and count both starts.
   */
  stride: number;
}

export function flowOf(team: string, priority: BatchPriority): string {
  return `${team}#${priority}`;
}

export function flowWeight(share: TeamShare | undefined, priority: BatchPriority): number {
  const weight = share?.weight ?? 1;
  return (weight > 0 ? weight : 1) * PRIORITY_FACTORS[priority];
}

/** True when the team may not start another run now. */
export function atLimit(view: Pick<ShareView, 'teams' | 'inFlight'>, team: string): boolean {
  const limit = view.teams.get(team)?.maxInFlight;
  return limit !== undefined && (view.inFlight.get(team) ?? 0) >= limit;
}

/**
 * The flows with launches that may start now, best first (see above). Within a flow, its batches oldest first. Teams at
 * their in-flight limit are left out (they wait without holding anyone back).
 */
export function rankTurns(view: ShareView): Turn[] {
  const flows = new Map<string, Omit<Turn, 'pass' | 'stride' | 'stored'>>();
  for (const batch of view.batches) {
    if (atLimit(view, batch.team)) continue;
    const flow = flowOf(batch.team, batch.priority);
    const entry = flows.get(flow) ?? { flow, team: batch.team, priority: batch.priority, batches: [] };
    entry.batches.push(batch);
    flows.set(flow, entry);
  }
  const turns = [...flows.values()].map((entry): Turn => {
    const own = view.passes.get(entry.flow) ?? 0;
    // Lifted to the virtual pass: coming back earns no credit.
    const pass = Math.max(own, view.virtualPass);
    const stride = 1 / flowWeight(view.teams.get(entry.team), entry.priority);
    return {
      ...entry,
      batches: [...entry.batches].sort(byAge),
      pass,
      stored: own,
      stride,
    };
  });
  const ahead = (turn: Turn) => turn.pass + (view.pending?.get(turn.flow) ?? 0) * turn.stride;
  return turns.sort(
    (a, b) =>
      ahead(a) - ahead(b) ||
      a.stored - b.stored ||
      TIER_RANK[a.priority] - TIER_RANK[b.priority] ||
      byAge(a.batches[0] as WaitingBatch, b.batches[0] as WaitingBatch),
  );
}

function byAge(a: WaitingBatch, b: WaitingBatch): number {
  return a.createdAt.localeCompare(b.createdAt) || a.batchId.localeCompare(b.batchId);
}
