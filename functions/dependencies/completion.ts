import type { CompletionDeps } from '../../domain/use-cases/aggregate-completion.js';
import { makeOutcomeLedger } from '../adapters/outcome-ledger.js';
import type { CompletionHandlerDeps } from '../completion-aggregator.js';
import type { Base } from './base.js';
import { costQueueOf } from './cost-queue.js';
import { notifierOf } from './notifier.js';
import { objectStoreOf } from './objects.js';

/** Counting outcomes, QC and the batch notification (the aggregator, and the reconciler's recount). */
export function completionOf(base: Base): CompletionDeps {
  return base.share(completionOf, () => ({
    launches: base.launches,
    batches: base.batches,
    ledger: makeOutcomeLedger(base.entities, base.doc, base.config.TABLE_NAME),
    notifier: notifierOf(base),
    objects: objectStoreOf(base),
    now: base.now,
    tableName: base.config.TABLE_NAME,
  }));
}

/** The completion aggregator function: the table, the notifier, S3 (the QC list), the cost queue. */
export function completionDependencies(base: Base): Omit<CompletionHandlerDeps, 'telemetry'> {
  return { completion: completionOf(base), costs: costQueueOf(base) };
}
