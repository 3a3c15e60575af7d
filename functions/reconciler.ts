import type { ScheduledEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import type { CompletionDeps } from '../domain/use-cases/aggregate-completion.js';
import {
  type ResumeOptions,
  type ResumeReport,
  resumeInterruptedNotifications,
} from '../domain/use-cases/batch-notification.js';
import { type ReconcileReport, type ReconcilerDeps, reconcile } from '../domain/use-cases/reconcile.js';
import {
  type QuietBatchOptions,
  type QuietBatchReport,
  recountQuietBatches,
} from '../domain/use-cases/recount-batch.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface ReconcilerHandlerDeps {
  reconciler: ReconcilerDeps;
  /** Batch notifications whose sender stopped mid-send are sent from here. */
  completion: CompletionDeps;
  notificationResume: ResumeOptions;
  /** Open batches that went quiet are recounted from their launches. */
  batchRecount: QuietBatchOptions;
  telemetry: Telemetry;
}

export interface ReconcilerResult extends ReconcileReport {
  notifications: ResumeReport;
  batches: Omit<QuietBatchReport, 'reports'>;
}

/**
 * Scheduled -> repair launches whose events, stream records or writes were lost, and send the
 * batch notifications a stopped sender left marked SENDING.
 */
export function makeReconcilerHandler(deps: ReconcilerHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<ReconcilerResult> => {
    try {
      const notifications = await resumeNotifications(deps);
      const report = await reconcile(deps.reconciler);
      const batches = await recountBatches(deps);
      count(METRICS.reconcilerChecked, report.checked);
      count(METRICS.reconcilerRepairs, report.repairs);
      // Sent every run, zero included, so each run is one data point of the stuck-launch alarm.
      count(METRICS.reconcilerLeft, report.leftForNextRun);
      // A notification that could not be sent is one more thing this run could not reconcile.
      count(
        METRICS.reconcilerErrors,
        report.errors.length + notifications.errors.length + batches.errors.length,
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
      });
      if (report.leftForNextRun > 0) {
        logger.warn('stale launches left for the next run', { leftForNextRun: report.leftForNextRun });
      }
      return { ...report, notifications, batches };
    } finally {
      deps.telemetry.flush();
    }
  };
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
