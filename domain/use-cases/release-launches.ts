import type { Batch } from '../batch.js';
import { forEachConcurrently } from '../concurrency.js';
import { effectiveStatus } from '../launch.js';
import { requeue } from '../launch-transitions.js';
import { releasedLaunch } from '../registration.js';
import type { IntakeDeps, IntakeOutcome } from './intake.js';
import { persistTransition } from './persist.js';

/**
 * Makes every REGISTERED launch of a fully registered batch launchable, then marks the batch
 * ACTIVE. `resumed`: an earlier attempt may have written launches ready (QUEUED) whose stream
 * records the launcher's gate held until they were retried out; each is written once more (a
 * re-queue note), so the launcher is told again now that the batch is registered.
 */
export async function release(
  deps: Pick<IntakeDeps, 'batches' | 'launches' | 'now' | 'releaseConcurrency' | 'onProgress'>,
  batch: Batch,
  written: number,
  resumed: boolean,
): Promise<Extract<IntakeOutcome, { kind: 'registered' }>> {
  let released = 0;
  let cursor: string | undefined;
  do {
    // Every launch, not a filter on the stored status: a status typed over a REGISTERED launch
    // in the console must not keep it from ever being released.
    const page = await deps.launches.listByBatch(batch.batchId, { cursor, limit: 1000 });
    await forEachConcurrently(page.items, deps.releaseConcurrency, async (launch) => {
      const saved = await persistTransition(deps.launches, launch, (current) => {
        const next = releasedLaunch(current, deps.now());
        if (next) return { kind: 'changed', next };
        if (resumed && effectiveStatus(current) === 'QUEUED' && current.attempt === 1 && !current.runId)
          return requeue(current, 'its batch finished registering after an interrupted attempt', deps.now());
        return { kind: 'ignored', reason: 'conflict', detail: `launch is ${current.status}` };
      });
      if (saved.kind === 'changed') released++;
    });
    cursor = page.cursor;
    deps.onProgress?.({ batchId: batch.batchId, phase: 'release', done: released, total: batch.sampleCount });
  } while (cursor);

  // Released launches may already be finishing (their counts bump the batch's revision), so the
  // flip is retried on the fresh batch until it lands or someone else moved the batch on.
  let current: Batch | undefined = batch;
  let active = batch;
  for (let round = 0; current?.status === 'REGISTERED' && round < 20; round++) {
    const now = deps.now().toISOString();
    active = {
      ...current,
      status: 'ACTIVE',
      releasedCount: current.sampleCount,
      updatedAt: now,
      revision: current.revision + 1,
    };
    if ((await deps.batches.replace(current, active)) === 'written') break;
    current = await deps.batches.get(batch.batchId);
    active = current ?? active;
  }
  return { kind: 'registered', batch: active, launchesWritten: written, released, resumed };
}
