import { Service } from 'electrodb';
import type { BatchCounts } from '../../domain/batch.js';
import type { OutcomeLedger, WriteResult } from '../../domain/ports.js';
import type { Entities } from './entities.js';

const COUNTERS: readonly (keyof BatchCounts)[] = [
  'succeeded',
  'failed',
  'cancelled',
  'launchFailed',
  'deleted',
];

/**
 * Counting marks (one item per launch, beside the launch in the batch's partition) and the
 * batch's counters, changed in one TransactWriteItems: a lost race or a redelivery writes neither.
 */
export function makeOutcomeLedger(entities: Entities): OutcomeLedger {
  const { outcome } = entities;
  const ledger = new Service({ outcome: entities.outcome, batch: entities.batch });
  return {
    async get(batchId, launchId) {
      const result = await outcome.get({ batchId, launchId }).go({ consistent: true });
      if (!result.data) return undefined;
      const { attempt, revision } = result.data;
      return { batchId, launchId, attempt, revision, outcome: result.data.outcome };
    },

    async record(expected, next, delta, now): Promise<WriteResult> {
      const mark = { ...next, updatedAt: now };
      const { canceled } = await ledger.transaction
        .write(({ outcome, batch }) => [
          expected
            ? outcome
                .put(mark)
                .where(({ revision }, { eq }) => eq(revision, expected.revision))
                .commit()
            : outcome.create(mark).commit(),
          batch
            .update({ batchId: next.batchId })
            .data(({ counts, revision, retriesCounted, updatedAt }, { add, set }) => {
              for (const name of COUNTERS) {
                const by = delta[name] ?? 0;
                if (by !== 0) add(counts[name], by);
              }
              add(revision, 1);
              if (delta.retries) add(retriesCounted, delta.retries);
              set(updatedAt, now);
            })
            .where(({ counts }, { exists }) => exists(counts))
            .commit(),
        ])
        .go();
      // Cancelled: the mark moved on or already exists, or the batch is gone (a lost race).
      return canceled ? 'conflict' : 'written';
    },
  };
}
