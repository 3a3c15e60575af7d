import type { Batch } from './batch.js';
import { type BatchCost, NO_BATCH_COST, type RunCost } from './cost/types.js';
import { isTerminal, type Launch } from './launch.js';

/**
 * What a launch's runs cost, every attempt together, as people are shown it. Cost is written a
 * few seconds after a run's terminal status, so a finished run may not be priced yet: it is
 * counted as waiting for its price, never as free.
 */
export interface LaunchCost {
  /** The sum over the attempts priced so far. */
  totalUsd: number;
  computeUsd: number;
  storageUsd: number;
  /** Attempts that had an engine run (a launch refused by StartRun has none, and costs nothing). */
  runs: number;
  runsPriced: number;
  /** Runs that have finished and have no cost yet. */
  runsPricing: number;
  /** A priced run left out a missing price: the sum is lower than the true cost. */
  missingPrice: boolean;
}

/** Each attempt of the launch that had a run, with its cost once priced. */
export function launchRuns(launch: Launch): Array<{ attempt: number; finished: boolean; cost?: RunCost }> {
  const earlier = launch.attempts
    .filter((previous) => previous.runId !== undefined)
    .map((previous) => ({ attempt: previous.attempt, finished: true, cost: previous.cost }));
  const current =
    launch.runId === undefined
      ? []
      : [
          {
            attempt: launch.attempt,
            finished: isTerminal(launch.status),
            // A cost still on the launch from an attempt before a retry is not this attempt's.
            cost: launch.cost?.attempt === launch.attempt ? launch.cost : undefined,
          },
        ];
  return [...earlier, ...current];
}

export function launchCost(launch: Launch): LaunchCost {
  const result: LaunchCost = {
    totalUsd: 0,
    computeUsd: 0,
    storageUsd: 0,
    runs: 0,
    runsPriced: 0,
    runsPricing: 0,
    missingPrice: false,
  };
  for (const run of launchRuns(launch)) {
    result.runs += 1;
    if (run.cost) {
      result.runsPriced += 1;
      result.totalUsd += run.cost.totalUsd;
      result.computeUsd += run.cost.computeUsd;
      result.storageUsd += run.cost.storageUsd;
      if (run.cost.estimated) result.missingPrice = true;
    } else if (run.finished) {
      result.runsPricing += 1;
    }
  }
  return result;
}

/** A sample (or the QC run) and what its runs cost. */
export interface SampleCost {
  sampleId: string;
  launchId: string;
  kind: Launch['kind'];
  costUsd: number;
  /** Runs priced in `costUsd` (more than one after retries). */
  runs: number;
  missingPrice: boolean;
}

/** A batch's cost as people see it: the batch's own sum, and how many of its runs it covers. */
export interface BatchCostView {
  cost: BatchCost;
  /** Run attempts the batch has had (every launch, every attempt, QC included). */
  runs: number;
  /** Finished runs that have no cost yet. */
  runsPricing: number;
  /** The price list version of the priced runs (several after a price file changed mid-batch). */
  priceLists: string[];
  /** The most expensive samples, most expensive first (the QC run is not a sample). */
  topSamples: SampleCost[];
}

export const TOP_SAMPLES = 5;

/**
 * Sums what a batch's launches cost, one page of launches at a time. The batch's `cost` (kept
 * exact under redelivery by the cost collector) is the total; the launches give the number of
 * runs it should cover, the price lists and the most expensive samples.
 */
export class BatchCostTally {
  private runs = 0;
  private runsPricing = 0;
  private readonly priceLists = new Set<string>();
  private top: SampleCost[] = [];

  constructor(private readonly topCount = TOP_SAMPLES) {}

  add(launch: Launch): void {
    const cost = launchCost(launch);
    this.runs += cost.runs;
    this.runsPricing += cost.runsPricing;
    for (const run of launchRuns(launch)) if (run.cost) this.priceLists.add(run.cost.priceList);
    if (launch.kind !== 'SAMPLE' || cost.runsPriced === 0) return;
    this.top.push({
      sampleId: launch.sampleId,
      launchId: launch.launchId,
      kind: launch.kind,
      costUsd: cost.totalUsd,
      runs: cost.runsPriced,
      missingPrice: cost.missingPrice,
    });
    this.top.sort((a, b) => b.costUsd - a.costUsd || a.sampleId.localeCompare(b.sampleId));
    this.top.length = Math.min(this.top.length, this.topCount);
  }

  view(batch: Batch): BatchCostView {
    return {
      cost: batch.cost ?? NO_BATCH_COST,
      runs: this.runs,
      runsPricing: this.runsPricing,
      priceLists: [...this.priceLists].sort(),
      topSamples: [...this.top],
    };
  }
}

/** {@link BatchCostTally} over launches already in hand. */
export function batchCostView(
  batch: Batch,
  launches: Iterable<Launch>,
  topCount = TOP_SAMPLES,
): BatchCostView {
  const tally = new BatchCostTally(topCount);
  for (const launch of launches) tally.add(launch);
  return tally.view(batch);
}
