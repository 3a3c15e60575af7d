import { describe, expect, it } from 'vitest';
import {
  estimateBatch,
  estimateSample,
  overBudget,
  type PastRun,
  pastRunOf,
  quantile,
} from '../../domain/cost/estimate.js';
import type { RunCost } from '../../domain/cost/types.js';
import { aLaunch } from '../support/launch-factory.js';

const GB = 1024 ** 3;

/** Runs whose cost is $0.50 per input GB, times a spread of -20% to +20%. */
function proportionalRuns(workflowVersion?: string): PastRun[] {
  const spread = [0.8, 0.9, 1.0, 1.1, 1.2, 0.95, 1.05, 0.85, 1.15, 1.0];
  return spread.map((factor, i) => {
    const gb = 2 + i * 3;
    return {
      workflowId: '1234567',
      workflowVersion,
      inputBytes: gb * GB,
      costUsd: 0.5 * gb * factor,
      durationSeconds: 600 * gb * factor,
    };
  });
}

describe('estimateSample', () => {
  it('predicts from input size, with the truth of typical runs inside the p10-p90 range', () => {
    const estimate = estimateSample(proportionalRuns(), { workflowId: '1234567', inputBytes: 10 * GB });

    expect(estimate.basedOnRuns).toBe(10);
    const cost = estimate.costUsd;
    expect(cost).toBeDefined();
    if (!cost) return;
    // $0.50 per GB: 10 GB costs about $5.
    expect(cost.expected).toBeGreaterThan(4.5);
    expect(cost.expected).toBeLessThan(5.5);
    expect(cost.low).toBeLessThan(cost.expected);
    expect(cost.high).toBeGreaterThan(cost.expected);
    expect(cost.low).toBeGreaterThan(3.5);
    expect(cost.high).toBeLessThan(6.5);
    expect(estimate.durationSeconds?.expected).toBeGreaterThan(5400);
    expect(estimate.durationSeconds?.expected).toBeLessThan(6600);
  });

  it('says "no history" below three past runs, with the runs it found', () => {
    const runs = proportionalRuns().slice(0, 2);

    const estimate = estimateSample(runs, { workflowId: '1234567', inputBytes: 10 * GB });

    expect(estimate.costUsd).toBeUndefined();
    expect(estimate.durationSeconds).toBeUndefined();
    expect(estimate.basedOnRuns).toBe(2);
    expect(estimate.inputBytes).toBe(10 * GB);
  });

  it('learns only from runs of the version the sample names', () => {
    const cheap = proportionalRuns('1.0');
    const dear = proportionalRuns('2.0').map((run) => ({ ...run, costUsd: run.costUsd * 10 }));
    const history = [...cheap, ...dear.slice(0, 2)];

    const v1 = estimateSample(history, {
      workflowId: '1234567',
      workflowVersion: '1.0',
      inputBytes: 10 * GB,
    });
    const v2 = estimateSample(history, {
      workflowId: '1234567',
      workflowVersion: '2.0',
      inputBytes: 10 * GB,
    });
    const other = estimateSample(history, { workflowId: '7654321', inputBytes: 10 * GB });

    expect(v1.basedOnRuns).toBe(10);
    expect(v1.costUsd?.expected).toBeLessThan(6);
    expect(v2.basedOnRuns).toBe(2);
    expect(v2.costUsd).toBeUndefined();
    expect(other.basedOnRuns).toBe(0);
    expect(other.costUsd).toBeUndefined();
  });

  it('falls back to the plain p10, median and p90 when sizes are unknown', () => {
    const unsized = proportionalRuns().map(({ inputBytes: _bytes, ...run }) => run);
    const costs = unsized.map((run) => run.costUsd);

    const noSampleSize = estimateSample(proportionalRuns(), { workflowId: '1234567' });
    const noRunSizes = estimateSample(unsized, { workflowId: '1234567', inputBytes: 10 * GB });

    for (const estimate of [noSampleSize, noRunSizes]) {
      expect(estimate.costUsd?.expected).toBeCloseTo(quantile(costs, 0.5), 3);
      expect(estimate.costUsd?.low).toBeCloseTo(quantile(costs, 0.1), 3);
      expect(estimate.costUsd?.high).toBeCloseTo(quantile(costs, 0.9), 3);
    }
  });

  it('never predicts less for a larger input, even when past costs fall with size', () => {
    const falling = proportionalRuns().map((run, i) => ({ ...run, costUsd: 20 - i }));
    const sizes = [1, 2, 5, 10, 20, 50, 100].map((gb) => gb * GB);

    for (const history of [proportionalRuns(), falling]) {
      const expected = sizes.map(
        (inputBytes) => estimateSample(history, { workflowId: '1234567', inputBytes }).costUsd?.expected ?? 0,
      );
      for (let i = 1; i < expected.length; i++) {
        expect(expected[i]).toBeGreaterThanOrEqual(expected[i - 1] as number);
      }
    }
  });
});

describe('estimateBatch', () => {
  it('sums the samples with history and counts the ones without', () => {
    const at = new Date('2026-12-01T00:00:00Z');
    const samples = [
      { basedOnRuns: 10, costUsd: { expected: 5, low: 4, high: 6 } },
      { basedOnRuns: 10, costUsd: { expected: 3, low: 2, high: 4.5 } },
      { basedOnRuns: 1 },
    ];

    const batch = estimateBatch(samples, at);

    expect(batch).toEqual({
      costUsd: { expected: 8, low: 6, high: 10.5 },
      samplesEstimated: 2,
      samplesWithoutHistory: 1,
      estimatedAt: '2026-12-01T00:00:00.000Z',
    });
  });

  it('has no cost when no sample has history', () => {
    const batch = estimateBatch([{ basedOnRuns: 0 }, { basedOnRuns: 2 }], new Date(0));

    expect(batch.costUsd).toBeUndefined();
    expect(batch.samplesWithoutHistory).toBe(2);
  });
});

describe('overBudget', () => {
  const estimate = estimateBatch(
    [{ basedOnRuns: 5, costUsd: { expected: 80, low: 60, high: 110 } }],
    new Date(0),
  );

  it('holds a batch whose expected cost is over its budget, not one whose high end alone is', () => {
    expect(overBudget({ budgetMaxUsd: 50, estimate })).toBe(true);
    expect(overBudget({ budgetMaxUsd: 100, estimate })).toBe(false);
  });

  it('never holds without a budget or without an estimate', () => {
    expect(overBudget({ estimate })).toBe(false);
    expect(overBudget({ budgetMaxUsd: 1, estimate: estimateBatch([{ basedOnRuns: 0 }], new Date(0)) })).toBe(
      false,
    );
  });
});

describe('pastRunOf', () => {
  const cost = (attempt: number): RunCost => ({
    totalUsd: 4.2,
    computeUsd: 4,
    storageUsd: 0.2,
    taskCount: 3,
    instanceHours: { 'omics.c.large': 1 },
    priceList: 'test',
    attempt,
    pricedAt: '2026-11-20T11:00:00Z',
  });

  it('learns from a completed, priced attempt, with its duration', () => {
    const launch = aLaunch({
      status: 'COMPLETED',
      cost: cost(1),
      inputBytes: 3 * GB,
      submittedAt: '2026-11-20T10:00:00Z',
      finishedAt: '2026-11-20T10:30:00Z',
    });

    expect(pastRunOf(launch)).toEqual({
      workflowId: '9876543',
      workflowVersion: undefined,
      inputBytes: 3 * GB,
      costUsd: 4.2,
      durationSeconds: 1800,
    });
  });

  it('does not learn from an unpriced, failed, or earlier attempt', () => {
    expect(pastRunOf(aLaunch({ status: 'COMPLETED' }))).toBeUndefined();
    expect(pastRunOf(aLaunch({ status: 'FAILED', cost: cost(1) }))).toBeUndefined();
    expect(pastRunOf(aLaunch({ status: 'COMPLETED', attempt: 2, cost: cost(1) }))).toBeUndefined();
  });
});
