import { describe, expect, it } from 'vitest';
import type { Batch } from '../../domain/batch.js';
import type { RunCost } from '../../domain/cost/types.js';
import type { Launch } from '../../domain/launch.js';
import type { BatchRepository, LaunchRepository } from '../../domain/ports.js';
import { queryHistory } from '../../domain/use-cases/history.js';
import { aBatch, aLaunch, aLaunchOf, aRunCost } from '../support/launch-factory.js';

/** A run cost with $0.10 of storage, the rest compute. */
const runCost = (attempt: number, totalUsd: number, overrides: Partial<RunCost> = {}): RunCost =>
  aRunCost(attempt, totalUsd, { computeUsd: totalUsd - 0.1, storageUsd: 0.1, ...overrides });

/** The history use case reads only these listings; each answers one page holding everything. */
function deps(launches: Launch[], batches: Batch[] = []) {
  const page = <T>(items: T[]) => Promise.resolve({ items });
  return {
    launches: {
      listBySample: (sampleId: string) => page(launches.filter((launch) => launch.sampleId === sampleId)),
      listByBatch: (batchId: string) => page(launches.filter((launch) => launch.batchId === batchId)),
    } as unknown as LaunchRepository,
    batches: { listRecent: () => page(batches) } as unknown as BatchRepository,
  };
}

describe('history rows with cost', () => {
  it('gives each attempt of a sample its own cost, and says which are still being priced', async () => {
    const retried = aLaunch({
      status: 'COMPLETED',
      attempt: 3,
      runId: '301',
      attempts: [
        { attempt: 1, status: 'FAILED', runId: '101', cost: runCost(1, 0.75) },
        { attempt: 2, status: 'FAILED', runId: '201' },
      ],
      // The cost of attempt 3 is not written yet: what is on the launch is an older attempt's.
      cost: runCost(2, 0.5),
    });

    const result = await queryHistory(deps([retried]), { sampleId: 'NA12878', range: {}, limit: 10 });

    if (result.kind !== 'launches') throw new Error('expected launch rows');
    const costs = result.rows.map(
      ({ attempt, current, costUsd, computeUsd, storageUsd, costEstimated, costPending }) => ({
        attempt,
        current,
        costUsd,
        computeUsd,
        storageUsd,
        costEstimated,
        costPending,
      }),
    );
    expect(costs).toEqual([
      {
        attempt: 3,
        current: true,
        costUsd: undefined,
        computeUsd: undefined,
        storageUsd: undefined,
        costEstimated: undefined,
        costPending: true,
      },
      {
        attempt: 2,
        current: false,
        costUsd: undefined,
        computeUsd: undefined,
        storageUsd: undefined,
        costEstimated: undefined,
        costPending: true,
      },
      {
        attempt: 1,
        current: false,
        costUsd: 0.75,
        computeUsd: 0.65,
        storageUsd: 0.1,
        costEstimated: false,
        costPending: undefined,
      },
    ]);
  });

  it('marks a cost that left out a missing price, and leaves a launch without a run unpriced', async () => {
    const launches = [
      aLaunchOf('S1', {
        status: 'COMPLETED',
        runId: '101',
        cost: runCost(1, 2.5, { estimated: true, missingPrices: ['omics.g5.xlarge'] }),
      }),
      aLaunchOf('S2', { status: 'LAUNCH_FAILED' }),
    ];

    const result = await queryHistory(deps(launches), { batchId: 'b1', range: {}, limit: 10 });

    expect(result.rows).toMatchObject([
      { sampleId: 'S1', costUsd: 2.5, costEstimated: true },
      { sampleId: 'S2' },
    ]);
    expect(result.rows[1]).not.toHaveProperty('costUsd');
    expect(result.rows[1]).not.toHaveProperty('costPending');
  });

  it('gives a batch its total, the runs priced and the estimate', async () => {
    const batch = aBatch({
      status: 'COMPLETED',
      cost: { totalUsd: 0.1 + 0.2, computeUsd: 0.25, storageUsd: 0.05, runsPriced: 2, runsEstimated: 0 },
      estimate: {
        costUsd: { expected: 0.35, low: 0.2, high: 0.5 },
        samplesEstimated: 2,
        samplesWithoutHistory: 0,
        estimatedAt: '2026-11-20T10:00:00.000Z',
      },
    });

    const result = await queryHistory(deps([], [batch]), { range: {}, limit: 10 });

    expect(result.rows).toMatchObject([
      {
        batchId: 'b1',
        costUsd: 0.3,
        computeUsd: 0.25,
        storageUsd: 0.05,
        costEstimated: false,
        runsPriced: 2,
        estimateUsd: 0.35,
      },
    ]);
  });
});
