import type { CompletionDeps } from '../../domain/use-cases/aggregator.js';
import type { ResumeOptions } from '../../domain/use-cases/batch-notification.js';
import type { QuietBatchOptions } from '../../domain/use-cases/recount-batch.js';
import { makeOutcomeLedger } from '../adapters/outcome-ledger.js';
import type { AggregatorHandlerDeps } from '../aggregator.js';
import type { AggregatorSweepDeps } from '../aggregator-sweep.js';
import type { Base } from './base.js';
import { costQueueOf } from './cost-queue.js';
import { notifierOf } from './notifier.js';
import { objectStoreOf } from './objects.js';

/** Counting outcomes, QC and the batch notification (the aggregator, and its sweep's recount). */
export function completionOf(base: Base): CompletionDeps {
  return base.share(completionOf, () => ({
    launches: base.launches,
    batches: base.batches,
    ledger: makeOutcomeLedger(base.entities),
    notifier: notifierOf(base),
    objects: objectStoreOf(base),
    now: base.now,
    tableName: base.config.TABLE_NAME,
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

/** The aggregator function: the table, the notifier, S3 (the QC list), the cost queue. */
export function aggregatorDependencies(base: Base): Omit<AggregatorHandlerDeps, 'telemetry'> {
  return { completion: completionOf(base), costs: costQueueOf(base) };
}

/** Its scheduled sweep: interrupted notifications and quiet batches, with the same clients. */
export function aggregatorSweepDependencies(base: Base): Omit<AggregatorSweepDeps, 'telemetry'> {
  return {
    completion: completionOf(base),
    notificationResume: notificationResumeOf(base),
    batchRecount: batchRecountOf(base),
  };
}
