import type { Batch } from '../batch.js';
import { overBudget } from '../cost/estimate.js';
import { formatUsd } from '../money.js';
import type { PageRequest } from '../ports.js';
import { sweepBatches } from './batch-sweep.js';
import type { IntakeDeps } from './intake.js';
import { release } from './release-launches.js';

export type HeldBatchDeps = Pick<IntakeDeps, 'batches' | 'launches' | 'now' | 'releaseConcurrency'>;

/**
 * What a person asked of a held batch, read from the batch item:
 * - release: `budgetMaxUsd` raised to the estimate or above, or removed (`gwm release` does that
 *   edit); `status` set to REGISTERED also releases;
 * - reject: `status` set to REJECTED (`gwm release --reject` writes the rejection itself);
 * - hold: still over its budget, nothing asked.
 */
export type HeldDecision = 'release' | 'reject' | 'hold' | 'unknown';

export function heldBatchDecision(batch: Batch): HeldDecision {
  switch (batch.status) {
    case 'HELD_OVER_BUDGET':
      return overBudget(batch) ? 'hold' : 'release';
    case 'REGISTERED':
      return 'release';
    case 'REJECTED':
      return 'reject';
    default:
      return 'unknown';
  }
}

/** The batch rejected while held: nothing of it is ever started; its launches stay REGISTERED. */
export function rejectedHeldBatch(batch: Batch, now: Date, by: string): Batch {
  const expected = batch.estimate?.costUsd?.expected;
  const message =
    `rejected by ${by} while held over its budget` +
    (expected !== undefined && batch.budgetMaxUsd !== undefined
      ? ` (estimate ${formatUsd(expected)}, budget ${formatUsd(batch.budgetMaxUsd)})`
      : '');
  return {
    ...batch,
    status: 'REJECTED',
    problems: [{ path: '$.budget.maxUsd', code: 'OVER_BUDGET', message }],
    problemCount: 1,
    releasedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    revision: batch.revision + 1,
  };
}

export interface HeldBatchReport {
  /** Held batches looked at. */
  checked: number;
  released: Array<{ batchId: string; released: number }>;
  rejected: string[];
  /** Still over budget: waiting for a person. */
  held: string[];
  errors: Array<{ batchId: string; message: string }>;
}

const PAGE = 100;

/**
 * The reconciler's budget step: carries out what people decided about held batches. A released
 * batch goes back to REGISTERED and is released exactly as the intake releases a batch within its
 * budget (each launch QUEUED once, then the batch ACTIVE); a rejected one is rewritten REJECTED
 * with the reason, so its index keys are right again. Every write is conditional: a batch changed
 * meanwhile is looked at again on the next run. Runs already in flight are never touched: a held
 * batch has none.
 */
export async function releaseHeldBatches(
  deps: HeldBatchDeps,
  options: { max: number },
): Promise<HeldBatchReport> {
  const report: HeldBatchReport = { checked: 0, released: [], rejected: [], held: [], errors: [] };
  const sweep = {
    list: (page: PageRequest) => deps.batches.listHeld(page),
    pageSize: PAGE,
    max: options.max,
  };
  await sweepBatches(sweep, report, (listed) => settle(deps, listed, report));
  return report;
}

async function settle(deps: HeldBatchDeps, batch: Batch, report: HeldBatchReport): Promise<void> {
  const now = deps.now();
  switch (heldBatchDecision(batch)) {
    case 'hold':
      report.held.push(batch.batchId);
      return;
    case 'reject': {
      const rejected = rejectedHeldBatch(batch, now, 'a person (console edit)');
      if ((await deps.batches.replace(batch, rejected)) === 'written') report.rejected.push(batch.batchId);
      return;
    }
    case 'release': {
      let registered = batch;
      if (batch.status !== 'REGISTERED') {
        registered = {
          ...batch,
          status: 'REGISTERED',
          releasedAt: now.toISOString(),
          updatedAt: now.toISOString(),
          revision: batch.revision + 1,
        };
        if ((await deps.batches.replace(batch, registered)) === 'conflict') return;
      }
      const outcome = await release(deps, registered, 0, false);
      report.released.push({ batchId: batch.batchId, released: outcome.released });
      return;
    }
    case 'unknown':
      report.errors.push({
        batchId: batch.batchId,
        message: `held batch has status ${batch.status}: set budgetMaxUsd (release) or status REJECTED (reject)`,
      });
  }
}
