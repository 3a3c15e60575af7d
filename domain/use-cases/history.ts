import type { Batch } from '../batch.js';
import type { Launch, LaunchStatus } from '../launch.js';
import type { BatchRepository, LaunchRepository, Page, PageRequest, TimeRange } from '../ports.js';

export interface HistoryDeps {
  batches: BatchRepository;
  launches: LaunchRepository;
}

/** One engine run of a sample: the current attempt of a launch, or an earlier one kept on it. */
export interface LaunchRow {
  batchId: string;
  batchName: string;
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
}

export interface BatchRow {
  batchId: string;
  name: string;
  status: string;
  sampleCount: number;
  succeeded: number;
  /** Every sample that did not succeed: failed, cancelled, not launched or deleted. */
  failed: number;
  qcState: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export type HistoryResult = { kind: 'launches'; rows: LaunchRow[] } | { kind: 'batches'; rows: BatchRow[] };

/** Launch filters, already resolved to ids; with none of them, recent batches are listed. */
export interface HistoryFilter {
  batchId?: string;
  sampleId?: string;
  workflowId?: string;
  status?: LaunchStatus;
  /** Creation time for a workflow's launches and for batches, last update for a status. */
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
    (filter.status === undefined || row.status === filter.status);
  const launches = (fetch: (cursor: string | undefined, limit: number) => Promise<Page<Launch>>) =>
    collect(fetch, (launch: Launch) => [currentRow(launch)], keep, filter.limit);

  const { batchId, sampleId, workflowId, status } = filter;
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
        sampleId: launch.sampleId,
        launchId: launch.launchId,
        workflowId: launch.workflowId,
        attempt: previous.attempt,
        status: previous.status,
        current: false,
        runId: previous.runId,
        finishedAt: previous.finishedAt,
        failureReason: previous.failureReason,
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
  };
}

function batchRow(batch: Batch): BatchRow {
  const { counts } = batch;
  return {
    batchId: batch.batchId,
    name: batch.name,
    status: batch.status,
    sampleCount: batch.sampleCount,
    succeeded: counts.succeeded,
    failed: counts.failed + counts.cancelled + counts.launchFailed + counts.deleted,
    qcState: batch.qcState,
    createdAt: batch.createdAt,
    updatedAt: batch.updatedAt,
    finishedAt: batch.finishedAt,
  };
}
