import type { ScheduledEvent } from 'aws-lambda';
import { describeError } from '../domain/errors.js';
import { METRICS } from '../domain/metrics.js';
import {
  emptyRestoreSweepReport,
  type RestoreSweepDeps,
  type RestoreSweepReport,
  reconcileRestores,
} from '../domain/use-cases/reconcile-restores.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface RestoreTrackerSweepDeps {
  /** Restores of archived inputs past their due time, and launches still waiting for them. */
  restores: RestoreSweepDeps;
  telemetry: Telemetry;
}

export interface RestoreTrackerSweepResult {
  restores: RestoreSweepReport;
}

/**
 * Scheduled, in the restore tracker function -> restores whose completion events were lost or
 * late are read from S3, restores that lapsed are asked for again, and launches that missed their
 * wake-up are queued.
 */
export function makeRestoreTrackerSweep(deps: RestoreTrackerSweepDeps) {
  const { count } = deps.telemetry;
  return async (_event: ScheduledEvent): Promise<RestoreTrackerSweepResult> => {
    const restores = await sweepRestores(deps);
    count(METRICS.reconcilerErrors, restores.errors.length);
    return { restores };
  };
}

async function sweepRestores(deps: RestoreTrackerSweepDeps): Promise<RestoreSweepReport> {
  const { logger, count } = deps.telemetry;
  let report: RestoreSweepReport;
  try {
    report = await reconcileRestores(deps.restores);
  } catch (error) {
    const message = describeError(error);
    report = emptyRestoreSweepReport([{ uri: '?', message }]);
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
