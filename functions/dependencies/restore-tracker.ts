import type { RestoreSweepDeps } from '../../domain/use-cases/reconcile-restores.js';
import type { TrackRestoreDeps } from '../../domain/use-cases/restore-tracker.js';
import type { RestoreTrackerHandlerDeps } from '../restore-tracker.js';
import type { RestoreTrackerSweepDeps } from '../restore-tracker-sweep.js';
import type { Base } from './base.js';
import { inputsOf, restoresOf } from './objects.js';

/** A restored input: its restore item, and the launches waiting for it (the tracker and its sweep). */
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

/** Restores past their due time, and launches that missed their wake-up. */
export function restoreSweepOf(base: Base): RestoreSweepDeps {
  return base.share(restoreSweepOf, () => ({
    tracker: restoreTrackerOf(base),
    request: restoresOf(base),
    inputs: inputsOf(base),
    waitingQuietMs: base.minutes(base.config.RECONCILE_AFTER_MINUTES_WAITING),
    max: base.config.RECONCILE_MAX_LAUNCHES,
  }));
}

/** Its scheduled sweep: the table, and S3 (what became of each restore, asking again). */
export function restoreTrackerSweepDependencies(base: Base): Omit<RestoreTrackerSweepDeps, 'telemetry'> {
  return { restores: restoreSweepOf(base) };
}
