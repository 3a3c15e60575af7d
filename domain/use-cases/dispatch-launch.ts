import { GwmError } from '../errors.js';
import { effectiveStatus, isTerminal } from '../launch.js';
import { WAITING_STATUSES } from '../scheduling/launch-queue.js';
import type { LaunchScheduler } from './launch-scheduler.js';
import {
  type Claimed,
  claim,
  type LauncherDeps,
  type LaunchOutcome,
  type LaunchRef,
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
 * for a later token, and the wake-up of the launch started in its place becomes a spare that
 * starts it (or whichever should go next). A wake-up that finds nothing to claim falls back on its
 * own launch (the index lags behind the table), waiting for its batch's registration if need be;
 * a spare whose launch was started waits for a registration in progress rather than be lost.
 * Exactly once stays with the claim: a launch offered to several launchers is started by one.
 */
export async function dispatchLaunch(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  if (trigger.ended) {
    // Only a team with a limit has launches that wait for a run to end; others have their own wake-ups.
    if (!(await deps.scheduler.hasLimit(trigger.team)))
      return { kind: 'skipped', launchId: trigger.launchId, reason: 'its team has no in-flight limit' };
    if ((await deps.scheduler.turns(trigger)).length === 0)
      return { kind: 'skipped', launchId: trigger.launchId, reason: 'nothing waiting' };
  }
  // The record said the launch is waiting (QUEUED, THROTTLED); a request a person types over it
  // later (RETRY, CANCEL, a typo) is a record of its own, and the claim below never takes it. The
  // launch is read first all the same: an item a console edit made unreadable is reported by its
  // own record (the read throws), whichever wake-up the queue offers it to.
  if (!trigger.ended) await deps.launches.get(trigger.batchId, trigger.launchId);
  // All or nothing: a wake-up of a batch still being registered waits for it (or is handed back).
  if (!trigger.ended && (await deps.registration.awaitRegistered(trigger.batchId)) === 'stopped') {
    return {
      kind: 'skipped',
      launchId: trigger.launchId,
      reason: "its batch's registration stopped before it finished; the resumed registration starts it",
    };
  }
  await deps.pacer.acquire();
  return (await serveQueue(deps, trigger)) ?? ownLaunch(deps, trigger);
}

/**
 * Claims and starts the best launch the queue offers, with the token already taken; undefined
 * when it offers nothing to claim. When this launcher's view offers nothing, the table is read
 * again before giving up.
 */
async function serveQueue(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome | undefined> {
  const ended = trigger.ended ? trigger : undefined;
  let tries = 0;
  for (const fresh of [false, true]) {
    for (const turn of await deps.scheduler.turns(ended, { fresh })) {
      // Checked with the slots this process holds for the claims it is making.
      if (await deps.scheduler.atLimit(turn.team, ended)) continue;
      deps.scheduler.reserve(turn.team);
      let served = false;
      try {
        for (const batch of turn.batches) {
          for (const ref of await deps.scheduler.candidates(batch.batchId, { fresh })) {
            if (++tries > MAX_TRIES) return undefined;
            deps.scheduler.forget(ref);
            const claimed = await claimOffered(deps, ref);
            if (claimed?.kind !== 'claimed') continue;
            served = true;
            // The pass moves on while StartRun is called: its bookkeeping need not delay the run.
            const [outcome] = await Promise.all([
              submit(deps, claimed, { tokenHeld: true }),
              deps.scheduler.served(turn),
            ]);
            return outcome;
          }
        }
      } finally {
        if (!served) deps.scheduler.release(turn.team);
      }
    }
  }
  return undefined;
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

/**
 * The queue offered nothing to claim. The woken launch itself, once its batch is registered,
 * unless its team is at its limit. A spare (its launch started by another wake-up) waits for a
 * registration in progress, whose launches the queue does not offer yet, then offers again: the
 * wake-up those launches had may have been spent on another batch's launch.
 */
async function ownLaunch(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  if (trigger.ended) return { kind: 'skipped', launchId: trigger.launchId, reason: 'nothing waiting' };
  const own = await deps.launches.get(trigger.batchId, trigger.launchId);
  if (own && !isTerminal(effectiveStatus(own)) && WAITING_STATUSES.has(own.status)) {
    if ((await deps.registration.awaitRegistered(own.batchId)) === 'stopped') {
      return {
        kind: 'skipped',
        launchId: trigger.launchId,
        reason: "its batch's registration stopped before it finished; the resumed registration starts it",
      };
    }
    if (await deps.scheduler.atLimit(own.team))
      return {
        kind: 'skipped',
        launchId: trigger.launchId,
        reason: `team ${own.team} is at its in-flight limit; a run that ends wakes the queue`,
      };
    const claimed = await claim(deps, trigger, { onlyWaiting: true });
    deps.scheduler.forget(trigger);
    if (claimed.kind === 'claimed') return submit(deps, claimed, { tokenHeld: true });
    // Anything but a lost race for it (a restore asked again, say) is this wake-up's work done.
    if (claimed.outcome.kind !== 'skipped') return claimed.outcome;
  }
  // A spare: another wake-up started this launch, so one launch it was meant for may still wait.
  const [registering] = await deps.scheduler.registering();
  if (registering !== undefined) await deps.registration.awaitRegistered(registering);
  return (
    (await serveQueue(deps, trigger)) ?? {
      kind: 'skipped',
      launchId: trigger.launchId,
      reason: 'started by another wake-up; nothing else waits',
    }
  );
}
