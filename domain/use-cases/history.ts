import type { Batch } from '../batch.js';
import type { RunCost } from '../cost/types.js';
import { archivedInputsSummary } from '../inputs/restore.js';
import { isTerminal, type Launch, type LaunchStatus } from '../launch.js';
import { usdNumber } from '../money.js';
import type { BatchRepository, LaunchRepository, Page, PageRequest, TimeRange } from '../ports.js';

export interface HistoryDeps {
  batches: BatchRepository;
  launches: LaunchRepository;
}

/** One engine run of a sample: the current attempt of a launch, or an earlier one kept on it. */
export interface LaunchRow {
  batchId: string;
  batchName: string;
  team?: string;
  sampleId: string;
  launchId: string;
  workflowId: string;
  attempt: number;
  status: LaunchStatus;
  current: boolean;
  runId?: string;
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  failureReason?: string;
  /** A launch with inputs in an S3 archive tier: how many are restored, and when the rest are due. */
  archivedInputs?: string;
  /** What this attempt's run cost (USD), once priced; absent while it runs, is being priced, or had no run. */
  costUsd?: number;
  computeUsd?: number;
  storageUsd?: number;
  /** True when a price was missing: `costUsd` leaves that part out. */
  costEstimated?: boolean;
  /** The attempt's run has finished and its cost is not written yet. */
  costPending?: boolean;
  /** The tasks of the attempt's run, and how many of them came from the run cache (with its cost). */
  taskCount?: number;
  cachedTaskCount?: number;
}

export interface BatchRow {
  batchId: string;
  name: string;
  team?: string;
  priority?: string;
  status: string;
  sampleCount: number;
  succeeded: number;
  /** Every sample that did not succeed: failed, cancelled, not launched or deleted. */
  failed: number;
  qcState: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** What the batch's runs priced so far cost (every attempt, QC included). */
  costUsd?: number;
  computeUsd?: number;
  storageUsd?: number;
  /** True when a priced run had a missing price: `costUsd` leaves that part out. */
  costEstimated?: boolean;
  runsPriced?: number;
  /** What the batch was predicted to cost when it was registered (the central figure). */
  estimateUsd?: number;
}

export type HistoryResult = { kind: 'launches'; rows: LaunchRow[] } | { kind: 'batches'; rows: BatchRow[] };

/** Launch filters, already resolved to ids; with none of them, recent batches are listed. */
export interface HistoryFilter {
  batchId?: string;
  sampleId?: string;
  workflowId?: string;
  status?: LaunchStatus;
  team?: string;
  /** Creation time for a workflow's or a team's launches and for batches, last update for a status. */
  range: TimeRange;
  limit: number;
}

/**
 * The filter an index can answer picks the query (batch, then sample, then workflow, then status);
 * the other filters are applied to what it returns, page after page, until `limit` rows match.
 */
export async function queryHistory(deps: HistoryDeps, filter: HistoryFilter): Promise<HistoryResult> {
  const keep = (row: LaunchRow) =>
    (filter.sampleId === undefined || row.sampleId === filter.sampleId) &&
    (filter.workflowId === undefined || row.workflowId === filter.workflowId) &&
    (filter.status === undefined || row.status === filter.status) &&
    (filter.team === undefined || row.team === filter.team);
  const launches = (fetch: (cursor: string | undefined, limit: number) => Promise<Page<Launch>>) =>
    collect(fetch, (launch: Launch) => [currentRow(launch)], keep, filter.limit);

  const { batchId, sampleId, workflowId, status, team } = filter;
  if (batchId !== undefined) {
    const rows = await launches((cursor, limit) =>
      deps.launches.listByBatch(batchId, { cursor, limit, status }),
    );
    return { kind: 'launches', rows };
  }
  if (sampleId !== undefined) {
    const rows = await collect(
      (cursor, limit) => sampleAttempts(deps, sampleId, { cursor, limit }),
      (row: LaunchRow) => [row],
      keep,
      filter.limit,
    );
    return { kind: 'launches', rows };
  }
  if (workflowId !== undefined) {
    const rows = await launches((cursor, limit) =>
      deps.launches.listByWorkflow(workflowId, filter.range, { cursor, limit }),
    );
    return { kind: 'launches', rows };
  }
  if (status !== undefined) {
    const rows = await launches((cursor, limit) =>
      deps.launches.listByStatus(status, filter.range, { cursor, limit }),
    );
    return { kind: 'launches', rows };
  }
  if (team !== undefined) {
    const rows = await launches((cursor, limit) =>
      deps.launches.listByTeam(team, filter.range, { cursor, limit }),
    );
    return { kind: 'launches', rows };
  }
  const rows = await collect(
    (cursor, limit) => deps.batches.listRecent(filter.range, { cursor, limit }),
    (batch: Batch) => [batchRow(batch)],
    () => true,
    filter.limit,
  );
  return { kind: 'batches', rows };
}

/** Every run a sample had across batches, newest launch first, each launch's current attempt first. */
export async function sampleAttempts(
  deps: HistoryDeps,
  sampleId: string,
  page?: PageRequest,
): Promise<Page<LaunchRow>> {
  const launches = await deps.launches.listBySample(sampleId, page);
  const items = launches.items.flatMap((launch) => {
    // By the sample's own id, as the index was queried (a QC launch's too).
    const current = { ...currentRow(launch), sampleId: launch.sampleId };
    const earlier = [...launch.attempts].reverse().map(
      (previous): LaunchRow => ({
        batchId: launch.batchId,
        batchName: launch.batchName,
        ...(launch.team !== undefined && { team: launch.team }),
        sampleId: launch.sampleId,
        launchId: launch.launchId,
        workflowId: launch.workflowId,
        attempt: previous.attempt,
        status: previous.status,
        current: false,
        runId: previous.runId,
        finishedAt: previous.finishedAt,
        failureReason: previous.failureReason,
        ...costFields(previous.cost, previous.runId !== undefined),
      }),
    );
    return [current, ...earlier];
  });
  return { items, cursor: launches.cursor };
}

const PAGE = 100;

async function collect<T, R>(
  fetch: (cursor: string | undefined, limit: number) => Promise<Page<T>>,
  toRows: (item: T) => R[],
  keep: (row: R) => boolean,
  limit: number,
): Promise<R[]> {
  const rows: R[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor, Math.min(PAGE, Math.max(limit - rows.length, 1)));
    for (const item of page.items) {
      for (const row of toRows(item)) if (keep(row) && rows.length < limit) rows.push(row);
    }
    cursor = page.cursor;
  } while (cursor && rows.length < limit);
  return rows;
}

function currentRow(launch: Launch): LaunchRow {
  return {
    batchId: launch.batchId,
    batchName: launch.batchName,
    ...(launch.team !== undefined && { team: launch.team }),
    sampleId: launch.kind === 'QC' ? 'QC' : launch.sampleId,
    launchId: launch.launchId,
    workflowId: launch.workflowId,
    attempt: launch.attempt,
    status: launch.status,
    current: true,
    runId: launch.runId,
    createdAt: launch.createdAt,
    updatedAt: launch.updatedAt,
    finishedAt: launch.finishedAt,
    failureReason: launch.failureReason,
    ...(launch.archivedInputs?.length && { archivedInputs: archivedInputsSummary(launch) }),
    ...costFields(
      // A cost still on the launch from an attempt before a retry is not this attempt's.
      launch.cost?.attempt === launch.attempt ? launch.cost : undefined,
      launch.runId !== undefined && isTerminal(launch.status),
    ),
  };
}

function costFields(
  cost: RunCost | undefined,
  finishedRun: boolean,
): Pick<
  LaunchRow,
  'costUsd' | 'computeUsd' | 'storageUsd' | 'costEstimated' | 'costPending' | 'taskCount' | 'cachedTaskCount'
> {
  if (!cost) return finishedRun ? { costPending: true } : {};
  return {
    costUsd: usdNumber(cost.totalUsd),
    computeUsd: usdNumber(cost.computeUsd),
    storageUsd: usdNumber(cost.storageUsd),
    costEstimated: cost.estimated === true,
    taskCount: cost.taskCount,
    cachedTaskCount: cost.cachedTaskCount ?? 0,
  };
}

function batchRow(batch: Batch): BatchRow {
  const { counts } = batch;
  return {
    batchId: batch.batchId,
    name: batch.name,
    ...(batch.team !== undefined && { team: batch.team }),
    ...(batch.priority !== undefined && { priority: batch.priority }),
    status: batch.status,
    sampleCount: batch.sampleCount,
    succeeded: counts.succeeded,
    failed: counts.failed + counts.cancelled + counts.launchFailed + counts.deleted,
    qcState: batch.qcState,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
    finishedAt: batch.finishedAt,
    ...(batch.cost && {
      costUsd: usdNumber(batch.cost.totalUsd),
      computeUsd: usdNumber(batch.cost.computeUsd),
      storageUsd: usdNumber(batch.cost.storageUsd),
      costEstimated: batch.cost.runsEstimated > 0,
      runsPriced: batch.cost.runsPriced,
    }),
    ...(batch.estimate?.costUsd && { estimateUsd: usdNumber(batch.estimate.costUsd.expected) }),
  };
}
