import type { TrackRestoreDeps } from '../../domain/use-cases/track-restore.js';
import type { RestoreTrackerHandlerDeps } from '../restore-tracker.js';
import type { Base } from './base.js';

/** A restored input: its restore item, and the launches waiting for it (the tracker, the reconciler). */
export function restoreTrackerOf(base: Base): TrackRestoreDeps {
  return base.share(restoreTrackerOf, () => ({
    restores: base.restores,
    launches: base.launches,
    now: base.now,
    concurrency: 16,
  }));
}

/** The restore tracker function: the table only. */
export function restoreTrackerDependencies(base: Base): Omit<RestoreTrackerHandlerDeps, 'telemetry'> {
  return { restoreTracker: restoreTrackerOf(base) };
}
