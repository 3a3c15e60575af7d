import type { StreamSourceSettings } from '../../functions/event-sources.js';

/**
 * Records r1 to r8 read as one batch by a consumer with bisect on and 5 retries, whose handler
 * throws on every batch that holds r6: the settings, and the batches the handler sees in order.
 * Each halving counts as a retry; r6 is halved down to alone, then retried alone until it has been
 * called maxRetryAttempts + 1 times in all and is given up on; its neighbours are delivered.
 */
export const R6_BISECTION: { settings: Partial<StreamSourceSettings>; calls: string[][] } = {
  settings: { batchSize: 8, maxRetryAttempts: 5, bisectBatchOnError: true },
  calls: [
    ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'],
    ['r1', 'r2', 'r3', 'r4'],
    ['r5', 'r6', 'r7', 'r8'],
    ['r5', 'r6'],
    ['r5'],
    ['r6'],
    ['r6'],
    ['r6'],
    ['r7', 'r8'],
  ],
};
