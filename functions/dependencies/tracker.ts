import type { TrackerDeps } from '../../domain/use-cases/track-run-status.js';
import type { RunStatusHandlerDeps } from '../on-run-status-change.js';
import type { Base } from './base.js';
import { engineOf } from './engine.js';
import { runLogsOf } from './run-logs.js';

/** Applying a run's status to its launch (the status tracker, and the reconciler). */
export function trackerOf(base: Base): TrackerDeps {
  return base.share(trackerOf, () => ({
    launches: base.launches,
    engine: engineOf(base),
    logs: runLogsOf(base),
    logLines: base.config.LOG_EXCERPT_LINES,
    now: base.now,
  }));
}

/** The status tracker function: the table, HealthOmics, CloudWatch Logs (a failed run's log excerpt). */
export function trackerDependencies(base: Base): Omit<RunStatusHandlerDeps, 'telemetry'> {
  return { tracker: trackerOf(base) };
}
