import type { Batch } from '../batch.js';
import type { Launch, LaunchStatus } from '../launch.js';
import type { BatchRepository, LaunchRepository, Page, PageRequest } from '../ports.js';

export interface HistoryDeps {
  batches: BatchRepository;
  launches: LaunchRepository;
}

export interface BatchWithLaunches {
  batch: Batch;
  launches: Page<Launch>;
}

/** A batch and one page of its launches. */
export async function batchWithLaunches(
  deps: HistoryDeps,
  batchId: string,
  page?: PageRequest,
): Promise<BatchWithLaunches | undefined> {
  const batch = await deps.batches.get(batchId);
  if (!batch) return undefined;
  return { batch, launches: await deps.launches.listByBatch(batchId, page) };
}

/** One row per engine run a sample ever had: earlier attempts kept on the launch, then the current one. */
export interface SampleAttempt {
  sampleId: string;
  batchId: string;
  batchName: string;
  launchId: string;
  workflowId: string;
  attempt: number;
  status: LaunchStatus;
  runId?: string;
  failureReason?: string;
  finishedAt?: string;
  current: boolean;
}

export async function sampleAttempts(
  deps: HistoryDeps,
  sampleId: string,
  page?: PageRequest,
): Promise<Page<SampleAttempt>> {
  const launches = await deps.launches.listBySample(sampleId, page);
  const items = launches.items.flatMap((launch) => {
    const common = {
      sampleId: launch.sampleId,
      batchId: launch.batchId,
      batchName: launch.batchName,
      launchId: launch.launchId,
      workflowId: launch.workflowId,
    };
    const current: SampleAttempt = {
      ...common,
      attempt: launch.attempt,
      status: launch.status,
      runId: launch.runId,
      failureReason: launch.failureReason,
      finishedAt: launch.finishedAt,
      current: true,
    };
    const earlier = [...launch.attempts].reverse().map(
      (previous): SampleAttempt => ({
        ...common,
        attempt: previous.attempt,
        status: previous.status,
        runId: previous.runId,
        failureReason: previous.failureReason,
        finishedAt: previous.finishedAt,
        current: false,
      }),
    );
    return [current, ...earlier];
  });
  return { items, cursor: launches.cursor };
}
