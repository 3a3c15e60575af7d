import { isTerminal, LAUNCH_STATUSES, type LaunchStatus } from '../domain/launch.js';
import { METRICS } from '../domain/metrics.js';
import type { CostQueue, CostRequest } from '../domain/ports.js';
import { aggregateCompletion, type CompletionDeps } from '../domain/use-cases/aggregator.js';
import type { Telemetry } from './adapters/telemetry.js';
import { type LaunchRef, makeLaunchStreamConsumer } from './launch-stream-consumer.js';

export interface AggregatorHandlerDeps {
  completion: CompletionDeps;
  telemetry: Telemetry;
  /**
   * Where each finished run attempt is sent to be priced by the cost collector. Absent: runs are
   * not priced (a deployment without the cost queue).
   */
  costs?: CostQueue;
}

/**
 * The run attempt a terminal record finished, as its image saw it: the item may already be on its
 * next attempt (a retry started), and that attempt's cost must still be collected. An image whose
 * cost already names the attempt is the collector's own write coming back: nothing to send.
 */
export function costRequestOf(ref: LaunchRef): CostRequest | undefined {
  const image = ref.image;
  const status = image?.status?.trim().toUpperCase();
  if (!image || !status || !(LAUNCH_STATUSES as readonly string[]).includes(status)) return undefined;
  if (!isTerminal(status as LaunchStatus) || image.attempt === undefined) return undefined;
  if (image.pricedAttempt === image.attempt) return undefined;
  return { batchId: ref.batchId, launchId: ref.launchId, attempt: image.attempt, runId: image.runId };
}

/**
 * DynamoDB Streams (launches that finished, or started a retry) -> batch counts, QC once, one
 * notification per batch round.
 */
export function makeAggregatorHandler(deps: AggregatorHandlerDeps) {
  const { logger } = deps.telemetry;
  return makeLaunchStreamConsumer(deps.telemetry, async (ref) => {
    const { batchId, launchId } = ref;
    const outcome = await aggregateCompletion(deps.completion, { batchId, launchId });
    if (outcome.counted) deps.telemetry.count(METRICS.outcomesCounted);
    for (const step of outcome.steps) {
      if (step === 'start-qc' || step === 'rerun-qc') deps.telemetry.count(METRICS.qcStarted);
      if (step === 'reopen') deps.telemetry.count(METRICS.batchesReopened);
      if (step === 'finish') deps.telemetry.count(METRICS.batchesCompleted);
    }
    if (outcome.batchDurationSeconds !== undefined) {
      deps.telemetry.seconds(METRICS.batchDuration, outcome.batchDurationSeconds);
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
    // After counting, QC and notification, so pricing never delays them. A failed send fails the
    // record: the stream delivers it again, its counting is then a no-op, and the send is retried.
    const costRequest = deps.costs ? costRequestOf(ref) : undefined;
    if (deps.costs && costRequest) await deps.costs.send(costRequest);
    return outcome;
  });
}
