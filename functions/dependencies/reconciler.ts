import { randomUUID } from 'node:crypto';
import type { ResumeOptions } from '../../domain/use-cases/batch-notification.js';
import type { ReconcilerDeps } from '../../domain/use-cases/reconcile.js';
import type { RestoreSweepDeps } from '../../domain/use-cases/reconcile-restores.js';
import type { QuietBatchOptions } from '../../domain/use-cases/recount-batch.js';
import type { RegistrationResumeOptions } from '../../domain/use-cases/resume-registrations.js';
import type { WaitingLaunchesDeps } from '../../domain/use-cases/waiting-launches.js';
import { makeLaunchQueueStore } from '../adapters/launch-queue-store.js';
import { makeWaitingLaunchReader } from '../adapters/status-index.js';
import type { ReconcilerHandlerDeps } from '../reconciler.js';
import type { Base } from './base.js';
import { completionOf } from './completion.js';
import { engineReadsOf } from './engine.js';
import { intakeOf } from './intake.js';
import { launcherOf } from './launcher.js';
import { inputsOf, manifestsOf, restoresOf } from './objects.js';
import { restoreTrackerOf } from './restore-tracker.js';
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

export function notificationResumeOf({ config, minutes }: Base): ResumeOptions {
  return {
    staleAfterMs: minutes(config.RECONCILE_AFTER_MINUTES_SENDING),
    max: config.RECONCILE_MAX_LAUNCHES,
  };
}

export function batchRecountOf({ config, minutes }: Base): QuietBatchOptions {
  return { quietForMs: minutes(config.RECONCILE_AFTER_MINUTES_BATCH), max: config.RECONCILE_MAX_BATCHES };
}

export function registrationResumeOf({ config, minutes }: Base): RegistrationResumeOptions {
  return {
    quietForMs: minutes(config.RECONCILE_AFTER_MINUTES_REGISTRATION),
    max: config.RECONCILE_MAX_BATCHES,
  };
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

/**
 * The reconciler function: the table, HealthOmics, CloudWatch Logs, S3 and the notifier (it
 * repairs what every other function does).
 */
export function reconcilerDependencies(base: Base): Omit<ReconcilerHandlerDeps, 'telemetry'> {
  return {
    reconciler: reconcilerOf(base),
    completion: completionOf(base),
    notificationResume: notificationResumeOf(base),
    batchRecount: batchRecountOf(base),
    registrations: {
      intake: intakeOf(base),
      manifests: manifestsOf(base),
      newOwner: randomUUID,
      options: registrationResumeOf(base),
    },
    restores: restoreSweepOf(base),
    waiting: waitingOf(base),
  };
}
