import { METRICS } from '../domain/metrics.js';
import { aggregateCompletion, type CompletionDeps } from '../domain/use-cases/aggregate-completion.js';
import type { Telemetry } from './adapters/telemetry.js';
import { makeLaunchStreamConsumer } from './launch-stream-consumer.js';

export interface CompletionHandlerDeps {
  completion: CompletionDeps;
  telemetry: Telemetry;
}

/**
 * DynamoDB Streams (launches that finished, or started a retry) -> batch counts, QC once, one
 * notification per batch round.
 */
export function makeCompletionHandler(deps: CompletionHandlerDeps) {
  const { logger } = deps.telemetry;
  return makeLaunchStreamConsumer(deps.telemetry, async ({ batchId, launchId }) => {
    const outcome = await aggregateCompletion(deps.completion, { batchId, launchId });
    if (outcome.counted) deps.telemetry.count(METRICS.outcomesCounted);
    for (const step of outcome.steps) {
      if (step === 'start-qc' || step === 'rerun-qc') deps.telemetry.count(METRICS.qcStarted);
      if (step === 'reopen') deps.telemetry.count(METRICS.batchesReopened);
      if (step === 'finish') deps.telemetry.count(METRICS.batchesCompleted);
    }
    if (outcome.notified) deps.telemetry.count(METRICS.notificationsSent);
    if (outcome.qcSkipped) {
      deps.telemetry.count(METRICS.qcSkipped);
      logger.info('QC skipped', { reason: outcome.qcSkipped });
    }
    if (outcome.launchFailedNotice instanceof Error) {
      logger.warn('launch-failed notification not sent', { error: outcome.launchFailedNotice });
    } else if (outcome.launchFailedNotice === 'sent') {
      deps.telemetry.count(METRICS.notificationsSent);
    }
    if (outcome.steps.length > 0 || outcome.counted) {
      logger.info('batch progress', {
        counted: outcome.counted,
        steps: outcome.steps,
        batchStatus: outcome.batchStatus,
      });
    }
    return outcome;
  });
}
