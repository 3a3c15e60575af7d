import type { Batch } from '../domain/batch.js';
import { isTerminal, type Launch } from '../domain/launch.js';
import { type BatchCostView, batchCostView, launchCost } from '../domain/launch-cost.js';
import { formatUsd, formatUsdRange, MISSING_PRICE_MARK, usdNumber } from '../domain/money.js';

/** Shown for a finished run whose cost has not been written yet (a few seconds after it ends). */
export const PRICING = 'pricing…';
/** Shown for a finished launch that never had a run (StartRun refused it): nothing was billed. */
export const NO_RUN = '—';

/**
 * A launch's cost cell: every attempt's run together. Empty while its run is going, `pricing…`
 * once it finished until its cost is written, `—` when it never had a run.
 */
export function costCell(launch: Launch): string {
  const cost = launchCost(launch);
  if (cost.runs === 0) return isTerminal(launch.status) ? NO_RUN : '';
  if (cost.runsPriced === 0) return cost.runsPricing > 0 ? PRICING : '';
  const amount = formatUsd(cost.totalUsd, { missingPrice: cost.missingPrice });
  return cost.runsPricing > 0 ? `${amount} + ${PRICING}` : amount;
}

/** `$8.20 (compute $7.90, storage $0.30), 9 of 12 runs priced so far; price list 2026-11-01` */
export function batchCostText(view: BatchCostView): string {
  const { cost } = view;
  const runs = Math.max(view.runs, cost.runsPriced);
  if (runs === 0) return 'no runs yet';
  if (cost.runsPriced === 0) {
    return view.runsPricing > 0 ? `${PRICING} (0 of ${runs} runs priced)` : `no run has finished yet`;
  }
  const amount = formatUsd(cost.totalUsd, { missingPrice: cost.runsEstimated > 0 });
  const parts = `compute ${formatUsd(cost.computeUsd)}, storage ${formatUsd(cost.storageUsd)}`;
  const covered =
    cost.runsPriced >= runs
      ? `${plural(runs, 'run')} priced`
      : `${cost.runsPriced} of ${runs} runs priced so far`;
  const priceList = view.priceLists.length > 0 ? `; price list ${view.priceLists.join(', ')}` : '';
  return `${amount} (${parts}), ${covered}${priceList}`;
}

/** The note under a figure marked as leaving out a missing price. */
export function missingPriceNote(runsEstimated?: number): string {
  const who =
    runsEstimated === undefined
      ? 'a price or usage figure was missing'
      : `${plural(runsEstimated, 'run')} had a missing price or usage figure`;
  return `${MISSING_PRICE_MARK} ${who}: that part is left out or taken at its upper bound (the launch item's cost.missingPrices says which)`;
}

/** `$12.40 ($10.10–$15.00) for 9 samples, 3 without history · so far $8.20` */
export function batchEstimateText(batch: Batch): string | undefined {
  const { estimate } = batch;
  if (!estimate) return undefined;
  const without =
    estimate.samplesWithoutHistory > 0 ? `, ${estimate.samplesWithoutHistory} without history` : '';
  if (!estimate.costUsd) {
    return `no history to estimate from (${plural(estimate.samplesWithoutHistory, 'sample')} without history)`;
  }
  const actual =
    batch.cost && batch.cost.runsPriced > 0
      ? ` · so far ${formatUsd(batch.cost.totalUsd, { missingPrice: batch.cost.runsEstimated > 0 })}`
      : '';
  return `${formatUsd(estimate.costUsd.expected)} (${formatUsdRange(estimate.costUsd)}) for ${plural(estimate.samplesEstimated, 'sample')}${without}${actual}`;
}

/** `$20.00`, and whether the estimate is over it. */
export function budgetText(batch: Batch): string | undefined {
  if (batch.budgetMaxUsd === undefined) return undefined;
  const expected = batch.estimate?.costUsd?.expected;
  const over = expected !== undefined && expected > batch.budgetMaxUsd ? ' (the estimate is over it)' : '';
  return `${formatUsd(batch.budgetMaxUsd)}${over}`;
}

/** The `cost` document of `gwm status --json`: the batch's figures and what they cover. */
export function costDocument(batch: Batch, launches: readonly Launch[]) {
  const view = batchCostView(batch, launches);
  return {
    totalUsd: usdNumber(view.cost.totalUsd),
    computeUsd: usdNumber(view.cost.computeUsd),
    storageUsd: usdNumber(view.cost.storageUsd),
    runs: Math.max(view.runs, view.cost.runsPriced),
    runsPriced: view.cost.runsPriced,
    runsPricing: view.runsPricing,
    runsWithMissingPrice: view.cost.runsEstimated,
    priceLists: view.priceLists,
    ...(batch.estimate && { estimate: batch.estimate }),
    ...(batch.budgetMaxUsd !== undefined && { budgetMaxUsd: batch.budgetMaxUsd }),
    mostExpensive: view.topSamples.map((sample) => ({
      sampleId: sample.sampleId,
      launchId: sample.launchId,
      costUsd: usdNumber(sample.costUsd),
      runs: sample.runs,
      missingPrice: sample.missingPrice,
    })),
  };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
