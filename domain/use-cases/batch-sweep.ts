import type { Batch } from '../batch.js';
import { describeError } from '../errors.js';
import type { Page, PageRequest } from '../ports.js';

/** What a sweep over batches reports besides its own findings: how many it took on, and which failed. */
export interface SweepReport {
  checked: number;
  errors: Array<{ batchId: string; message: string }>;
}

export interface BatchSweep {
  list: (page: PageRequest) => Promise<Page<Batch>>;
  pageSize: number;
  /** At most this many batches are taken on (counted in `checked`). */
  max: number;
  /** Batches passed over without being counted. */
  skip?: (batch: Batch) => boolean;
}

/**
 * Pages through the listed batches and hands each to `handle`; a batch whose handling throws is
 * reported in `errors` and the sweep goes on with the next.
 */
export async function sweepBatches(
  sweep: BatchSweep,
  report: SweepReport,
  handle: (batch: Batch) => Promise<void>,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await sweep.list({ cursor, limit: sweep.pageSize });
    for (const batch of page.items) {
      if (sweep.skip?.(batch)) continue;
      if (report.checked >= sweep.max) return;
      report.checked++;
      try {
        await handle(batch);
      } catch (error) {
        report.errors.push({ batchId: batch.batchId, message: describeError(error) });
      }
    }
    cursor = page.cursor;
  } while (cursor);
}
