import type { Batch, BatchStatus } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import type { BatchRepository, LaunchRepository } from '../../domain/ports.js';

export const FINISHED_BATCH_STATUSES: ReadonlySet<BatchStatus> = new Set([
  'COMPLETED',
  'COMPLETED_WITH_FAILURES',
  'FAILED',
  'REJECTED',
]);

export interface BatchSnapshot {
  batch: Batch | undefined;
  launches: Launch[];
}

export interface WaitForBatchOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Called after each poll (progress displays). */
  onTick?: (snapshot: BatchSnapshot) => void;
  /** Finished means more than a final status: e.g. the round's notification was sent. */
  done?: (snapshot: BatchSnapshot) => boolean;
}

export class BatchWaitTimeout extends Error {
  constructor(
    readonly batchId: string,
    readonly last: BatchSnapshot,
    timeoutMs: number,
  ) {
    super(
      `batch ${batchId} did not finish within ${Math.round(timeoutMs / 1000)} s (last status: ${last.batch?.status ?? 'not registered'})`,
    );
    this.name = 'BatchWaitTimeout';
  }
}

/** Every launch of a batch, all pages. */
export async function listBatchLaunches(launches: LaunchRepository, batchId: string): Promise<Launch[]> {
  const all: Launch[] = [];
  let cursor: string | undefined;
  do {
    const page = await launches.listByBatch(batchId, { cursor, limit: 500 });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

/** The batch has a final status and the notification of its current round went out (or is off). */
export function finishedAndNotified({ batch }: BatchSnapshot): boolean {
  if (!batch || !FINISHED_BATCH_STATUSES.has(batch.status)) return false;
  if (batch.status === 'REJECTED') return true;
  return (
    batch.notifiedRound >= batch.round &&
    (batch.notificationState === 'SENT' || batch.notificationState === 'OFF')
  );
}

/** Polls the table until the batch is done, as a person watching the console would see it. */
export async function waitForBatch(
  repos: { batches: BatchRepository; launches: LaunchRepository },
  batchId: string,
  options: WaitForBatchOptions,
): Promise<BatchSnapshot> {
  const done = options.done ?? finishedAndNotified;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const snapshot: BatchSnapshot = {
      batch: await repos.batches.get(batchId),
      launches: await listBatchLaunches(repos.launches, batchId),
    };
    options.onTick?.(snapshot);
    if (done(snapshot)) return snapshot;
    if (Date.now() > deadline) throw new BatchWaitTimeout(batchId, snapshot, options.timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
