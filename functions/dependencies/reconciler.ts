import { randomUUID } from 'node:crypto';
import type { ResumeOptions } from '../../domain/use-cases/batch-notification.js';
import type { ReconcilerDeps } from '../../domain/use-cases/reconcile.js';
import type { RestoreSweepDeps } from '../../domain/use-cases/reconcile-restores.js';
import type { QuietBatchOptions } from '../../domain/use-cases/recount-batch.js';
import type { RegistrationResumeOptions } from '../../domain/use-cases/resume-registrations.js';
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
  };
}
