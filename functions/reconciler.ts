import type { ScheduledEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import { type ReconcileReport, type ReconcilerDeps, reconcile } from '../domain/use-cases/reconcile.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface ReconcilerHandlerDeps {
  reconciler: ReconcilerDeps;
  telemetry: Telemetry;
}

/** Scheduled -> repair launches whose events, stream records or writes were lost. */
export function makeReconcilerHandler(deps: ReconcilerHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<ReconcileReport> => {
    try {
      const report = await reconcile(deps.reconciler);
      count(METRICS.reconcilerChecked, report.checked);
      count(METRICS.reconcilerRepairs, report.repairs);
      // Sent every run, zero included, so each run is one data point of the stuck-launch alarm.
      count(METRICS.reconcilerLeft, report.leftForNextRun);
      count(METRICS.reconcilerErrors, report.errors.length);
      for (const change of report.changes) {
        if (change.to === 'COMPLETED') count(METRICS.runsCompleted);
        if (change.to === 'FAILED') count(METRICS.runsFailed);
        logger.info('launch repaired', { ...change });
      }
      for (const problem of report.errors) logger.warn('launch not reconciled', { ...problem });
      const { changes: _changes, errors, ...summary } = report;
      logger.info('reconciled', { ...summary, errors: errors.length });
      if (report.leftForNextRun > 0) {
        logger.warn('stale launches left for the next run', { leftForNextRun: report.leftForNextRun });
      }
      return report;
    } finally {
      deps.telemetry.flush();
    }
  };
}
