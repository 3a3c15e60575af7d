import { type Batch, NO_COUNTS } from '../../domain/batch.js';
import type { RunCost } from '../../domain/cost/types.js';
import type { Launch, LaunchStatus, StatusEntry, StatusSource } from '../../domain/launch.js';

/** A launch as registration writes it, with overrides for the case at hand. */
export function aLaunch(overrides: Partial<Launch> = {}): Launch {
  const createdAt = '2026-11-20T10:00:00.000Z';
  // gwm records every status it writes in the history; a status given here without a history is
  // one gwm wrote (a status missing from the history reads as a person's console edit).
  const recorded =
    overrides.status && !overrides.statusHistory && !['QUEUED', 'RETRY', 'CANCEL'].includes(overrides.status)
      ? [{ status: overrides.status, at: createdAt, source: 'gwm' as const }]
      : [];
  return {
    launchId: 'b1/NA12878',
    batchId: 'b1',
    sampleId: 'NA12878',
    kind: 'SAMPLE',
    batchName: 'HK3H3BBXY',
    workflowId: '9876543',
    workflowType: 'PRIVATE',
    inputs: { fastq: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz' },
    parameters: { sample_id: 'NA12878' },
    outputUri: 's3://lab-results/HK3H3BBXY/',
    storageType: 'DYNAMIC',
    tags: {},
    status: 'QUEUED',
    attempt: 1,
    statusHistory: [
      { status: 'REGISTERED', at: createdAt, source: 'gwm' },
      { status: 'QUEUED', at: createdAt, source: 'gwm' },
      ...recorded,
    ],
    attempts: [],
    createdAt,
    updatedAt: createdAt,
    revision: 2,
    ...overrides,
  };
}

/** A status history of [status, at] steps, each written by gwm unless the step names its source. */
export function historyOf(...steps: [LaunchStatus, string, StatusSource?][]): StatusEntry[] {
  return steps.map(([status, at, source = 'gwm']) => ({ status, at, source }));
}

/** Sample `sampleId`'s launch in batch b1 (launch id `b1/<sampleId>`), with overrides for the case at hand. */
export function aLaunchOf(sampleId: string, overrides: Partial<Launch> = {}): Launch {
  return aLaunch({ launchId: `b1/${sampleId}`, sampleId, ...overrides });
}

/**
 * The cost of attempt `attempt` of a run, `totalUsd` in all: nine tenths compute and a tenth
 * storage unless `overrides` say otherwise, priced on price list 2026-11-01.
 */
export function aRunCost(attempt: number, totalUsd: number, overrides: Partial<RunCost> = {}): RunCost {
  return {
    totalUsd,
    computeUsd: totalUsd * 0.9,
    storageUsd: totalUsd * 0.1,
    taskCount: 4,
    instanceHours: { 'omics.c.large': 1.5 },
    priceList: '2026-11-01',
    attempt,
    pricedAt: '2026-11-20T10:07:00.000Z',
    ...overrides,
  };
}

/** An ACTIVE batch of one sample, as registration leaves it, with overrides for the case at hand. */
export function aBatch(overrides: Partial<Batch> = {}): Batch {
  return {
    batchId: 'b1',
    name: 'HK3H3BBXY',
    sourceUri: 's3://gwm-manifests/manifests/HK3H3BBXY.json',
    contentSha256: 'x',
    status: 'ACTIVE',
    sampleCount: 1,
    releasedCount: 1,
    counts: { ...NO_COUNTS },
    round: 1,
    qcState: 'NONE',
    qcAttempt: 0,
    notifiedRound: 0,
    createdAt: '2026-11-20T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    revision: 1,
    ...overrides,
  };
}

/**
 * Run H<i> of an earlier batch: COMPLETED at 10:00 on 2026-11-01 after `minutes`, priced at
 * `costUsd` (compute only, unless `cost` says otherwise). Estimates read such runs as history.
 */
export function aPricedRun(
  i: number,
  options: {
    costUsd: number;
    workflowId: string;
    minutes: number;
    batchId?: string;
    cost?: Partial<RunCost>;
    overrides?: Partial<Launch>;
  },
): Launch {
  const batchId = options.batchId ?? 'earlier';
  const finishedAt = new Date(Date.parse('2026-11-01T10:00:00.000Z') + options.minutes * 60_000);
  return aLaunch({
    batchId,
    launchId: `${batchId}/H${i}`,
    sampleId: `H${i}`,
    workflowId: options.workflowId,
    status: 'COMPLETED',
    cost: {
      totalUsd: options.costUsd,
      computeUsd: options.costUsd,
      storageUsd: 0,
      taskCount: 1,
      instanceHours: { 'omics.c.large': 0.1 },
      priceList: 'test',
      attempt: 1,
      pricedAt: '2026-11-01T12:00:00.000Z',
      ...options.cost,
    },
    createdAt: '2026-11-01T10:00:00.000Z',
    submittedAt: '2026-11-01T10:00:00.000Z',
    finishedAt: finishedAt.toISOString(),
    ...options.overrides,
  });
}
