import type { LaunchQueueStore, QueuedBatch, TeamRepository } from '../ports.js';
import {
  atLimit,
  rankTurns,
  type TeamShare,
  type Turn,
  type WaitingBatch,
} from '../scheduling/fair-share.js';
import { batchPriorityOf } from '../teams/team.js';
import type { LaunchRef } from './launcher.js';

export interface LaunchSchedulerDeps {
  queue: LaunchQueueStore;
  teams: Pick<TeamRepository, 'list'>;
  now: () => Date;
  /** How old the open batches (and their priorities) and in-flight counts may be when a turn is chosen. */
  refreshMs: number;
  /** How long team settings (weight, maxInFlight) are kept before they are read again. */
  teamsRefreshMs: number;
  /** Waiting launch ids read per batch at a time. */
  candidatesPerRead: number;
}

/**
 * One launcher process's view of the launch queue. It reads the table (open batches, their waiting
 * launches, in-flight runs, passes) and keeps what it read for a short while: launches are many and
 * turns are frequent. It is only ever a guide: the claim decides who starts a launch, so several
 * launchers (each with its own view) never start one twice, and a crash loses nothing but the view.
 */
export interface LaunchScheduler {
  /**
   * The flows that may start a launch now, best first (see rankTurns). `ended`: a run that just
   * ended (not in flight, whatever the index says). With `choose`, the first turn is held for the
   * caller as it is ranked (see `hold`).
   */
  turns(ended?: { team?: string; launchId: string }, options?: Fresh & { choose?: boolean }): Promise<Turn[]>;
  /**
   * Counts a start of the turn's flow as being made by this process until `served` or `unhold`:
   * the launches a process starts at once then share the turns as if chosen one after another
   * (eight wake-ups ranking the same view would otherwise all pick the same flow).
   */
  hold(turn: Turn): void;
  unhold(turn: Turn): void;
  /**
   * True when some open batch has a launch waiting that this view has not tried. With `after`
   * (a `mark`), read afresh by a read that started after the mark was taken: one read is shared
   * by the wake-ups that ask at the same time, and none of them is answered from before it asked.
   */
  anyWaiting(options: { after: number }): Promise<boolean>;
  /** A point in this view's reads, for `anyWaiting`. */
  mark(): number;
  /** Waiting launches of a batch to try, in sample order (none: nothing waits there). */
  candidates(batchId: string, options?: Fresh): Promise<LaunchRef[]>;
  /** The launch was tried (claimed, or found no longer waiting): not offered again by this view. */
  forget(ref: LaunchRef): void;
  /**
   * Holds one of the team's in-flight slots in this view while a launch of it is claimed (the
   * launches this process starts at once must not all pass the limit check together). The hold
   * is released by `served` or by `release`.
   */
  reserve(team: string): void;
  release(team: string): void;
  /** A launch of the turn's flow started: its pass moves on, its team's held slot is a run in flight. */
  served(turn: Turn): Promise<void>;
  /** True when the team is at its in-flight limit now (`ended`: a run that just ended does not count). */
  atLimit(team: string | undefined, ended?: { team?: string; launchId: string }): Promise<boolean>;
  /** Batches being registered now (their launches wait for the flip), oldest first. */
  registering(): Promise<string[]>;
  /** True when the team has an in-flight limit (a run of it that ends frees a turn). */
  hasLimit(team: string | undefined): Promise<boolean>;
}

/** fresh: read the table again, whatever this view holds (and offer launches it tried already). */
export interface Fresh {
  fresh?: boolean;
}

const NO_TEAM = '';

interface PassView {
  passes: Map<string, number>;
  virtualPass: number;
}
/** A launch this view tried is not offered by it again for this long (the index catches up well within it). */
const TRIED_MS = 30_000;

export function makeLaunchScheduler(deps: LaunchSchedulerDeps): LaunchScheduler {
  let open: { at: number; batches: QueuedBatch[] } | undefined;
  let teams: { at: number; shares: Map<string, TeamShare> } | undefined;
  const candidates = new Map<string, { at: number; ids: string[] }>();
  const inFlight = new Map<string, { at: number; ids: Set<string>; started: number }>();
  let registeringView: { at: number; ids: string[] } | undefined;
  /** Slots held by claims in progress in this process, per team. */
  const held = new Map<string, number>();
  /** Starts chosen and not yet served in this process, per flow. */
  const pending = new Map<string, number>();
  const tried = new Map<string, number>();
  let passView: (PassView & { at: number; read: Set<string> }) | undefined;
  /** The latest read of the whole queue for `anyWaiting`, numbered in the order reads started. */
  let freshRead: { number: number; result: Promise<boolean> } | undefined;
  let readsStarted = 0;

  const now = () => deps.now().getTime();
  const refOf = (batchId: string, launchId: string) => `${batchId}\n${launchId}`;

  async function openBatches(fresh = false): Promise<QueuedBatch[]> {
    if (fresh || !open || now() - open.at > deps.refreshMs)
      open = { at: now(), batches: await deps.queue.openBatches() };
    return open.batches;
  }

  /**
   * The flows' passes, read with the view and moved on by this process's own starts in between
   * (another launcher's starts are seen at the next read): a guide for the order, as the rest.
   */
  async function passesOf(flows: string[], fresh: boolean): Promise<PassView> {
    if (
      fresh ||
      !passView ||
      now() - passView.at > deps.refreshMs ||
      flows.some((flow) => !passView?.read.has(flow))
    ) {
      const read = await deps.queue.passes(flows);
      passView = { at: now(), read: new Set(flows), ...read };
    }
    return passView;
  }

  async function shares(): Promise<Map<string, TeamShare>> {
    if (!teams || now() - teams.at > deps.teamsRefreshMs) {
      const list = await deps.teams.list();
      teams = {
        at: now(),
        shares: new Map(
          list.map((team) => [team.name, { weight: team.weight, maxInFlight: team.maxInFlight }]),
        ),
      };
    }
    return teams.shares;
  }

  async function inFlightOf(
    team: string,
    limit: number,
    fresh = false,
  ): Promise<{ ids: Set<string>; started: number }> {
    const known = inFlight.get(team);
    if (!fresh && known && now() - known.at <= deps.refreshMs) return known;
    const ids = new Set(await deps.queue.inFlight(team === NO_TEAM ? undefined : team, limit + 1));
    const read = { at: now(), ids, started: 0 };
    inFlight.set(team, read);
    return read;
  }

  async function countInFlight(
    team: string,
    share: TeamShare | undefined,
    ended?: { team?: string; launchId: string },
    fresh = false,
  ): Promise<number> {
    if (share?.maxInFlight === undefined) return 0;
    const known = await inFlightOf(team, share.maxInFlight, fresh);
    const endedHere = ended && (ended.team ?? NO_TEAM) === team && known.ids.has(ended.launchId) ? 1 : 0;
    return known.ids.size + known.started + (held.get(team) ?? 0) - endedHere;
  }

  return {
    async turns(ended, options = {}) {
      const fresh = options.fresh === true;
      const [batches, teamShares] = await Promise.all([openBatches(fresh), shares()]);
      const waiting: WaitingBatch[] = [];
      for (const batch of batches) {
        const cached = candidates.get(batch.batchId);
        // A batch read empty a moment ago is skipped until the view is refreshed.
        if (!fresh && cached && cached.ids.length === 0 && now() - cached.at <= deps.refreshMs) continue;
        waiting.push({
          batchId: batch.batchId,
          team: batch.team ?? NO_TEAM,
          priority: batchPriorityOf(batch.priority),
          createdAt: batch.createdAt,
        });
      }
      const teamsWaiting = [...new Set(waiting.map((batch) => batch.team))];
      const counts = await Promise.all(
        teamsWaiting.map(
          async (team) => [team, await countInFlight(team, teamShares.get(team), ended)] as const,
        ),
      );
      const view = { teams: teamShares, inFlight: new Map(counts) };
      const eligible = waiting.filter((batch) => !atLimit(view, batch.team));
      const flows = [...new Set(eligible.map((batch) => `${batch.team}#${batch.priority}`))];
      if (flows.length === 0) return [];
      const { passes, virtualPass } = await passesOf(flows, fresh);
      const ranked = rankTurns({ ...view, batches: eligible, passes, virtualPass, pending });
      // Held in the same step as the ranking: no other wake-up of this process ranks in between.
      const [first] = ranked;
      if (options.choose && first) this.hold(first);
      return ranked;
    },

    hold(turn) {
      pending.set(turn.flow, (pending.get(turn.flow) ?? 0) + 1);
    },

    unhold(turn) {
      const count = (pending.get(turn.flow) ?? 0) - 1;
      if (count > 0) pending.set(turn.flow, count);
      else pending.delete(turn.flow);
    },

    anyWaiting({ after }) {
      if (freshRead && freshRead.number > after) return freshRead.result;
      readsStarted += 1;
      const read = async () => {
        for (const batch of await openBatches(true)) {
          if ((await this.candidates(batch.batchId, { fresh: true })).length > 0) return true;
        }
        return false;
      };
      freshRead = { number: readsStarted, result: read() };
      return freshRead.result;
    },

    mark() {
      return readsStarted;
    },

    async candidates(batchId, options = {}) {
      if (options.fresh) {
        const ids = await deps.queue.waiting(batchId, deps.candidatesPerRead);
        candidates.set(batchId, { at: now(), ids });
        return ids.map((launchId) => ({ batchId, launchId }));
      }
      let cached = candidates.get(batchId);
      const untried = (ids: string[]) =>
        ids.filter((id) => now() - (tried.get(refOf(batchId, id)) ?? Number.NEGATIVE_INFINITY) > TRIED_MS);
      if (!cached || untried(cached.ids).length === 0) {
        if (cached && cached.ids.length === 0 && now() - cached.at <= deps.refreshMs) return [];
        cached = { at: now(), ids: untried(await deps.queue.waiting(batchId, deps.candidatesPerRead)) };
        candidates.set(batchId, cached);
      }
      cached.ids = untried(cached.ids);
      return cached.ids.map((launchId) => ({ batchId, launchId }));
    },

    forget(ref) {
      tried.set(refOf(ref.batchId, ref.launchId), now());
      if (tried.size > 50_000) {
        for (const [id, at] of tried) if (now() - at > TRIED_MS) tried.delete(id);
      }
    },

    reserve(team) {
      held.set(team, (held.get(team) ?? 0) + 1);
    },

    release(team) {
      const count = (held.get(team) ?? 0) - 1;
      if (count > 0) held.set(team, count);
      else held.delete(team);
    },

    async served(turn) {
      this.release(turn.team);
      this.unhold(turn);
      const known = inFlight.get(turn.team);
      if (known) known.started++;
      if (passView) {
        passView.passes.set(
          turn.flow,
          Math.max(passView.passes.get(turn.flow) ?? 0, turn.pass) + turn.stride,
        );
        passView.virtualPass = Math.max(passView.virtualPass, turn.pass);
      }
      await deps.queue.served(turn.flow, turn.stride, turn.pass);
    },

    async registering() {
      if (!registeringView || now() - registeringView.at > deps.refreshMs)
        registeringView = { at: now(), ids: await deps.queue.registeringBatches() };
      return registeringView.ids;
    },

    async hasLimit(team) {
      return (await shares()).get(team ?? NO_TEAM)?.maxInFlight !== undefined;
    },

    async atLimit(team, ended) {
      const teamShares = await shares();
      const key = team ?? NO_TEAM;
      const share = teamShares.get(key);
      return (
        share?.maxInFlight !== undefined && (await countInFlight(key, share, ended)) >= share.maxInFlight
      );
    },
  };
}
