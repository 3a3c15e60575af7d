import type { ScheduledEvent } from 'aws-lambda';
import { METRICS, WAITING_DIMENSIONS } from '../domain/metrics.js';
import type { ManifestObjectReader } from '../domain/ports.js';
import type { CompletionDeps } from '../domain/use-cases/aggregate-completion.js';
import {
  type ResumeOptions,
  type ResumeReport,
  resumeInterruptedNotifications,
} from '../domain/use-cases/batch-notification.js';
import { type ReconcileReport, type ReconcilerDeps, reconcile } from '../domain/use-cases/reconcile.js';
import {
  type RestoreSweepDeps,
  type RestoreSweepReport,
  reconcileRestores,
} from '../domain/use-cases/reconcile-restores.js';
import {
  type QuietBatchOptions,
  type QuietBatchReport,
  recountQuietBatches,
} from '../domain/use-cases/recount-batch.js';
import type { IntakeDeps } from '../domain/use-cases/register-manifest.js';
import { type HeldBatchReport, releaseHeldBatches } from '../domain/use-cases/release-held-batches.js';
import {
  type RegistrationResumeOptions,
  type RegistrationResumeReport,
  resumeRegistrations,
} from '../domain/use-cases/resume-registrations.js';
import {
  measureWaitingLaunches,
  type WaitingLaunchesDeps,
  type WaitingReport,
} from '../domain/use-cases/waiting-launches.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface ReconcilerHandlerDeps {
  reconciler: ReconcilerDeps;
  /** Batch notifications whose sender stopped mid-send are sent from here. */
  completion: CompletionDeps;
  notificationResume: ResumeOptions;
  /** Open batches that went quiet are recounted from their launches. */
  batchRecount: QuietBatchOptions;
  /** Registrations whose intake stopped for good are finished from their source manifest. */
  registrations: {
    intake: Omit<IntakeDeps, 'owner'>;
    manifests: ManifestObjectReader;
    /** The registration lease holder, one per run. */
    newOwner: () => string;
    options: RegistrationResumeOptions;
  };
  /** Restores of archived inputs past their due time, and launches still waiting for them. */
  restores: RestoreSweepDeps;
  /** Launches waiting to start are counted, and the oldest measured against the launch rate. */
  waiting: WaitingLaunchesDeps;
  telemetry: Telemetry;
}

export interface ReconcilerResult extends ReconcileReport {
  notifications: ResumeReport;
  batches: Omit<QuietBatchReport, 'reports'>;
  registrations: RegistrationResumeReport;
  held: HeldBatchReport;
  restores: RestoreSweepReport;
  /** Undefined when the waiting launches could not be read this run. */
  waiting?: WaitingReport;
}

/**
 * Scheduled -> repair launches whose events, stream records or writes were lost, send the batch
 * notifications a stopped sender left marked SENDING, finish registrations whose intake stopped
 * for good, and recount quiet open batches.
 */
export function makeReconcilerHandler(deps: ReconcilerHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<ReconcilerResult> => {
    const notifications = await resumeNotifications(deps);
    const report = await reconcile(deps.reconciler);
    // After the sweep: what it re-queued is waiting again.
    const waiting = await measureWaiting(deps);
    const registrations = await resumeStalledRegistrations(deps);
    const held = await settleHeldBatches(deps);
    const restores = await sweepRestores(deps);
    const batches = await recountBatches(deps);
    count(METRICS.reconcilerChecked, report.checked);
    count(METRICS.reconcilerRepairs, report.repairs);
    count(METRICS.reconcilerRequeued, report.requeued);
    // Sent every run, zero included, so each run is one data point of the stuck-launch alarm.
    count(METRICS.reconcilerLeft, report.leftForNextRun);
    // A notification that could not be sent is one more thing this run could not reconcile.
    count(
      METRICS.reconcilerErrors,
      report.errors.length +
        notifications.errors.length +
        batches.errors.length +
        registrations.errors.length +
        registrations.unresumable.length +
        held.errors.length +
        restores.errors.length +
        (waiting ? 0 : 1),
    );
    for (const change of report.changes) {
      if (change.to === 'COMPLETED') count(METRICS.runsCompleted);
      if (change.to === 'FAILED') count(METRICS.runsFailed);
      logger.info('launch repaired', { ...change });
    }
    for (const problem of report.errors) logger.warn('launch not reconciled', { ...problem });
    // Skipped, never blocking the sweep; each carries a note saying how to fix it.
    count(METRICS.itemsUnreadable, report.unreadable.length);
    for (const item of report.unreadable) logger.warn('unreadable launch skipped', { ...item });
    const { changes: _changes, errors, unreadable, ...summary } = report;
    logger.info('reconciled', {
      ...summary,
      errors: errors.length,
      unreadable: unreadable.length,
      notificationsResent: notifications.resent.length,
      registrationsResumed: registrations.resumed.length,
    });
    if (report.leftForNextRun > 0) {
      logger.warn('stale launches left for the next run', { leftForNextRun: report.leftForNextRun });
    }
    return { ...report, notifications, batches, registrations, held, restores, waiting };
  };
}

/**
 * Per waiting status, how many launches wait and how long the oldest has; and how far the oldest
 * startable one is past the time the launch rate explains (the launches-overdue alarm). Sent every
 * run, zeros included. Beyond the read bound the counts are floors and the overdue measure is not
 * sent: a backlog that large is the StuckLaunches and dashboard's business, not a guess here.
 */
async function measureWaiting(deps: ReconcilerHandlerDeps): Promise<WaitingReport | undefined> {
  const { logger, count, measure } = deps.telemetry;
  let report: WaitingReport;
  try {
    report = await measureWaitingLaunches(deps.waiting);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    logger.warn('waiting launches not measured', { message });
    return undefined;
  }
  for (const [status, { count: waiting, oldestAgeSeconds }] of Object.entries(report.byStatus)) {
    measure(METRICS.launchesWaiting, waiting, { [WAITING_DIMENSIONS.status]: status });
    measure(METRICS.oldestWaitingAge, Math.round(oldestAgeSeconds), { [WAITING_DIMENSIONS.status]: status });
  }
  if (report.complete) count(METRICS.launchesOverdue, Math.round(report.overdueSeconds));
  else
    logger.warn('more launches wait than one run reads: counts are floors, overdue not measured', {
      read: report.byStatus.QUEUED.count + report.byStatus.THROTTLED.count,
    });
  if (report.overdueSeconds > 0) {
    logger.warn('launches wait longer than the launch rate explains', {
      overdueSeconds: Math.round(report.overdueSeconds),
      startable: report.startable,
      oldestStartableAgeSeconds: Math.round(report.oldestStartableAgeSeconds),
      expectedDrainSeconds: Math.round(report.expectedDrainSeconds),
      heldTeams: report.heldTeams,
    });
  }
  return report;
}

/**
 * Before the recount: a REGISTERED batch resumed now is ACTIVE, not quiet. A registration that
 * cannot be resumed (its manifest gone or overwritten) counts as not reconciled, and its log line
 * says to upload the manifest again.
 */
async function resumeStalledRegistrations(deps: ReconcilerHandlerDeps): Promise<RegistrationResumeReport> {
  const { logger, count } = deps.telemetry;
  const { intake, manifests, newOwner, options } = deps.registrations;
  let report: RegistrationResumeReport;
  try {
    report = await resumeRegistrations({ intake: { ...intake, owner: newOwner() }, manifests }, options);
  } catch (error) {
    // The listing itself failed (a batch item a console edit broke, a table fault): the recount
    // after this step still runs.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report = { checked: 0, resumed: [], unresumable: [], busy: [], errors: [{ batchId: '?', message }] };
  }
  count(METRICS.registrationsResumed, report.resumed.length);
  for (const resumed of report.resumed) logger.warn('registration resumed', { ...resumed });
  for (const stuck of report.unresumable) {
    logger.error('registration cannot be resumed; upload the manifest again', { ...stuck });
  }
  for (const batchId of report.busy) logger.info('registration left to another invocation', { batchId });
  for (const problem of report.errors) logger.warn('registration not resumed', { ...problem });
  return report;
}

/**
 * Batches held over their budget that a person released (raised `budgetMaxUsd`) or rejected
 * (`status` REJECTED): released as the intake releases a batch, or rewritten REJECTED.
 */
async function settleHeldBatches(deps: ReconcilerHandlerDeps): Promise<HeldBatchReport> {
  const { logger } = deps.telemetry;
  let report: HeldBatchReport;
  try {
    report = await releaseHeldBatches(deps.registrations.intake, deps.registrations.options);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report = { checked: 0, released: [], rejected: [], held: [], errors: [{ batchId: '?', message }] };
  }
  for (const released of report.released) logger.info('held batch released', { ...released });
  for (const batchId of report.rejected) logger.info('held batch rejected', { batchId });
  for (const problem of report.errors) logger.warn('held batch not settled', { ...problem });
  return report;
}

/** Restores whose events were lost or late, and launches that missed their wake-up. */
async function sweepRestores(deps: ReconcilerHandlerDeps): Promise<RestoreSweepReport> {
  const { logger, count } = deps.telemetry;
  let report: RestoreSweepReport;
  try {
    report = await reconcileRestores(deps.restores);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report = {
      checked: 0,
      restored: [],
      requestedAgain: [],
      stillRestoring: [],
      failed: [],
      launchesRepaired: 0,
      errors: [{ uri: '?', message }],
    };
  }
  count(METRICS.restoresCompleted, report.restored.length);
  count(METRICS.restoresRequested, report.requestedAgain.length);
  count(METRICS.restoresFailed, report.failed.length);
  for (const uri of report.restored) logger.warn('input found restored; its event was lost or late', { uri });
  for (const uri of report.requestedAgain) logger.warn('archived input asked for again', { uri });
  for (const uri of report.failed)
    logger.warn('archived input cannot be restored; its launches failed', { uri });
  if (report.launchesRepaired > 0)
    logger.warn('waiting launches repaired', { count: report.launchesRepaired });
  for (const problem of report.errors) logger.warn('restore not reconciled', { ...problem });
  return report;
}

/** After the launches: a launch repaired just now may be the outcome a quiet batch was missing. */
async function recountBatches(deps: ReconcilerHandlerDeps): Promise<ReconcilerResult['batches']> {
  const { logger, count } = deps.telemetry;
  const { reports, ...report } = await recountQuietBatches(deps.completion, deps.batchRecount);
  count(METRICS.batchesRecounted, report.recounted.length);
  for (const recount of reports) {
    if (recount.recounted === 0 && recount.steps.length === 0) continue;
    logger.warn('batch recounted', { ...recount });
    if (recount.notified) count(METRICS.notificationsSent);
  }
  for (const problem of report.errors) logger.warn('batch not recounted', { ...problem });
  return report;
}

async function resumeNotifications(deps: ReconcilerHandlerDeps): Promise<ResumeReport> {
  const { logger, count } = deps.telemetry;
  const report = await resumeInterruptedNotifications(deps.completion, deps.notificationResume);
  count(METRICS.notificationsResent, report.resent.length);
  count(METRICS.notificationsSent, report.resent.length);
  for (const batchId of report.resent) logger.warn('batch notification sent again', { batchId });
  for (const problem of report.errors) logger.warn('batch notification not sent', { ...problem });
  return report;
}
