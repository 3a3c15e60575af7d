import { forEachConcurrently } from '../concurrency.js';
import {
  failedRestore,
  inputRestored,
  inputRestoreFailed,
  type Restore,
  restoredRestore,
} from '../inputs/restore.js';
import type { Launch } from '../launch.js';
import type { Ignored, Transition } from '../launch-transitions.js';
import type { LaunchRepository, RestoreRepository } from '../ports.js';
import { persistTransition } from './persist.js';

export interface TrackRestoreDeps {
  restores: RestoreRepository;
  launches: LaunchRepository;
  now: () => Date;
  /** Waiting launches written at once. */
  concurrency: number;
}

/** What S3 said: the object's restored copy is readable (until `expiresAt`). */
export interface RestoreCompleted {
  uri: string;
  expiresAt?: string;
}

export type TrackOutcome =
  | { kind: 'not-tracked' }
  | { kind: 'tracked'; restore: Restore; queued: number; noted: number };

/**
 * An archived object is restored (S3's event, or the reconciler's HeadObject): its restore item
 * becomes RESTORED, and every launch waiting for it notes it; one waiting for nothing else is
 * QUEUED. Safe to repeat: a redelivered event changes nothing.
 */
export async function trackRestore(deps: TrackRestoreDeps, event: RestoreCompleted): Promise<TrackOutcome> {
  for (let round = 0; round < 5; round++) {
    const current = await deps.restores.get(event.uri);
    // An object gwm never asked about (another tool's restore in a shared bucket).
    if (!current) return { kind: 'not-tracked' };
    const next =
      current.state === 'RESTORED' && !event.expiresAt
        ? current
        : restoredRestore(current, deps.now(), event.expiresAt);
    if (next !== current && (await deps.restores.replace(current, next)) === 'conflict') continue;
    const woken = await wakeWaiters(deps, event.uri, (launch) =>
      inputRestored(launch, event.uri, deps.now(), next.expiresAt),
    );
    return { kind: 'tracked', restore: next, ...woken };
  }
  throw new Error(`restore item of ${event.uri} kept changing`);
}

/** The object cannot be restored (deleted, refused): the restore is FAILED and its waiting launches fail. */
export async function failRestore(deps: TrackRestoreDeps, restore: Restore, reason: string): Promise<number> {
  const next = failedRestore(restore, reason, deps.now());
  if ((await deps.restores.replace(restore, next)) === 'conflict') return 0;
  const { queued, noted } = await wakeWaiters(deps, restore.uri, (launch) =>
    inputRestoreFailed(launch, restore.uri, reason, deps.now()),
  );
  return queued + noted;
}

/** Applies `decide` to every launch waiting for the object; counts those QUEUED and those only noted. */
export async function wakeWaiters(
  deps: TrackRestoreDeps,
  uri: string,
  decide: (launch: Launch) => Transition | Ignored,
): Promise<{ queued: number; noted: number }> {
  let queued = 0;
  let noted = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.restores.listWaiters(uri, { cursor, limit: 500 });
    await forEachConcurrently(page.items, deps.concurrency, async (waiter) => {
      const launch = await deps.launches.get(waiter.batchId, waiter.launchId);
      // Not written yet: its registration reads the restore item after recording the waiter.
      if (!launch) return;
      const saved = await persistTransition(deps.launches, launch, decide);
      if (saved.kind !== 'changed') return;
      if (saved.next.status === 'QUEUED' && saved.previous.status !== 'QUEUED') queued++;
      else noted++;
    });
    cursor = page.cursor;
  } while (cursor);
  return { queued, noted };
}
