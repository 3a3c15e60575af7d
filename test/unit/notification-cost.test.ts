import { describe, expect, it } from 'vitest';
import type { RunCost } from '../../domain/cost/types.js';
import { batchCostView } from '../../domain/launch-cost.js';
import {
  type BatchCompletedNotice,
  batchCompletedDetailV1,
  type NoticeCost,
  noticeCost,
  renderNotice,
  toEventDetail,
  utf8Length,
} from '../../domain/notifications.js';
import { aBatch, aLaunch, aRunCost } from '../support/launch-factory.js';
import { aBatchCompletedNotice } from '../support/notices.js';

/** A run cost four fifths compute and one fifth storage. */
const runCost = (attempt: number, totalUsd: number): RunCost =>
  aRunCost(attempt, totalUsd, { computeUsd: totalUsd * 0.8, storageUsd: totalUsd * 0.2 });

function notice(
  cost: NoticeCost | undefined,
  overrides: Partial<BatchCompletedNotice> = {},
): BatchCompletedNotice {
  return aBatchCompletedNotice({
    outcome: 'COMPLETED',
    counts: { total: 6, succeeded: 6, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 },
    startedAt: '2026-11-20T10:00:00.000Z',
    finishedAt: '2026-11-20T12:14:30.000Z',
    failures: [],
    qc: { state: 'COMPLETED', launchId: 'b-hk3/_qc', runId: '7099', outputUri: 's3://lab-results/qc/' },
    ...(cost && { cost }),
    ...overrides,
  });
}

/** Six samples with costs 1..6 dollars (S4 retried once: 1.50 + 2.50), and a QC run of $9. */
function finishedBatchCost(options: { qcPriced: boolean }) {
  const samples = [1, 2, 3, 4, 5, 6].map((n) =>
    n === 4
      ? aLaunch({
          launchId: `b-hk3/S${n}`,
          sampleId: `S${n}`,
          status: 'COMPLETED',
          attempt: 2,
          runId: `72${n}`,
          cost: runCost(2, 2.5),
          attempts: [{ attempt: 1, status: 'FAILED', runId: `71${n}`, cost: runCost(1, 1.5) }],
        })
      : aLaunch({
          launchId: `b-hk3/S${n}`,
          sampleId: `S${n}`,
          status: 'COMPLETED',
          runId: `71${n}`,
          cost: runCost(1, n),
        }),
  );
  const qc = aLaunch({
    launchId: 'b-hk3/_qc',
    sampleId: '_qc',
    kind: 'QC',
    status: 'COMPLETED',
    runId: '7099',
    ...(options.qcPriced && { cost: runCost(1, 9) }),
  });
  const priced = options.qcPriced ? 30 : 21;
  const batch = aBatch({
    batchId: 'b-hk3',
    cost: {
      totalUsd: priced,
      computeUsd: priced * 0.8,
      storageUsd: priced * 0.2,
      runsPriced: options.qcPriced ? 8 : 7,
      runsEstimated: 0,
    },
    estimate: {
      costUsd: { expected: 24, low: 18, high: 33 },
      samplesEstimated: 6,
      samplesWithoutHistory: 0,
      estimatedAt: '2026-11-20T10:00:00.000Z',
    },
  });
  return noticeCost(batchCostView(batch, [qc, ...samples]), batch.estimate);
}

describe('the batch notice states what the batch cost', () => {
  it('gives the total, its parts, the price list and the five most expensive samples', () => {
    const { text } = renderNotice(notice(finishedBatchCost({ qcPriced: true })));

    expect(text).toContain(
      'Cost:      $30.00 (compute $24.00, storage $6.00), 8 runs; price list 2026-11-01\n' +
        '           estimated before launch: $24.00 ($18.00–$33.00)\n' +
        '\n' +
        'Most expensive samples:\n' +
        '  - S6  $6.00\n' +
        '  - S5  $5.00\n' +
        '  - S4  $4.00 (2 runs)\n' +
        '  - S3  $3.00\n' +
        '  - S2  $2.00\n',
    );
    expect(text).not.toContain('  - S1 ');
  });

  it('says how many runs the total covers when the last ones are not priced yet', () => {
    const { text } = renderNotice(notice(finishedBatchCost({ qcPriced: false })));

    expect(text).toContain(
      'Cost:      $21.00 so far (compute $16.80, storage $4.20), 7 of 8 runs priced; price list 2026-11-01\n' +
        '           the other runs are priced a few seconds after they end: `gwm status b-hk3` shows the total\n',
    );
    expect(text).toContain('Most expensive samples (of those priced):\n  - S6  $6.00\n');
  });

  it('never shows a batch whose runs are not priced yet as free', () => {
    const cost: NoticeCost = {
      totalUsd: 0,
      computeUsd: 0,
      storageUsd: 0,
      runs: 7,
      runsPriced: 0,
      runsWithMissingPrice: 0,
      priceLists: [],
      mostExpensive: [],
    };

    const { text } = renderNotice(notice(cost));

    expect(text).toContain(
      'Cost:      not priced yet (0 of 7 runs): runs are priced a few seconds after they end; `gwm status b-hk3` shows the total\n',
    );
    expect(text).not.toContain('$0.00');
    expect(text).not.toContain('Most expensive');
  });

  it('marks a total that left out a missing price', () => {
    const cost: NoticeCost = {
      totalUsd: 4.25,
      computeUsd: 4,
      storageUsd: 0.25,
      runs: 2,
      runsPriced: 2,
      runsWithMissingPrice: 1,
      priceLists: ['2026-11-01'],
      mostExpensive: [{ sampleId: 'S1', launchId: 'b-hk3/S1', costUsd: 3, runs: 1, missingPrice: true }],
    };

    const { text } = renderNotice(notice(cost));

    expect(text).toContain(
      'Cost:      $4.25* (compute $4.00, storage $0.25), 2 runs; price list 2026-11-01\n',
    );
    expect(text).toContain(
      '           * 1 run had a missing price or usage figure: that part is left out or taken at its upper bound\n',
    );
    expect(text).toContain('  - S1  $3.00*\n');
  });

  it('has no cost lines when the notice carries no cost', () => {
    expect(renderNotice(notice(undefined)).text).not.toContain('Cost:');
  });
});

describe('the Batch Completed event carries the cost', () => {
  it('gives the figures, the runs they cover and the most expensive samples, valid against the schema', () => {
    const { detail } = toEventDetail(notice(finishedBatchCost({ qcPriced: false })));

    expect(batchCompletedDetailV1.parse(detail)).toEqual(detail);
    expect('cost' in detail && detail.cost).toEqual({
      totalUsd: 21,
      computeUsd: 16.8,
      storageUsd: 4.2,
      runs: 8,
      runsPriced: 7,
      runsWithMissingPrice: 0,
      priceLists: ['2026-11-01'],
      mostExpensive: [
        { sampleId: 'S6', launchId: 'b-hk3/S6', costUsd: 6, runs: 1, missingPrice: false },
        { sampleId: 'S5', launchId: 'b-hk3/S5', costUsd: 5, runs: 1, missingPrice: false },
        { sampleId: 'S4', launchId: 'b-hk3/S4', costUsd: 4, runs: 2, missingPrice: false },
        { sampleId: 'S3', launchId: 'b-hk3/S3', costUsd: 3, runs: 1, missingPrice: false },
        { sampleId: 'S2', launchId: 'b-hk3/S2', costUsd: 2, runs: 1, missingPrice: false },
      ],
      estimate: { expected: 24, low: 18, high: 33 },
    });
  });

  it('keeps a notice with huge sample ids in the cost list within the size bounds', () => {
    const huge = 'S'.repeat(20_000);
    const cost: NoticeCost = {
      totalUsd: 5,
      computeUsd: 4,
      storageUsd: 1,
      runs: 5,
      runsPriced: 5,
      runsWithMissingPrice: 0,
      priceLists: ['v'.repeat(500)],
      mostExpensive: Array.from({ length: 5 }, (_, i) => ({
        sampleId: `${huge}${i}`,
        launchId: `b-hk3/${huge}${i}`,
        costUsd: 1,
        runs: 1,
        missingPrice: false,
      })),
    };
    const failures = Array.from({ length: 2_000 }, (_, i) => ({
      sampleId: `F${i}`,
      launchId: `b-hk3/F${i}`,
      status: 'FAILED' as const,
      attempt: 1,
      failureReason: 'x'.repeat(500),
    }));
    const big = notice(cost, {
      outcome: 'COMPLETED_WITH_FAILURES',
      counts: { total: 2_005, succeeded: 5, failed: 2_000, cancelled: 0, launchFailed: 0, deleted: 0 },
      failures,
    });

    const { text } = renderNotice(big, { maxBytes: 60_000 });
    const { detail } = toEventDetail(big, { maxBytes: 60_000 });

    expect(utf8Length(text)).toBeLessThanOrEqual(60_000);
    expect(text).toContain('Cost:      $5.00 (compute $4.00, storage $1.00), 5 runs');
    expect(text).toMatch(/failed samples not listed/);
    expect(utf8Length(JSON.stringify(detail))).toBeLessThanOrEqual(60_000);
    expect(batchCompletedDetailV1.parse(detail)).toEqual(detail);
    expect('cost' in detail && detail.cost?.totalUsd).toBe(5);
  });
});
