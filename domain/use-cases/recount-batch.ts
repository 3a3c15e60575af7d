import type { Batch } from '../batch.js';
import { isTerminal } from '../launch.js';
import type { PageRequest } from '../ports.js';
import { advanceBatch, type CompletionDeps, type CompletionOutcome, countLaunch } from './aggregator.js';
import { sweepBatches } from './batch-sweep.js';

const PAGE = 500;

export interface RecountReport {
  batchId: string;
  /** Sample launches looked at. */
  launches: number;
  /** Launches whose outcome the counters had missed (a lost or dead-lettered stream record). */
  recounted: number;
  /** What the batch did once its counts were right: reopen, QC, finish, notify. */
  steps: CompletionOutcome['steps'];
  notified: boolean;
  batchStatus?: Batch['status'];
}

/**
 * Recounts a batch from its launches: each launch's current attempt goes through the same
 * counting mark as a stream record would (so a launch already counted changes nothing), then
 * the batch moves on as far as its state allows. Idempotent, and safe beside the aggregator:
 * every write is the aggregator's own conditional write.
 */
export async function recountBatch(deps: CompletionDeps, batchId: string): Promise<RecountReport> {
  const report: RecountReport = { batchId, launches: 0, recounted: 0, steps: [], notified: false };
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByBatch(batchId, { cursor, limit: PAGE });
    for (const launch of page.items) {
      if (launch.kind !== 'SAMPLE') continue;
      report.launches++;
      // A first attempt still on its way has nothing to count (as in the aggregator).
      if (launch.attempt === 1 && !isTerminal(launch.status)) continue;
      if (await countLaunch(deps, launch)) report.recounted++;
    }
    cursor = page.cursor;
  } while (cursor);
  const outcome: CompletionOutcome = { counted: false, steps: [], notified: false };
  await advanceBatch(deps, batchId, outcome);
  return { ...report, steps: outcome.steps, notified: outcome.notified, batchStatus: outcome.batchStatus };
}

export interface QuietBatchOptions {
  /** A batch not finished and not changed for this long is recounted. */
  quietForMs: number;
  /** Batches recounted per call. */
  max: number;
}

export interface QuietBatchReport {
  /** Open batches looked at. */
  checked: number;
  /** Batches whose recount changed something (counts, or a step: QC, finish, notify). */
  recounted: string[];
  reports: RecountReport[];
  errors: Array<{ batchId: string; message: string }>;
}

/**
 * The batch-level repair the reconciler runs: a batch still open (REGISTERED, ACTIVE, QC_RUNNING)
 * that nothing has changed for `quietForMs` may be missing an outcome whose stream record was
 * lost; it is recounted. A recount that finds nothing marks the batch as looked at (its
 * `updatedAt` moves), so a long batch of long runs is recounted once per quiet period, not on
 * every run.
 */
export async function recountQuietBatches(
  deps: CompletionDeps,
  options: QuietBatchOptions,
): Promise<QuietBatchReport> {
  const report: QuietBatchReport = { checked: 0, recounted: [], reports: [], errors: [] };
  const quietSince = new Date(deps.now().getTime() - options.quietForMs).toISOString();
  const sweep = {
    list: (page: PageRequest) => deps.batches.listOpen(page),
    pageSize: PAGE,
    max: options.max,
    skip: (batch: Batch) => batch.updatedAt > quietSince,
  };
  await sweepBatches(sweep, report, async (batch) => {
    const recount = await recountBatch(deps, batch.batchId);
    report.reports.push(recount);
    if (recount.recounted > 0 || recount.steps.length > 0) report.recounted.push(batch.batchId);
    else await markLookedAt(deps, batch);
  });
  return report;
}

async function markLookedAt(deps: CompletionDeps, batch: Batch): Promise<void> {
  const current = await deps.batches.get(batch.batchId);
  if (!current || current.updatedAt > batch.updatedAt) return;
  const at = deps.now().toISOString();
  // A lost race means someone changed the batch: it is not quiet any more either way.
  await deps.batches.replace(current, { ...current, updatedAt: at, revision: current.revision + 1 });
}
