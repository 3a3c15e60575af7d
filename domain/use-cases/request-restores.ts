import { forEachConcurrently } from '../concurrency.js';
import { RestoreRefusedError } from '../errors.js';
import {
  askedRestore,
  failedRestore,
  type Restore,
  type RestoreSettings,
  type RestoreWaiter,
  requestedRestore,
  restoredRestore,
} from '../inputs/restore.js';
import type { ObjectRestorer, RestoreRepository } from '../ports.js';

export interface RestoreDeps {
  restores: RestoreRepository;
  restorer: ObjectRestorer;
  settings: RestoreSettings;
  now: () => Date;
  /** Objects handled at once. */
  concurrency: number;
  /** Told of each RestoreObject S3 accepted (the RestoresRequested metric). */
  onRequested?: () => void;
  /** Told of each restore S3 refused for good (the RestoresFailed metric). */
  onFailed?: (uri: string, reason: string) => void;
}

/** An archived input as intake found it, and the launches that will wait for it. */
export interface ArchivedObject {
  uri: string;
  storageClass: string;
  /** The class, or an Intelligent-Tiering object's archive status: what sets the tier and timing. */
  archiveTier: string;
  /**
   * What S3 said of it: archived with nothing under way, being restored already (someone asked:
   * gwm waits without asking), or not looked at (the launcher: the restore item decides).
   */
  seen: 'archived' | 'restoring' | 'not-looked-at';
  waiters: RestoreWaiter[];
}

export type RestoreOutlook =
  | { kind: 'waiting'; dueAt: string }
  | { kind: 'restored'; at: string; expiresAt?: string }
  | { kind: 'failed'; reason: string };

/** A REQUESTED restore no one has sent yet is taken over after this long (its asker died). */
const ASK_TAKEOVER_MS = 60_000;

/**
 * Makes sure each archived object is being restored, once however many launches and batches need
 * it: the waiters are recorded first (so the restore-completed event finds them), then the restore
 * item is created or brought back to REQUESTED by one conditional write, and only the writer that
 * won sends RestoreObject. Returns where each object stands once that is done.
 */
export async function requestRestores(
  deps: RestoreDeps,
  objects: readonly ArchivedObject[],
): Promise<Map<string, RestoreOutlook>> {
  const outlook = new Map<string, RestoreOutlook>();
  await forEachConcurrently(objects, deps.concurrency, async (object) => {
    await deps.restores.addWaiters(object.uri, object.waiters);
    const restore = await ensureRequested(deps, object);
    outlook.set(object.uri, outlookOf(restore));
  });
  return outlook;
}

function outlookOf(restore: Restore): RestoreOutlook {
  if (restore.state === 'RESTORED') {
    return {
      kind: 'restored',
      at: restore.restoredAt ?? restore.updatedAt,
      ...(restore.expiresAt !== undefined && { expiresAt: restore.expiresAt }),
    };
  }
  if (restore.state === 'FAILED')
    return { kind: 'failed', reason: restore.failureReason ?? 'restore failed' };
  return { kind: 'waiting', dueAt: restore.dueAt };
}

async function ensureRequested(deps: RestoreDeps, object: ArchivedObject): Promise<Restore> {
  for (let round = 0; round < 5; round++) {
    const now = deps.now();
    const current = await deps.restores.get(object.uri);
    const restoring = object.seen === 'restoring';
    // Not looked at in S3: a restored copy that has not expired is taken as it is.
    if (
      object.seen === 'not-looked-at' &&
      current?.state === 'RESTORED' &&
      (current.expiresAt === undefined || current.expiresAt > now.toISOString())
    ) {
      return current;
    }
    if (current?.state === 'REQUESTED') {
      // Asked for already, or being asked for by a registration still running: wait for it. One
      // whose asker died before S3 answered is asked for again (S3 answers 409 if it had started).
      const stale = now.getTime() - Date.parse(current.requestedAt) > ASK_TAKEOVER_MS;
      if (current.askedAt || restoring || !stale) return current;
      return ask(deps, current);
    }
    // S3 says it is archived with nothing under way, so a RESTORED or FAILED item is from an earlier
    // copy (expired) or attempt: asked for again. Restoring already: someone else asked for it.
    const next = requestedRestore(current, object, deps.settings, now);
    const fresh = restoring ? { ...next, askedAt: next.requestedAt } : next;
    const written = current ? await deps.restores.replace(current, fresh) : await deps.restores.create(fresh);
    if (written === 'conflict') continue;
    return restoring ? fresh : ask(deps, fresh);
  }
  throw new Error(`restore item of ${object.uri} kept changing`);
}

/** Sends RestoreObject for a REQUESTED item and records what S3 answered. */
export async function ask(deps: RestoreDeps, restore: Restore): Promise<Restore> {
  let next: Restore;
  try {
    const answer = await deps.restorer.restore(restore.uri, {
      tier: restore.tier,
      days: restore.days,
      storageClass: restore.storageClass,
    });
    const asked = askedRestore(restore, deps.now());
    next = answer === 'restored' ? restoredRestore(asked, deps.now(), undefined) : asked;
    if (answer !== 'in-progress') deps.onRequested?.();
  } catch (error) {
    if (!(error instanceof RestoreRefusedError)) throw error;
    next = failedRestore(restore, error.message, deps.now());
    deps.onFailed?.(restore.uri, error.message);
  }
  // Lost to a concurrent writer (the completed event, the reconciler): theirs is newer.
  if ((await deps.restores.replace(restore, next)) === 'written') return next;
  return (await deps.restores.get(restore.uri)) ?? next;
}
