import * as z from 'zod';
import type { BatchEstimate } from '../cost/types.js';
import type { BatchCostView } from '../launch-cost.js';
import { formatUsd, formatUsdRange, MISSING_PRICE_MARK, usdNumber } from '../money.js';
import { clip } from '../text.js';
import { count, id, MAX_ID_CHARS } from './detail-fields.js';
import type { NoticeCost } from './notice.js';
import { field, nonNegativeInt, plural } from './text.js';

// What a finished batch cost, in the batch notice: the total, how many runs it covers, the most
// expensive samples.

/** Most expensive samples a notice lists. */
export const MOST_EXPENSIVE_LISTED = 5;
const PRICE_LISTS_LISTED = 5;
const PRICE_LIST_CHARS = 64;

/** The notice's cost from what the batch's launches cost (see `BatchCostTally`) and its estimate. */
export function noticeCost(view: BatchCostView, estimate?: BatchEstimate): NoticeCost {
  return {
    totalUsd: view.cost.totalUsd,
    computeUsd: view.cost.computeUsd,
    storageUsd: view.cost.storageUsd,
    runs: Math.max(view.runs, view.cost.runsPriced),
    runsPriced: view.cost.runsPriced,
    runsWithMissingPrice: view.cost.runsEstimated,
    priceLists: view.priceLists,
    mostExpensive: view.topSamples.slice(0, MOST_EXPENSIVE_LISTED).map((sample) => ({
      sampleId: sample.sampleId,
      launchId: sample.launchId,
      costUsd: sample.costUsd,
      runs: sample.runs,
      missingPrice: sample.missingPrice,
    })),
    ...(estimate?.costUsd && { estimate: estimate.costUsd }),
  };
}

const usd = z.number().nonnegative();

export const batchCostDetailV1 = z.object({
  totalUsd: usd,
  computeUsd: usd,
  storageUsd: usd,
  runs: count,
  runsPriced: count,
  runsWithMissingPrice: count,
  priceLists: z.array(z.string().max(PRICE_LIST_CHARS)).max(PRICE_LISTS_LISTED),
  mostExpensive: z
    .array(
      z.object({
        sampleId: id,
        launchId: id,
        costUsd: usd,
        runs: count,
        missingPrice: z.boolean(),
      }),
    )
    .max(MOST_EXPENSIVE_LISTED),
  estimate: z.object({ expected: usd, low: usd, high: usd }).optional(),
});

export type BatchCostDetailV1 = z.infer<typeof batchCostDetailV1>;

/** The cost in the event detail: bounded lists, amounts rounded to a millionth of a dollar. */
export function batchCostDetail(cost: NoticeCost): BatchCostDetailV1 {
  const amount = (value: number) => Math.max(0, usdNumber(Number.isFinite(value) ? value : 0));
  return {
    totalUsd: amount(cost.totalUsd),
    computeUsd: amount(cost.computeUsd),
    storageUsd: amount(cost.storageUsd),
    runs: nonNegativeInt(cost.runs),
    runsPriced: nonNegativeInt(cost.runsPriced),
    runsWithMissingPrice: nonNegativeInt(cost.runsWithMissingPrice),
    priceLists: cost.priceLists
      .slice(0, PRICE_LISTS_LISTED)
      .map((version) => clip(version, PRICE_LIST_CHARS)),
    mostExpensive: cost.mostExpensive.slice(0, MOST_EXPENSIVE_LISTED).map((sample) => ({
      sampleId: clip(sample.sampleId, MAX_ID_CHARS),
      launchId: clip(sample.launchId, MAX_ID_CHARS),
      costUsd: amount(sample.costUsd),
      runs: nonNegativeInt(sample.runs),
      missingPrice: sample.missingPrice,
    })),
    ...(cost.estimate && {
      estimate: {
        expected: amount(cost.estimate.expected),
        low: amount(cost.estimate.low),
        high: amount(cost.estimate.high),
      },
    }),
  };
}

/** The cost lines of the batch message, aligned with its other `Label:     value` lines. */
export function costLines(cost: NoticeCost, batchId: string): string[] {
  const missing = cost.runsWithMissingPrice > 0;
  const lines: string[] = [];
  if (cost.runs === 0) {
    lines.push('Cost:      none (no run was started)');
  } else if (cost.runsPriced === 0) {
    lines.push(
      `Cost:      not priced yet (0 of ${plural(cost.runs, 'run')}): runs are priced a few seconds after they end; \`gwm status ${batchId}\` shows the total`,
    );
  } else {
    const amount = formatUsd(cost.totalUsd, { missingPrice: missing });
    const parts = `compute ${formatUsd(cost.computeUsd)}, storage ${formatUsd(cost.storageUsd)}`;
    const priceList =
      cost.priceLists.length > 0 ? `; price list ${cost.priceLists.map(field).join(', ')}` : '';
    if (cost.runsPriced >= cost.runs) {
      lines.push(`Cost:      ${amount} (${parts}), ${plural(cost.runs, 'run')}${priceList}`);
    } else {
      lines.push(
        `Cost:      ${amount} so far (${parts}), ${cost.runsPriced} of ${cost.runs} runs priced${priceList}`,
        `           the other runs are priced a few seconds after they end: \`gwm status ${batchId}\` shows the total`,
      );
    }
  }
  if (cost.estimate) {
    lines.push(
      `           estimated before launch: ${formatUsd(cost.estimate.expected)} (${formatUsdRange(cost.estimate)})`,
    );
  }
  if (missing) {
    lines.push(
      `           ${MISSING_PRICE_MARK} ${plural(cost.runsWithMissingPrice, 'run')} had a missing price or usage figure: that part is left out or taken at its upper bound`,
    );
  }
  if (cost.mostExpensive.length > 0) {
    const listed = cost.mostExpensive.slice(0, MOST_EXPENSIVE_LISTED);
    const width = Math.min(40, Math.max(...listed.map((sample) => field(sample.sampleId).length)));
    lines.push('', `Most expensive samples${cost.runsPriced < cost.runs ? ' (of those priced)' : ''}:`);
    for (const sample of listed) {
      const runs = sample.runs > 1 ? ` (${sample.runs} runs)` : '';
      lines.push(
        `  - ${field(sample.sampleId).padEnd(width)}  ${formatUsd(sample.costUsd, { missingPrice: sample.missingPrice })}${runs}`,
      );
    }
  }
  return lines;
}
