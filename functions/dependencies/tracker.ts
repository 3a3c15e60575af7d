import type { TrackerDeps } from '../../domain/use-cases/tracker.js';
import type { TrackerHandlerDeps } from '../tracker.js';
import type { Base } from './base.js';
import { engineOf } from './engine.js';
import { runLogsOf } from './run-logs.js';

/** Applying a run's status to its launch (the tracker, and the reconciler). */
export function trackerOf(base: Base): TrackerDeps {
  return base.share(trackerOf, () => ({
    launches: base.launches,
    engine: engineOf(base),
    logs: runLogsOf(base),
    logLines: base.config.LOG_EXCERPT_LINES,
    now: base.now,
  }));
}

/** The tracker function: the table, HealthOmics, CloudWatch Logs (a failed run's log excerpt). */
export function trackerDependencies(base: Base): Omit<TrackerHandlerDeps, 'telemetry'> {
  return { tracker: trackerOf(base) };
}
