import type { ScheduledEvent } from 'aws-lambda';
import { describeError } from '../domain/errors.js';
import { METRICS, WAITING_DIMENSIONS } from '../domain/metrics.js';
import { type ReconcileReport, type ReconcilerDeps, reconcile } from '../domain/use-cases/reconciler.js';
import {
  measureWaitingLaunches,
  type WaitingLaunchesDeps,
  type WaitingReport,
} from '../domain/use-cases/waiting-launches.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface ReconcilerHandlerDeps {
  reconciler: ReconcilerDeps;
  /** Launches waiting to start are counted, and the oldest measured against the launch rate. */
  waiting: WaitingLaunchesDeps;
  telemetry: Telemetry;
}

export interface ReconcilerResult extends ReconcileReport {
  /** Undefined when the waiting launches could not be read this run. */
  waiting?: WaitingReport;
}

/**
 * Scheduled -> repair launches whose events, stream records or writes were lost (by how long each
 * status may last), then measure the launches waiting to start. The batch-level repairs run on the
 * same schedule in the functions that own them: the registration sweep (intake), the restore sweep
 * (restore tracker) and the completion sweep (aggregator).
 */
export function makeReconcilerHandler(deps: ReconcilerHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<ReconcilerResult> => {
    const report = await reconcile(deps.reconciler);
    // After the sweep: what it re-queued is waiting again.
    const waiting = await measureWaiting(deps);
    count(METRICS.reconcilerChecked, report.checked);
    count(METRICS.reconcilerRepairs, report.repairs);
    count(METRICS.reconcilerRequeued, report.requeued);
    // Sent every run, zero included, so each run is one data point of the stuck-launch alarm.
    count(METRICS.reconcilerLeft, report.leftForNextRun);
    count(METRICS.reconcilerErrors, report.errors.length + (waiting ? 0 : 1));
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
    });
    if (report.leftForNextRun > 0) {
      logger.warn('stale launches left for the next run', { leftForNextRun: report.leftForNextRun });
    }
    return { ...report, waiting };
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
    const message = describeError(error);
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
