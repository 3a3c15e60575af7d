import * as z from 'zod';
import type { Batch } from '../batch.js';
import type { BatchEstimate } from '../cost/types.js';
import { formatUsd } from '../money.js';
import { type NoticeBatch, noticeBatch } from './notice.js';
import { field, makeSubject } from './text.js';

/**
 * The notice sent when a batch is held before launch because its estimated cost is over its
 * budget: the estimate, the budget, the samples the estimate could not count, and how to release
 * or reject it. Small and of bounded size (no per-sample list), so it needs no trimming.
 */
export interface BatchHeldNotice extends NoticeBatch {
  kind: 'batch-held';
  sourceUri: string;
  sampleCount: number;
  estimate: BatchEstimate;
  budgetMaxUsd: number;
  tableName?: string;
}

export function batchHeldNotice(batch: Batch, tableName?: string): BatchHeldNotice {
  return {
    kind: 'batch-held',
    ...noticeBatch(batch),
    sourceUri: batch.sourceUri,
    sampleCount: batch.sampleCount,
    estimate: batch.estimate ?? {
      samplesEstimated: 0,
      samplesWithoutHistory: batch.sampleCount,
      estimatedAt: batch.updatedAt,
    },
    budgetMaxUsd: batch.budgetMaxUsd ?? 0,
    ...(tableName !== undefined && { tableName }),
  };
}

const MAX_TEXT = 2048;
const usd = z.number().nonnegative();

export const batchHeldDetailV1 = z.object({
  detailVersion: z.literal('1'),
  batchId: z.string().max(512),
  batchName: z.string().max(MAX_TEXT),
  sourceUri: z.string().max(MAX_TEXT),
  sampleCount: z.number().int().nonnegative(),
  estimate: z.object({
    costUsd: z.object({ expected: usd, low: usd, high: usd }).optional(),
    samplesEstimated: z.number().int().nonnegative(),
    samplesWithoutHistory: z.number().int().nonnegative(),
    estimatedAt: z.string().max(64),
  }),
  budgetMaxUsd: usd,
  tableName: z.string().max(MAX_TEXT).optional(),
});
export type BatchHeldDetailV1 = z.infer<typeof batchHeldDetailV1>;

export function batchHeldDetail(notice: BatchHeldNotice): BatchHeldDetailV1 {
  return {
    detailVersion: '1',
    batchId: notice.batchId.slice(0, 512),
    batchName: notice.batchName.slice(0, MAX_TEXT),
    sourceUri: notice.sourceUri.slice(0, MAX_TEXT),
    sampleCount: notice.sampleCount,
    estimate: notice.estimate,
    budgetMaxUsd: notice.budgetMaxUsd,
    ...(notice.tableName !== undefined && { tableName: notice.tableName.slice(0, MAX_TEXT) }),
  };
}

/** Dollars as people read them: `$1,234.50`. */
/** The smallest budget, in whole cents, that releases a batch with this expected cost. */
export function releasingBudget(expectedUsd: number): number {
  return Math.ceil(expectedUsd * 100) / 100;
}

export function renderBatchHeld(notice: BatchHeldNotice): { subject: string; text: string } {
  const { estimate } = notice;
  const cost = estimate.costUsd;
  const name = field(notice.batchName);
  const expected = cost ? formatUsd(cost.expected) : 'unknown';
  const subject = makeSubject(
    notice.batchName,
    `held: estimate ${expected} over budget ${formatUsd(notice.budgetMaxUsd)}`,
  );
  const table = notice.tableName ? `table ${notice.tableName}` : 'the gwm table';
  const raiseTo = cost ? releasingBudget(cost.expected) : notice.budgetMaxUsd;
  const lines = [
    `Batch ${name} is held: its estimated cost is over its budget. None of its ${notice.sampleCount} samples has been started.`,
    '',
    `Batch:     ${name} (id ${notice.batchId})`,
    `Source:    ${field(notice.sourceUri)}`,
    `Estimate:  ${expected} expected, ${cost ? `${formatUsd(cost.low)} to ${formatUsd(cost.high)}` : 'no range'} (p10-p90 of each sample, summed: a conservative range), for ${estimate.samplesEstimated} of ${notice.sampleCount} samples`,
    `Budget:    ${formatUsd(notice.budgetMaxUsd)}`,
  ];
  if (estimate.samplesWithoutHistory > 0) {
    lines.push(
      '',
      `${estimate.samplesWithoutHistory} ${estimate.samplesWithoutHistory === 1 ? 'sample has' : 'samples have'} no history (no completed, priced runs of their workflow yet) and ${estimate.samplesWithoutHistory === 1 ? 'is' : 'are'} not counted in the estimate: the batch may cost more.`,
    );
  }
  lines.push(
    '',
    'To release it (each sample is then started once, as for any batch):',
    `  gwm release ${notice.batchId}`,
    `  or in the DynamoDB console (${table}), on the batch item, set \`budgetMaxUsd\` to ${raiseTo.toFixed(2)} or more (or remove it).`,
    'To reject it (nothing is started):',
    `  gwm release ${notice.batchId} --reject`,
    "  or in the DynamoDB console, set the batch item's `status` to `REJECTED`.",
    "gwm carries out either on the reconciler's next run.",
  );
  return { subject, text: `${lines.join('\n')}\n` };
}
