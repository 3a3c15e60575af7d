import Table from 'cli-table3';
import type { Batch } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { batchCostView, launchCost } from '../../domain/launch-cost.js';
import { formatUsd } from '../../domain/money.js';
import type { BatchRepository, LaunchRepository } from '../../domain/ports.js';
import { type BatchSnapshot, BatchWaitTimeout, waitForBatch } from '../../infra/local/wait.js';
import { batchCostText, batchEstimateText, costCell, missingPriceNote } from '../cost-format.js';
import { stdoutColors } from '../io.js';

/** Colour only when stdout is a terminal and NO_COLOR is not set. */
const colors = stdoutColors();

/** How long the demo waits for the runs to be priced after the batch has finished. */
export const PRICING_WAIT_MS = 30_000;

/** Every run the batch has had (each attempt of each launch, QC included) has its cost. */
export function allRunsPriced({ batch, launches }: BatchSnapshot): boolean {
  if (!batch) return false;
  const view = batchCostView(batch, launches);
  return view.cost.runsPriced >= view.runs && view.runsPricing === 0;
}

export interface PricingOptions {
  timeoutMs?: number;
  pollMs?: number;
  out: (line?: string) => void;
  /** Rewrite the progress line in place (a terminal); otherwise one line per change. */
  live: boolean;
}

/**
 * Waits (bounded) until every run of the finished batch is priced, with a progress line, then
 * prints each sample's cost and the batch's total. Cost is written a few seconds after a run
 * ends; if it is not all there in time, what is known is printed and the rest is said to be
 * still pricing.
 */
export async function showDemoCost(
  repos: { batches: BatchRepository; launches: LaunchRepository },
  batchId: string,
  options: PricingOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? PRICING_WAIT_MS;
  const started = Date.now();
  let lastProgress = '';
  const progress = ({ batch, launches }: BatchSnapshot) => {
    if (!batch) return;
    const view = batchCostView(batch, launches);
    const line = `Pricing the runs: ${view.cost.runsPriced} of ${view.runs} priced`;
    if (options.live) {
      process.stdout.write(`\r\u001b[2K${line} (${Math.round((Date.now() - started) / 1000)} s)`);
    } else if (line !== lastProgress) {
      options.out(line);
    }
    lastProgress = line;
  };
  let snapshot: BatchSnapshot;
  let complete = true;
  try {
    snapshot = await waitForBatch(repos, batchId, {
      timeoutMs,
      pollMs: options.pollMs ?? 500,
      onTick: progress,
      done: allRunsPriced,
    });
  } catch (error) {
    if (!(error instanceof BatchWaitTimeout)) throw error;
    snapshot = error.last;
    complete = false;
  }
  if (options.live && lastProgress) process.stdout.write('\n');
  if (!snapshot.batch) return;
  options.out();
  for (const line of demoCostLines(snapshot.batch, snapshot.launches, { complete, waitedMs: timeoutMs })) {
    options.out(line);
  }
}

/** The demo's cost report: a table of the samples' costs, the batch total, the estimate. */
export function demoCostLines(
  batch: Batch,
  launches: readonly Launch[],
  state: { complete: boolean; waitedMs: number },
): string[] {
  const view = batchCostView(batch, launches);
  const lines: string[] = [];
  const priceList = view.priceLists.length > 0 ? ` (price list ${view.priceLists.join(', ')})` : '';
  lines.push(colors.bold(`What the runs cost${priceList}:`));
  if (!state.complete) {
    lines.push(
      colors.yellow(
        `Pricing did not finish within ${Math.round(state.waitedMs / 1000)} s: ${view.cost.runsPriced} of ${view.runs} runs priced. Below is what is known; \`gwm status ${batch.batchId}\` shows the rest once it is priced.`,
      ),
    );
  }
  const table = new Table({
    head: ['sample', 'status', 'runs', 'compute', 'storage', 'cost'].map((title) => colors.cyan(title)),
    // cli-table3 colours on its own (even into a pipe): the colours are ours, by the terminal.
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
  });
  const ordered = [...launches].sort((a, b) =>
    a.kind === b.kind ? a.sampleId.localeCompare(b.sampleId) : a.kind === 'QC' ? 1 : -1,
  );
  for (const launch of ordered) {
    const cost = launchCost(launch);
    const priced = cost.runsPriced > 0;
    table.push([
      launch.kind === 'QC' ? 'QC' : launch.sampleId,
      launch.status,
      String(cost.runs),
      priced ? formatUsd(cost.computeUsd) : '',
      priced ? formatUsd(cost.storageUsd) : '',
      costCell(launch),
    ]);
  }
  lines.push(table.toString());
  lines.push(`Batch total: ${batchCostText(view)}`);
  if (view.cost.runsEstimated > 0) lines.push(missingPriceNote(view.cost.runsEstimated));
  const estimate = batchEstimateText(batch);
  if (estimate) lines.push(`Estimated before launch: ${estimate}`);
  return lines;
}
