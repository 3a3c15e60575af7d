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
} from './launcher.js';

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
 * starts it (or whichever should go next). A wake-up whose view offers nothing to claim starts its
 * own launch (the view lags behind the table). A spare reads the queue afresh, waiting for a
 * registration in progress first, and takes a token only when something waits: duplicates and
 * late records of launches already started cost a few reads, not a token each.
 * Exactly once stays with the claim: a launch offered to several launchers is started by one.
 */
export async function dispatchLaunch(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  if (trigger.ended) {
    // Only a team with a limit has launches that wait for a run to end; others have their own wake-ups.
    if (!(await deps.scheduler.hasLimit(trigger.team)))
      return { kind: 'skipped', launchId: trigger.launchId, reason: 'its team has no in-flight limit' };
    if ((await deps.scheduler.turns(trigger)).length === 0) return nothingWaiting(trigger);
    await deps.pacer.acquire();
    return (await serveQueue(deps, trigger, { fresh: true })) ?? nothingWaiting(trigger);
  }
  // The record said the launch is waiting (QUEUED, THROTTLED); a request a person types over it
  // later (RETRY, CANCEL, a typo) is a record of its own, and the claim below never takes it. The
  // launch is read first all the same: an item a console edit made unreadable is reported by its
  // own record (the read throws), whichever wake-up the queue offers it to.
  const own = await deps.launches.get(trigger.batchId, trigger.launchId);
  // All or nothing: a wake-up of a batch still being registered waits for it (or is handed back).
  if ((await deps.registration.awaitRegistered(trigger.batchId)) === 'stopped')
    return registrationStopped(trigger);
  if (own && !isTerminal(effectiveStatus(own)) && WAITING_STATUSES.has(own.status)) {
    await deps.pacer.acquire();
    const served = await serveQueue(deps, trigger, { fresh: false });
    if (served) return served;
    const outcome = await ownLaunch(deps, trigger, own.team);
    // Lost the race for its own launch: another wake-up started it, so this one is a spare.
    if (outcome !== 'lost') return outcome;
    return (await serveQueue(deps, trigger, { fresh: true })) ?? startedElsewhere(trigger);
  }
  return spare(deps, trigger);
}

/**
 * A wake-up whose launch another wake-up started: one launch that wake-up was meant for may still
 * wait. The table is read afresh; when nothing waits there, a registration in progress is waited
 * for (the queue does not offer its launches yet, and their wake-ups may have been spent on
 * another batch) and the table read again. A token is taken only when something waits.
 */
async function spare(deps: DispatchDeps, trigger: DispatchTrigger): Promise<LaunchOutcome> {
  // Only a read that starts from here on sees what the wake-up that started this launch left.
  if (!(await deps.scheduler.anyWaiting({ after: deps.scheduler.mark() }))) {
    const [registering] = await deps.scheduler.registering();
    if (registering === undefined) return startedElsewhere(trigger);
    await deps.registration.awaitRegistered(registering);
    if (!(await deps.scheduler.anyWaiting({ after: deps.scheduler.mark() })))
      return startedElsewhere(trigger);
  }
  await deps.pacer.acquire();
  // The view may not offer what the fresh read saw (a launch it tried that waits again after a
  // deferral, say): then the queue is served from the table, so the token is not spent on nothing.
  return (
    (await serveQueue(deps, trigger, { fresh: false })) ??
    (await serveQueue(deps, trigger, { fresh: true })) ??
    startedElsewhere(trigger)
  );
}

/**
 * Claims and starts the best launch the queue offers, with the token already taken; undefined
 * when it offers nothing to claim.
 */
async function serveQueue(
  deps: DispatchDeps,
  trigger: DispatchTrigger,
  options: { fresh: boolean },
): Promise<LaunchOutcome | undefined> {
  const ended = trigger.ended ? trigger : undefined;
  let tries = 0;
  const turns = await deps.scheduler.turns(ended, { ...options, choose: true });
  for (const [index, turn] of turns.entries()) {
    // The first turn was held as it was ranked; the others are held when they are tried.
    if (index > 0) deps.scheduler.hold(turn);
    let served = false;
    // Checked with the slots this process holds for the claims it is making; a turn held is given
    // back when it is not taken, the check's failure included.
    let atLimit: boolean;
    try {
      atLimit = await deps.scheduler.atLimit(turn.team, ended);
    } catch (error) {
      deps.scheduler.unhold(turn);
      throw error;
    }
    if (atLimit) {
      deps.scheduler.unhold(turn);
      continue;
    }
    deps.scheduler.reserve(turn.team);
    try {
      for (const batch of turn.batches) {
        for (const ref of await deps.scheduler.candidates(batch.batchId, options)) {
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
      if (!served) {
        deps.scheduler.release(turn.team);
        deps.scheduler.unhold(turn);
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
 * The view offered nothing to claim: the woken launch itself, with the token held, unless its team
 * is at its limit. 'lost' when another wake-up claimed it first.
 */
async function ownLaunch(
  deps: DispatchDeps,
  trigger: DispatchTrigger,
  team: string | undefined,
): Promise<LaunchOutcome | 'lost'> {
  if (await deps.scheduler.atLimit(team))
    return {
      kind: 'skipped',
      launchId: trigger.launchId,
      reason: `team ${team} is at its in-flight limit; a run that ends wakes the queue`,
    };
  const claimed = await claim(deps, trigger, { onlyWaiting: true });
  deps.scheduler.forget(trigger);
  if (claimed.kind === 'claimed') return submit(deps, claimed, { tokenHeld: true });
  // Anything but a lost race for it (a restore asked again, say) is this wake-up's work done.
  return claimed.outcome.kind === 'skipped' ? 'lost' : claimed.outcome;
}

const nothingWaiting = (trigger: DispatchTrigger): LaunchOutcome => ({
  kind: 'skipped',
  launchId: trigger.launchId,
  reason: 'nothing waiting',
});

const startedElsewhere = (trigger: DispatchTrigger): LaunchOutcome => ({
  kind: 'skipped',
  launchId: trigger.launchId,
  reason: 'started by another wake-up; nothing else waits',
});

const registrationStopped = (trigger: DispatchTrigger): LaunchOutcome => ({
  kind: 'skipped',
  launchId: trigger.launchId,
  reason: "its batch's registration stopped before it finished; the resumed registration starts it",
});
