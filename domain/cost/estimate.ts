import type { Batch } from '../batch.js';
import type { Launch } from '../launch.js';
import type { BatchEstimate, EstimateRange, SampleEstimate } from './types.js';

/**
 * Predicts what a sample's run will cost and how long it will take from completed runs of the
 * same workflow (and version, where the sample names one), against the size of its inputs.
 *
 * The model, in two steps so it can be explained in a sentence each:
 * - With the sample's input size known and enough past runs of known size that differ in size, a
 *   straight line is fitted to log(cost) against log(input bytes) (least squares; a slope below 0
 *   is taken as 0, so a bigger input never predicts a smaller cost). The runs' residuals around
 *   the line give the range: the expected value is the line plus the median residual, the range
 *   the line plus the 10th and 90th percentile residuals.
 * - Otherwise (size unknown, or too few sized runs): the plain 10th, 50th and 90th percentiles of
 *   the past runs' costs.
 * Fewer than {@link MIN_RUNS} past runs: no prediction (`costUsd` absent), never a made-up number.
 */

/** One completed run the model learns from. */
export interface PastRun {
  workflowId: string;
  workflowVersion?: string;
  inputBytes?: number;
  costUsd: number;
  durationSeconds?: number;
}

/** What is predicted: a sample's workflow and, where known, the size of its inputs. */
export interface EstimateTarget {
  workflowId: string;
  workflowVersion?: string;
  inputBytes?: number;
}

/** Below this many past runs there is no history to speak of. */
export const MIN_RUNS = 3;
/** Sized runs needed before cost is fitted against size. */
export const MIN_FIT_RUNS = 5;
/** The largest sized run must be at least this many times the smallest for a fit to mean anything. */
const MIN_SIZE_SPREAD = 1.5;
const LOW_QUANTILE = 0.1;
const HIGH_QUANTILE = 0.9;

/** The run a completed launch made, if it is one an estimate may learn from (completed and priced). */
export function pastRunOf(launch: Launch): PastRun | undefined {
  if (launch.status !== 'COMPLETED' || launch.cost === undefined) return undefined;
  if (launch.cost.attempt !== launch.attempt || !(launch.cost.totalUsd > 0)) return undefined;
  const started = launch.submittedAt ? Date.parse(launch.submittedAt) : Number.NaN;
  const finished = launch.finishedAt ? Date.parse(launch.finishedAt) : Number.NaN;
  const durationSeconds = finished > started ? (finished - started) / 1000 : undefined;
  return {
    workflowId: launch.workflowId,
    workflowVersion: launch.workflowVersion,
    inputBytes: launch.inputBytes,
    costUsd: launch.cost.totalUsd,
    durationSeconds,
  };
}

/** The past runs that speak for `target`: its workflow, and its version when it names one. */
export function matchingRuns(history: readonly PastRun[], target: EstimateTarget): PastRun[] {
  return history.filter(
    (run) =>
      run.workflowId === target.workflowId &&
      (target.workflowVersion === undefined || run.workflowVersion === target.workflowVersion),
  );
}

export function estimateSample(history: readonly PastRun[], target: EstimateTarget): SampleEstimate {
  const runs = matchingRuns(history, target);
  const base: SampleEstimate = { basedOnRuns: runs.length, inputBytes: target.inputBytes };
  if (runs.length < MIN_RUNS) return base;
  const costUsd = predict(
    runs.map((run) => ({ size: run.inputBytes, value: run.costUsd })),
    target.inputBytes,
  );
  const durations = runs.flatMap((run) =>
    run.durationSeconds !== undefined && run.durationSeconds > 0
      ? [{ size: run.inputBytes, value: run.durationSeconds }]
      : [],
  );
  const durationSeconds = durations.length >= MIN_RUNS ? predict(durations, target.inputBytes) : undefined;
  return { ...base, costUsd, ...(durationSeconds ? { durationSeconds } : {}) };
}

/**
 * The batch's expected cost is the sum of its samples' expected costs; its range sums their lows
 * and their highs, which is conservative: it assumes every sample lands at the same end of its
 * range at once, so the true total falls inside it more often than one sample falls inside its
 * own. Samples without history are left out of the sums and counted apart.
 */
export function estimateBatch(samples: Iterable<SampleEstimate>, at: Date): BatchEstimate {
  let samplesEstimated = 0;
  let samplesWithoutHistory = 0;
  const sum = { expected: 0, low: 0, high: 0 };
  for (const sample of samples) {
    if (!sample.costUsd) {
      samplesWithoutHistory++;
      continue;
    }
    samplesEstimated++;
    sum.expected += sample.costUsd.expected;
    sum.low += sample.costUsd.low;
    sum.high += sample.costUsd.high;
  }
  return {
    ...(samplesEstimated > 0 ? { costUsd: roundRange(sum) } : {}),
    samplesEstimated,
    samplesWithoutHistory,
    estimatedAt: at.toISOString(),
  };
}

/** Whether the batch's expected cost is over its budget (no budget, or no estimate: never). */
export function overBudget(batch: Pick<Batch, 'budgetMaxUsd' | 'estimate'>): boolean {
  const expected = batch.estimate?.costUsd?.expected;
  return batch.budgetMaxUsd !== undefined && expected !== undefined && expected > batch.budgetMaxUsd;
}

interface Point {
  size?: number;
  value: number;
}

function predict(points: readonly Point[], size: number | undefined): EstimateRange {
  const sized = points.filter(
    (point): point is Required<Point> => point.size !== undefined && point.size > 0,
  );
  if (size !== undefined && size > 0 && canFit(sized)) {
    const xs = sized.map((point) => Math.log(point.size));
    const ys = sized.map((point) => Math.log(point.value));
    const { intercept, slope } = fitLine(xs, ys);
    const residuals = sized.map((_, i) => (ys[i] as number) - (intercept + slope * (xs[i] as number)));
    const line = intercept + slope * Math.log(size);
    const centre = quantile(residuals, 0.5);
    // A few residuals understate the spread (and the fitted line is itself uncertain): the range
    // is widened around the centre by 1 + 2/n, which fades as history grows (n = 10: 20%, n = 100: 2%).
    const widen = 1 + 2 / residuals.length;
    return roundRange({
      expected: Math.exp(line + centre),
      low: Math.exp(line + centre + (quantile(residuals, LOW_QUANTILE) - centre) * widen),
      high: Math.exp(line + centre + (quantile(residuals, HIGH_QUANTILE) - centre) * widen),
    });
  }
  const values = points.map((point) => point.value);
  return roundRange({
    expected: quantile(values, 0.5),
    low: quantile(values, LOW_QUANTILE),
    high: quantile(values, HIGH_QUANTILE),
  });
}

function canFit(sized: readonly Required<Point>[]): boolean {
  if (sized.length < MIN_FIT_RUNS) return false;
  const sizes = sized.map((point) => point.size);
  return Math.max(...sizes) >= MIN_SIZE_SPREAD * Math.min(...sizes);
}

/** Least squares of y on x; the slope is kept at 0 or above (cost does not fall as input grows). */
function fitLine(xs: readonly number[], ys: readonly number[]): { intercept: number; slope: number } {
  const n = xs.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - meanX;
    sxy += dx * ((ys[i] as number) - meanY);
    sxx += dx * dx;
  }
  const slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  return { intercept: meanY - slope * meanX, slope };
}

/** The q-quantile with linear interpolation between order statistics (R's type 7). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  const high = sorted[above] as number;
  return low + (high - low) * (position - below);
}

/** Cents and seconds are the precision that means anything here; the order low <= expected <= high is kept. */
function roundRange(range: EstimateRange): EstimateRange {
  const round = (value: number) => Math.round(value * 10_000) / 10_000;
  const expected = round(range.expected);
  return { expected, low: Math.min(round(range.low), expected), high: Math.max(round(range.high), expected) };
}
