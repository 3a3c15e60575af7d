import type { ReconcilerDeps } from '../../domain/use-cases/reconciler.js';
import type { WaitingLaunchesDeps } from '../../domain/use-cases/waiting-launches.js';
import { makeLaunchQueueStore } from '../adapters/launch-queue-store.js';
import { makeWaitingLaunchReader } from '../adapters/status-index.js';
import type { ReconcilerHandlerDeps } from '../reconciler.js';
import type { Base } from './base.js';
import { engineReadsOf } from './engine.js';
import { launcherOf } from './launcher.js';
import { trackerOf } from './tracker.js';

/** Launches whose events, stream records or writes were lost, by how long each status may last. */
export function reconcilerOf(base: Base): ReconcilerDeps {
  const { config, minutes } = base;
  return base.share(reconcilerOf, () => ({
    ...trackerOf(base),
    engineReads: engineReadsOf(base),
    launcher: launcherOf(base),
    staleAfterMs: {
      QUEUED: minutes(config.RECONCILE_AFTER_MINUTES_QUEUED),
      THROTTLED: minutes(config.RECONCILE_AFTER_MINUTES_QUEUED),
      SUBMITTING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTING),
      SUBMITTED: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      PENDING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      STARTING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      RUNNING: minutes(config.RECONCILE_AFTER_MINUTES_RUNNING),
      STOPPING: minutes(config.RECONCILE_AFTER_MINUTES_RUNNING),
    },
    maxLaunches: config.RECONCILE_MAX_LAUNCHES,
  }));
}

/**
 * Slack on top of the time the StartRun rate needs to start every waiting launch before they
 * count as overdue: the launcher's scheduling rounds, StartRun retries, and the reconciler's own
 * period (in RECONCILE_TIME_UNIT_SECONDS units, so the embedded runtime shortens it).
 */
const LAUNCH_OVERDUE_MARGIN_MINUTES = 15;
/** Waiting launches the reconciler reads from the status index per run: 10,000 fit several times over. */
const WAITING_READ_MAX = 50_000;

/** Launches waiting to start, measured by each reconciler run against the StartRun pace. */
export function waitingOf(base: Base): WaitingLaunchesDeps {
  const { config } = base;
  return base.share(waitingOf, () => ({
    launches: makeWaitingLaunchReader(base.entities),
    teams: base.teams,
    queue: makeLaunchQueueStore(base.entities),
    // Teams are held at their maxInFlight only in fair-share order.
    teamLimits: config.LAUNCH_ORDER === 'fair-share',
    startRatePerSecond: config.STARTRUN_RATE_PER_SECOND,
    marginMs: base.minutes(LAUNCH_OVERDUE_MARGIN_MINUTES),
    maxRead: WAITING_READ_MAX,
    now: base.now,
  }));
}

/** The reconciler function: the table, HealthOmics (GetRun, StartRun) and CloudWatch Logs. */
export function reconcilerDependencies(base: Base): Omit<ReconcilerHandlerDeps, 'telemetry'> {
  return { reconciler: reconcilerOf(base), waiting: waitingOf(base) };
}
