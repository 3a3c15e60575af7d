/**
 * What a run used and what it cost: the engine's task list and run details in, a priced cost out.
 * HealthOmics bills compute per task (instance type price x max(60 s, stop - start)), run storage
 * per run (from RUNNING until STOPPING), and Ready2Run workflows at a fixed price per run
 * (../../docs/cost.md).
 */

/** One task of a run, as `ListRunTasks` reports it (times as ISO-8601). */
export interface RunTask {
  taskId: string;
  status: string;
  name?: string;
  cpus?: number;
  /** GiB. */
  memory?: number;
  gpus?: number;
  /** The instance type HealthOmics ran the task on, e.g. `omics.c.large`. */
  instanceType?: string;
  cacheHit?: boolean;
  creationTime?: string;
  startTime?: string;
  stopTime?: string;
}

/** One page of a run's tasks. */
export interface RunTaskPage {
  tasks: RunTask[];
  /** Pass back as `startingToken` for the next page; absent on the last page. */
  nextToken?: string;
}

/** What pricing needs of a run beyond its tasks (from `GetRun`). */
export interface RunUsage {
  runId: string;
  /** The run's UUID: with the id, it names the run's manifest log (`manifest/run/<id>/<uuid>`). */
  runUuid?: string;
  workflowId?: string;
  workflowType?: 'PRIVATE' | 'READY2RUN';
  storageType?: 'STATIC' | 'DYNAMIC';
  /** GiB as requested or as HealthOmics provisioned it (STATIC). */
  storageCapacity?: number;
  /** ISO-8601: when the run started RUNNING and when it stopped. */
  startTime?: string;
  stopTime?: string;
  /** DYNAMIC storage: what the run used, from its run manifest (`GetRun` does not report it). */
  storageUse?: RunStorageUse;
}

/**
 * The run storage a run used, as its run manifest reports it (`storageAverageGiB`,
 * `storageMaximumGiB` of the run's record): DYNAMIC storage is billed on the average.
 */
export interface RunStorageUse {
  averageGiB?: number;
  maximumGiB?: number;
}

/** The cost of one run attempt, as stored on the launch (and on each earlier attempt). */
export interface RunCost {
  totalUsd: number;
  computeUsd: number;
  storageUsd: number;
  taskCount: number;
  /** Of `taskCount`, the tasks HealthOmics took from the run cache (absent: none). */
  cachedTaskCount?: number;
  /** Billed hours (60 s minimum per task applied) by instance type. */
  instanceHours: Record<string, number>;
  /** The price list's version (its `version` field). */
  priceList: string;
  /**
   * True when a price or a usage figure was missing: the total leaves that part out, or prices it
   * at an upper bound where the entry in `missingPrices` says so.
   */
  estimated?: boolean;
  /** What had no price: instance types, `STATIC storage`, `DYNAMIC storage ...`, `Ready2Run <id>`. */
  missingPrices?: string[];
  /** The attempt this cost belongs to. */
  attempt: number;
  pricedAt: string;
}

/** A batch's cost: the sum over every attempt of every launch, QC included. */
export interface BatchCost {
  totalUsd: number;
  computeUsd: number;
  storageUsd: number;
  /** Run attempts priced so far. */
  runsPriced: number;
  /** Of those, runs whose cost left out a missing price. */
  runsEstimated: number;
}

export const NO_BATCH_COST: BatchCost = {
  totalUsd: 0,
  computeUsd: 0,
  storageUsd: 0,
  runsPriced: 0,
  runsEstimated: 0,
};

/** A predicted value: the central figure and the range the truth usually falls in (p10-p90). */
export interface EstimateRange {
  expected: number;
  low: number;
  high: number;
}

/** What one sample is predicted to cost and take, from completed launches of the same workflow. */
export interface SampleEstimate {
  /** Absent when there is no history to rest on (`basedOnRuns` 0): never a made-up number. */
  costUsd?: EstimateRange;
  durationSeconds?: EstimateRange;
  /** Completed runs of the workflow (and version, where known) the prediction rests on. */
  basedOnRuns: number;
  inputBytes?: number;
}

/** A batch's predicted cost: the sum over the samples that have history, and how many have none. */
export interface BatchEstimate {
  costUsd?: EstimateRange;
  samplesEstimated: number;
  samplesWithoutHistory: number;
  estimatedAt: string;
}
