import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { type BatchRow, type LaunchRow, renderHistory, toCsv } from '../../cli/commands/history.js';
import { renderStatus, statusDocument } from '../../cli/commands/status.js';
import type { Batch } from '../../domain/batch.js';
import { formatUsd, formatUsdRange } from '../../domain/money.js';
import { aBatch, aLaunchOf, aRunCost } from '../support/launch-factory.js';

const plain = pc.createColors(false);

const finishedBatch = (overrides: Partial<Batch> = {}): Batch =>
  aBatch({
    status: 'COMPLETED',
    sampleCount: 3,
    counts: { succeeded: 3, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 },
    notificationState: 'SENT',
    notifiedRound: 1,
    ...overrides,
  });

/** Attempt 1 of sample S1 of batch FC1 (b1), COMPLETED as run 101, as `gwm history` lists it. */
const launchRow = (overrides: Partial<LaunchRow>): LaunchRow => ({
  batchId: 'b1',
  batchName: 'FC1',
  sampleId: 'S1',
  launchId: 'b1/S1',
  workflowId: '1234567',
  attempt: 1,
  status: 'COMPLETED',
  current: true,
  runId: '101',
  ...overrides,
});

/** Batch FC1 (b1) of two samples, both succeeded, at $3.45 over 2 runs against an estimate of $3.10. */
const batchRow = (overrides: Partial<BatchRow> = {}): BatchRow => ({
  batchId: 'b1',
  name: 'FC1',
  status: 'COMPLETED',
  sampleCount: 2,
  succeeded: 2,
  failed: 0,
  qcState: 'NONE',
  createdAt: '2026-11-20T10:00:00.000Z',
  updatedAt: '2026-11-20T10:05:00.000Z',
  costUsd: 3.45,
  runsPriced: 2,
  estimateUsd: 3.1,
  ...overrides,
});

describe('money as people read it', () => {
  it('shows dollars to the cent, thousands grouped', () => {
    expect(formatUsd(12.4)).toBe('$12.40');
    expect(formatUsd(1204)).toBe('$1,204.00');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsdRange({ low: 10.1, high: 15 })).toBe('$10.10–$15.00');
  });

  it('keeps two significant digits under a dollar, so a short run never reads as free', () => {
    expect(formatUsd(0.0019)).toBe('$0.0019');
    expect(formatUsd(0.0124)).toBe('$0.012');
    expect(formatUsd(0.00004)).toBe('$0.00004');
    expect(formatUsd(0.0000004)).toBe('<$0.000001');
  });

  it('marks a figure that leaves out a missing price', () => {
    expect(formatUsd(3.5, { missingPrice: true })).toBe('$3.50*');
  });
});

describe('gwm status with costs', () => {
  it('shows each launch cost, the total with the runs it covers, and the price list', () => {
    const batch = finishedBatch({
      cost: { totalUsd: 3.75, computeUsd: 3.4, storageUsd: 0.35, runsPriced: 3, runsEstimated: 0 },
    });
    const launches = [
      aLaunchOf('S1', { status: 'COMPLETED', runId: '101', cost: aRunCost(1, 1.25) }),
      aLaunchOf('S2', { status: 'COMPLETED', runId: '102', cost: aRunCost(1, 2.2) }),
      aLaunchOf('_qc', { kind: 'QC', status: 'COMPLETED', runId: '103', cost: aRunCost(1, 0.3) }),
    ];

    const lines = renderStatus(batch, launches, plain);

    expect(lines).toContain(
      '  cost          $3.75 (compute $3.40, storage $0.35), 3 runs priced; price list 2026-11-01',
    );
    const table = lines.join('\n');
    expect(table).toMatch(/│ cost +│/);
    expect(table).toMatch(/S1 .*COMPLETED .*101 .*\$1\.25/);
    expect(table).toMatch(/S2 .*COMPLETED .*102 .*\$2\.20/);
    expect(table).toMatch(/QC .*COMPLETED .*103 .*\$0\.30/);
  });

  it('says a finished run is being priced instead of showing it as free', () => {
    const batch = finishedBatch({
      cost: { totalUsd: 1.25, computeUsd: 1.1, storageUsd: 0.15, runsPriced: 1, runsEstimated: 0 },
    });
    const launches = [
      aLaunchOf('S1', { status: 'COMPLETED', runId: '101', cost: aRunCost(1, 1.25) }),
      aLaunchOf('S2', { status: 'COMPLETED', runId: '102' }),
      aLaunchOf('S3', { status: 'LAUNCH_FAILED', failureReason: 'no access' }),
      aLaunchOf('S4', { status: 'RUNNING', runId: '104' }),
    ];

    const lines = renderStatus(batch, launches, plain);

    expect(lines).toContain(
      '  cost          $1.25 (compute $1.10, storage $0.15), 1 of 3 runs priced so far; price list 2026-11-01',
    );
    const row = (sample: string) => lines.find((line) => line.includes(`│ ${sample} `)) ?? '';
    expect(row('S2')).toContain('pricing…');
    expect(row('S2')).not.toContain('$');
    expect(row('S3')).toContain('—');
    expect(row('S4')).not.toMatch(/pricing|\$|—/);
  });

  it('adds every attempt of a retried sample, and marks a missing price with a note', () => {
    const batch = finishedBatch({
      cost: { totalUsd: 1.5, computeUsd: 1.4, storageUsd: 0.1, runsPriced: 2, runsEstimated: 1 },
    });
    const retried = aLaunchOf('S1', {
      status: 'COMPLETED',
      attempt: 2,
      runId: '201',
      cost: aRunCost(2, 1.0, { estimated: true, missingPrices: ['omics.g5.xlarge'] }),
      attempts: [{ attempt: 1, status: 'FAILED', runId: '101', cost: aRunCost(1, 0.5) }],
    });

    const lines = renderStatus(batch, [retried], plain);

    expect(lines.find((line) => line.includes('│ S1 '))).toContain('$1.50*');
    expect(lines).toContain(
      '  cost          $1.50* (compute $1.40, storage $0.10), 2 runs priced; price list 2026-11-01',
    );
    expect(lines.at(-1)).toBe(
      "* 1 run had a missing price or usage figure: that part is left out or taken at its upper bound (the launch item's cost.missingPrices says which)",
    );
  });

  it('puts the estimate against the actual cost, and the budget', () => {
    const batch = finishedBatch({
      status: 'ACTIVE',
      cost: { totalUsd: 8.2, computeUsd: 7.9, storageUsd: 0.3, runsPriced: 9, runsEstimated: 0 },
      estimate: {
        costUsd: { expected: 12.4, low: 10.1, high: 15 },
        samplesEstimated: 12,
        samplesWithoutHistory: 0,
        estimatedAt: '2026-11-20T10:00:00.000Z',
      },
      budgetMaxUsd: 20,
    });

    const lines = renderStatus(batch, [], plain);

    expect(lines).toContain('  estimate      $12.40 ($10.10–$15.00) for 12 samples · so far $8.20');
    expect(lines).toContain('  budget        $20.00');
  });

  it('says there was no history rather than showing an estimate', () => {
    const batch = finishedBatch({
      estimate: { samplesEstimated: 0, samplesWithoutHistory: 3, estimatedAt: '2026-11-20T10:00:00.000Z' },
    });

    expect(renderStatus(batch, [], plain)).toContain(
      '  estimate      no history to estimate from (3 samples without history)',
    );
  });

  it('gives the cost figures and what they cover in --json', () => {
    const batch = finishedBatch({
      cost: { totalUsd: 1.25, computeUsd: 1.1, storageUsd: 0.15, runsPriced: 1, runsEstimated: 0 },
      budgetMaxUsd: 5,
    });
    const launches = [
      aLaunchOf('S1', { status: 'COMPLETED', runId: '101', cost: aRunCost(1, 1.25) }),
      aLaunchOf('S2', { status: 'FAILED', runId: '102' }),
    ];

    const document = JSON.parse(JSON.stringify(statusDocument(batch, launches)));

    expect(document.cost).toEqual({
      totalUsd: 1.25,
      computeUsd: 1.1,
      storageUsd: 0.15,
      runs: 2,
      runsPriced: 1,
      runsPricing: 1,
      runsWithMissingPrice: 0,
      priceLists: ['2026-11-01'],
      budgetMaxUsd: 5,
      mostExpensive: [{ sampleId: 'S1', launchId: 'b1/S1', costUsd: 1.25, runs: 1, missingPrice: false }],
    });
    expect(document.launches[0].cost.totalUsd).toBe(1.25);
  });
});

describe('gwm history tables with costs', () => {
  it('shows each attempt its cost, pricing… until it is priced, and — without a run', () => {
    const text = renderHistory(
      {
        kind: 'launches',
        rows: [
          launchRow({ attempt: 2, runId: '201', costPending: true }),
          launchRow({ attempt: 1, current: false, status: 'FAILED', costUsd: 0.75, costEstimated: true }),
          launchRow({ sampleId: 'S2', launchId: 'b1/S2', status: 'LAUNCH_FAILED', runId: undefined }),
        ],
      },
      { colors: plain },
    );

    const lines = text.split('\n');
    expect(lines[1]).toMatch(/│ cost +│ reason/);
    expect(lines.find((line) => line.includes('│ 2 '))).toContain('pricing…');
    expect(lines.find((line) => line.includes('1 (earlier)'))).toContain('$0.75*');
    expect(lines.find((line) => line.includes('LAUNCH_FAILED'))).toContain('│ —');
    expect(text).toContain(
      '* a price or usage figure was missing: that part is left out or taken at its upper bound',
    );
  });

  it('shows a batch its cost and, when one was made, its estimate', () => {
    const text = renderHistory(
      {
        kind: 'batches',
        rows: [batchRow()],
      },
      { colors: plain },
    );

    expect(text.split('\n')[1]).toMatch(/│ cost +│ estimate │/);
    expect(text).toMatch(/FC1 .*COMPLETED .*\$3\.45 +│ \$3\.10 /);
  });
});

describe('gwm history --csv with costs', () => {
  it('writes the cost fields of each attempt after the existing columns', () => {
    const rows: LaunchRow[] = [
      launchRow({ costUsd: 1.25, computeUsd: 1.1, storageUsd: 0.15, costEstimated: false }),
      launchRow({ sampleId: 'S2', launchId: 'b1/S2', runId: '102', costPending: true }),
    ];

    const [header, priced, pending] = toCsv({ kind: 'launches', rows }).split('\r\n');

    expect(header?.split(',').slice(-6)).toEqual([
      'failureReason',
      'costUsd',
      'computeUsd',
      'storageUsd',
      'costEstimated',
      'archivedInputs',
    ]);
    expect(priced).toBe('b1/S1,b1,FC1,S1,1234567,1,true,COMPLETED,101,,,,,1.25,1.1,0.15,false,');
    expect(pending).toBe('b1/S2,b1,FC1,S2,1234567,1,true,COMPLETED,102,,,,,,,,,');
  });

  it('writes a batch total, the runs it covers and the estimate in the batch export', () => {
    const csv = toCsv({
      kind: 'batches',
      rows: [batchRow({ computeUsd: 3, storageUsd: 0.45, costEstimated: true })],
    });

    const [header, row] = csv.split('\r\n');
    expect(header?.split(',').slice(-6)).toEqual([
      'costUsd',
      'computeUsd',
      'storageUsd',
      'costEstimated',
      'runsPriced',
      'estimateUsd',
    ]);
    expect(row?.endsWith(',3.45,3,0.45,true,2,3.1')).toBe(true);
  });
});
