import { GwmError } from '../errors.js';
import { effectiveStatus, isTerminal, type LaunchStatus, REQUEST_STATUSES } from '../launch.js';
import { WAITING_STATUSES } from '../scheduling/launch-queue.js';
import type { LaunchScheduler } from './launch-scheduler.js';
import {
  type Claimed,
  claim,
  type LauncherDeps,
  type LaunchOutcome,
  type LaunchRef,
  startLaunch,
  submit,
} from './start-launch.js';

/** What the record that woke the launcher said about its launch. */
export interface DispatchTrigger extends LaunchRef {
  /** The launch's team, when the record tells it (its run just ended: one slot freed). */
  team?: string;
  /** The record is of a run that ended, not of a launch waiting. */
  ended?: boolean;
}

export interface DispatchDeps extends LauncherDeps {
  scheduler: LaunchScheduler;
}

/** Claims tried per dispatch before it gives up its token (the rest are someone else's). */
const MAX_TRIES = 64;

/**
 * Starts the launch that should go next, across every waiting launch: one record, one token, one
 * start. Each stream record of a waiting launch (and of a run that ended) is a wake-up; the
 * launcher takes a token from the shared bucket first and only then chooses, so the choice sees
 * every batch registered up to that moment (an urgent batch uploaded a second ago included).
 * Teams share the tokens by weight, batches by priority (see domain/scheduling/fair-share.ts).
 *
 * Nothing is lost if the queue offers someone else: the woken launch keeps waiting in the index
 * for a later token, and, because a wake-up whose turn finds nothing to claim (the index lags
 * behind the table) falls back on its own launch, every waiting launch's own record can start it.
 * Exactly once stays with the claim: a launch offered to several launchers is started by one.
 */
export async function dispatchLaunch(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  if (!trigger.ended && (await deps.registration.awaitRegistered(trigger.batchId)) === 'stopped') {
    return {
      kind: 'skipped',
      launchId: trigger.launchId,
      reason: "its batch's registration stopped before it finished; the resumed registration starts it",
    };
  }
  if (!trigger.ended) {
    // What a person asked for since (a RETRY, a CANCEL, a typo) is handled as itself. A launch
    // another wake-up has started since is not: this wake-up is then the spare of the launch
    // that wake-up was for, and starts whichever should go next.
    const own = await deps.launches.get(trigger.batchId, trigger.launchId);
    if (own && (own.typedStatus !== undefined || isRequest(own.status) || own.cancelRequestedAt)) {
      return startLaunch(deps, trigger);
    }
  }

  if (trigger.ended) {
    // Only a team with a limit has launches that wait for a run to end; others have their own wake-ups.
    if (!(await deps.scheduler.hasLimit(trigger.team)))
      return { kind: 'skipped', launchId: trigger.launchId, reason: 'its team has no in-flight limit' };
    if ((await deps.scheduler.turns(trigger)).length === 0)
      return { kind: 'skipped', launchId: trigger.launchId, reason: 'nothing waiting' };
  }

  await deps.pacer.acquire();
  let tries = 0;
  // Chosen with the token in hand: a batch registered while this launcher waited counts. When
  // this view offers nothing to claim, the table is read again before the wake-up falls back on
  // its own launch: another wake-up may have started that one, and then this one is the spare
  // that the launch it started in its place is left with.
  for (const fresh of [false, true]) {
    for (const turn of await deps.scheduler.turns(trigger.ended ? trigger : undefined, { fresh })) {
      // Chosen turns are checked against the team's limit with the slots this process holds.
      if (await deps.scheduler.atLimit(turn.team, trigger.ended ? trigger : undefined)) continue;
      deps.scheduler.reserve(turn.team);
      let served = false;
      try {
        for (const batch of turn.batches) {
          for (const ref of await deps.scheduler.candidates(batch.batchId, { fresh })) {
            if (++tries > MAX_TRIES) break;
            deps.scheduler.forget(ref);
            const claimed = await claimOffered(deps, ref);
            if (claimed?.kind !== 'claimed') continue;
            await deps.scheduler.served(turn);
            served = true;
            return submit(deps, claimed, { tokenHeld: true });
          }
        }
      } finally {
        if (!served) deps.scheduler.release(turn.team);
      }
      if (tries > MAX_TRIES) return ownLaunch(deps, trigger);
    }
  }
  return ownLaunch(deps, trigger);
}

/**
 * A launch the queue offers: claimed if it is still waiting. An item a console edit made
 * unreadable is passed over (its own record reports it); it must not cost this wake-up.
 */
async function claimOffered(deps: DispatchDeps, ref: LaunchRef): Promise<Claimed | undefined> {
  try {
    return await claim(deps, ref, { onlyWaiting: true });
  } catch (error) {
    if (error instanceof GwmError && error.code === 'CORRUPT_ITEM') return undefined;
    throw error;
  }
}

/** The queue offered nothing to claim: the woken launch itself, unless its team is at its limit. */
async function ownLaunch(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  if (trigger.ended) return { kind: 'skipped', launchId: trigger.launchId, reason: 'nothing waiting' };
  const own = await deps.launches.get(trigger.batchId, trigger.launchId);
  if (!own || isTerminal(effectiveStatus(own)) || !WAITING_STATUSES.has(own.status))
    return { kind: 'skipped', launchId: trigger.launchId, reason: 'started by another wake-up' };
  if (await deps.scheduler.atLimit(own.team))
    return {
      kind: 'skipped',
      launchId: trigger.launchId,
      reason: `team ${own.team} is at its in-flight limit; a run that ends wakes the queue`,
    };
  const claimed = await claim(deps, trigger, { onlyWaiting: true });
  deps.scheduler.forget(trigger);
  if (claimed.kind !== 'claimed') return claimed.outcome;
  return submit(deps, claimed, { tokenHeld: true });
}

function isRequest(status: LaunchStatus): boolean {
  return (REQUEST_STATUSES as readonly LaunchStatus[]).includes(status);
}
