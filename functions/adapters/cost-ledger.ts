import { type CreateEntityItem, Service } from 'electrodb';
import { NO_BATCH_COST } from '../../domain/cost/types.js';
import type { CostLedger, CostMark, WriteResult } from '../../domain/ports.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';

type StoredMark = CreateEntityItem<Entities['costMark']>;

/**
 * Cost marks (one item per launch attempt, beside the launch in the batch's partition) and the
 * batch's `cost` totals. Settling a mark and adding its cost to the batch is one
 * TransactWriteItems conditioned on the mark: a redelivered request or a duplicate adds nothing.
 */
export function makeCostLedger(entities: Entities): CostLedger {
  const { costMark, batch } = entities;
  const ledger = new Service({ costMark, batch });

  const markItem = (next: CostMark, now: string) => ({ ...next, updatedAt: now }) satisfies StoredMark;

  /**
   * ADD cannot create the map it adds into: a batch without `cost` yet gets the zero totals first
   * (conditional, so it never resets totals another collector has added to).
   */
  async function ensureBatchCost(batchId: string): Promise<void> {
    await conditionalWrite(() =>
      batch
        .patch({ batchId })
        .set({ cost: { ...NO_BATCH_COST } })
        .where(({ cost }, { notExists }) => notExists(cost))
        .go({ response: 'none' }),
    );
  }

  return {
    async get(batchId, launchId, attempt) {
      const result = await costMark.get({ batchId, launchId, attempt }).go({ consistent: true });
      if (!result.data) return undefined;
      const { updatedAt: _updatedAt, ...mark } = result.data;
      return mark;
    },

    // A later mark is written only over `expected`, never over a priced one; a new one only if there is none.
    async saveProgress(expected, next, now): Promise<WriteResult> {
      const item = markItem(next, now);
      return conditionalWrite(() =>
        (expected
          ? costMark
              .put(item)
              .where(
                ({ revision, state }, { eq, ne }) =>
                  `${eq(revision, expected.revision)} AND ${ne(state, 'PRICED')}`,
              )
          : costMark.create(item)
        ).go({
          response: 'none',
        }),
      );
    },

    async settle(expected, next, now): Promise<WriteResult> {
      await ensureBatchCost(next.batchId);
      const { cost } = next;
      if (!cost)
        throw new Error(`cost mark ${next.launchId} attempt ${next.attempt} is settled without a cost`);
      const item = markItem(next, now);
      const { canceled } = await ledger.transaction
        .write(({ costMark: marks, batch: batches }) => [
          expected
            ? marks
                .put(item)
                .where(
                  ({ revision, state }, { eq, ne }) =>
                    `${eq(revision, expected.revision)} AND ${ne(state, 'PRICED')}`,
                )
                .commit()
            : marks.create(item).commit(),
          batches
            .update({ batchId: next.batchId })
            // `revision` moves too: a batch read before this write cannot be written back over it.
            .data(({ cost: totals, revision, updatedAt }, { add, set }) => {
              add(totals.totalUsd, cost.totalUsd);
              add(totals.computeUsd, cost.computeUsd);
              add(totals.storageUsd, cost.storageUsd);
              add(totals.runsPriced, 1);
              add(totals.runsEstimated, cost.estimated ? 1 : 0);
              add(revision, 1);
              set(updatedAt, now);
            })
            .where(({ cost: totals }, { exists }) => exists(totals))
            .commit(),
        ])
        .go();
      // Cancelled: the mark moved on or was priced already, or the batch is gone.
      return canceled ? 'conflict' : 'written';
    },
  };
}
