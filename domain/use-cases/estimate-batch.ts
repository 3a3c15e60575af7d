import { estimateBatch, estimateSample, type PastRun, pastRunOf } from '../cost/estimate.js';
import type { BatchEstimate, SampleEstimate } from '../cost/types.js';
import type { InputSizer, LaunchRepository } from '../ports.js';

export interface EstimateDeps {
  launches: LaunchRepository;
  sizer: InputSizer;
  /** Launches of one workflow read for its history at most, newest first: the bound on the reads. */
  historyLaunches: number;
}

/** What an estimate needs of a sample: its workflow and its input URIs. */
export interface SampleToEstimate {
  sampleId: string;
  workflow: { id: string; version?: string };
  inputs: Record<string, string>;
}

export interface SamplesEstimate {
  bySample: Map<string, SampleEstimate>;
  batch: BatchEstimate;
  /** The past runs read, by workflow id (what the estimates rest on). */
  history: Map<string, PastRun[]>;
}

const HISTORY_PAGE = 200;

/**
 * Sizes every sample's inputs (a sample's size is the sum of its inputs'; unknown when any input
 * cannot be sized), reads each workflow's history once, and predicts each sample and the batch.
 */
export async function estimateSamples(
  deps: EstimateDeps,
  samples: readonly SampleToEstimate[],
  now: Date,
): Promise<SamplesEstimate> {
  const sizes = await deps.sizer.sizes(samples.flatMap((sample) => Object.values(sample.inputs)));
  const history = new Map<string, PastRun[]>();
  for (const workflowId of new Set(samples.map((sample) => sample.workflow.id))) {
    history.set(workflowId, await readHistory(deps, workflowId));
  }
  const bySample = new Map<string, SampleEstimate>();
  for (const sample of samples) {
    bySample.set(
      sample.sampleId,
      estimateSample(history.get(sample.workflow.id) ?? [], {
        workflowId: sample.workflow.id,
        workflowVersion: sample.workflow.version,
        inputBytes: inputBytesOf(sample.inputs, sizes),
      }),
    );
  }
  return { bySample, batch: estimateBatch(bySample.values(), now), history };
}

/** The sum of the inputs' sizes; unknown when one of them is (a partial sum would mislead). */
export function inputBytesOf(
  inputs: Record<string, string>,
  sizes: ReadonlyMap<string, number>,
): number | undefined {
  let total = 0;
  for (const uri of Object.values(inputs)) {
    const size = sizes.get(uri);
    if (size === undefined) return undefined;
    total += size;
  }
  return Object.keys(inputs).length > 0 ? total : undefined;
}

/** The workflow's completed, priced runs among its most recent launches (at most `historyLaunches` read). */
export async function readHistory(deps: EstimateDeps, workflowId: string): Promise<PastRun[]> {
  const runs: PastRun[] = [];
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByWorkflow(
      workflowId,
      {},
      { cursor, limit: Math.min(HISTORY_PAGE, deps.historyLaunches - read) },
    );
    read += page.items.length;
    for (const launch of page.items) {
      const run = pastRunOf(launch);
      if (run) runs.push(run);
    }
    cursor = page.cursor;
  } while (cursor && read < deps.historyLaunches);
  return runs;
}
