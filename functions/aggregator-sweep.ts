import type { ScheduledEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import type { CompletionDeps } from '../domain/use-cases/aggregator.js';
import {
  type ResumeOptions,
  type ResumeReport,
  resumeInterruptedNotifications,
} from '../domain/use-cases/batch-notification.js';
import {
  type QuietBatchOptions,
  type QuietBatchReport,
  recountQuietBatches,
} from '../domain/use-cases/recount-batch.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface AggregatorSweepDeps {
  completion: CompletionDeps;
  /** Batch notifications a stopped sender left marked SENDING are sent from here. */
  notificationResume: ResumeOptions;
  /** Open batches that went quiet are recounted from their launches. */
  batchRecount: QuietBatchOptions;
  telemetry: Telemetry;
}

export interface AggregatorSweepResult {
  notifications: ResumeReport;
  batches: Omit<QuietBatchReport, 'reports'>;
}

/**
 * Scheduled, in the aggregator function -> send the batch notifications a stopped
 * sender left marked SENDING, and recount open batches that went quiet (an outcome whose stream
 * record was lost).
 */
export function makeAggregatorSweep(deps: AggregatorSweepDeps) {
  const { count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<AggregatorSweepResult> => {
    const notifications = await resumeNotifications(deps);
    const batches = await recountBatches(deps);
    // A notification that could not be sent is one more thing this run could not reconcile.
    count(METRICS.reconcilerErrors, notifications.errors.length + batches.errors.length);
    return { notifications, batches };
  };
}

async function resumeNotifications(deps: AggregatorSweepDeps): Promise<ResumeReport> {
  const { logger, count } = deps.telemetry;
  const report = await resumeInterruptedNotifications(deps.completion, deps.notificationResume);
  count(METRICS.notificationsResent, report.resent.length);
  count(METRICS.notificationsSent, report.resent.length);
  for (const batchId of report.resent) logger.warn('batch notification sent again', { batchId });
  for (const problem of report.errors) logger.warn('batch notification not sent', { ...problem });
  return report;
}

async function recountBatches(deps: AggregatorSweepDeps): Promise<AggregatorSweepResult['batches']> {
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
