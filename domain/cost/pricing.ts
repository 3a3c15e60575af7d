/**
 * What a run cost, from its tasks and its usage, at the prices of a price list. Pure: the tasks,
 * the run and the prices come in, a cost goes out. The billing rules (../../docs/cost.md):
 * - compute, per task: the instance type's hourly price x max(60 s, stop - start) / 3600;
 *   a task HealthOmics took from the run cache (`cacheHit`) was not computed, so it has no
 *   instance charge; a task without a start or a stop never ran on an instance;
 * - run storage, per run, from RUNNING (`startTime`) until it stops (`stopTime`): STATIC at the
 *   capacity HealthOmics provisions, DYNAMIC at the storage the run used;
 * - Ready2Run workflows: a fixed price per run, nothing else.
 * A price gwm does not have is never guessed: the cost leaves it out, lists it in `missingPrices`
 * and is marked `estimated`.
 */
import { instancePrice, type PriceList, ready2RunPrice, storagePrice } from './price-list.js';
import type { RunCost, RunTask, RunUsage } from './types.js';

/** The priced part of a run's tasks; pages of tasks priced apart add up with `mergeCompute`. */
export type ComputePartial = {
  computeUsd: number;
  taskCount: number;
  /** Tasks HealthOmics took from the run cache (`cacheHit`); absent: none. */
  cachedTaskCount?: number;
  /** Billed hours (60 s minimum applied) by instance type, priced or not. */
  instanceHours: Record<string, number>;
  /** Instance types without a price in the run's region, sorted, each once. */
  missingPrices: string[];
};

export const EMPTY_COMPUTE: ComputePartial = {
  computeUsd: 0,
  taskCount: 0,
  instanceHours: {},
  missingPrices: [],
};

/** HealthOmics bills each task for at least one minute. */
export const MINIMUM_BILLED_TASK_SECONDS = 60;
/** Static run storage: the default and smallest size, and the step above it (GiB). */
export const STATIC_STORAGE_MINIMUM_GIB = 1200;
export const STATIC_STORAGE_STEP_GIB = 2400;
/** Stored dollar amounts keep 6 decimals (see `roundUsd`). */
const USD_DECIMALS = 6;

/** What `missingPrices` says for a task HealthOmics reported without an instance type. */
export const UNKNOWN_INSTANCE_TYPE = 'instance type not reported';

/** Prices one page (or all) of a run's tasks in a region. */
export function priceTasks(tasks: readonly RunTask[], region: string, prices: PriceList): ComputePartial {
  let computeUsd = 0;
  const instanceHours: Record<string, number> = {};
  const missing = new Set<string>();
  for (const task of tasks) {
    const seconds = billedTaskSeconds(task);
    if (seconds === undefined) continue;
    const type = task.instanceType;
    if (!type) {
      missing.add(UNKNOWN_INSTANCE_TYPE);
      continue;
    }
    const hours = seconds / 3600;
    instanceHours[type] = (instanceHours[type] ?? 0) + hours;
    const hourly = instancePrice(prices, region, type);
    if (hourly === undefined) missing.add(type);
    else computeUsd += hourly * hours;
  }
  const cached = tasks.filter((task) => task.cacheHit === true).length;
  return {
    computeUsd,
    taskCount: tasks.length,
    ...(cached > 0 && { cachedTaskCount: cached }),
    instanceHours,
    missingPrices: [...missing].sort(),
  };
}

/**
 * The seconds HealthOmics bills for a task: undefined for a cache hit or a task that never both
 * started and stopped (nothing ran on an instance), else at least the 60 s minimum.
 */
export function billedTaskSeconds(task: RunTask): number | undefined {
  if (task.cacheHit) return undefined;
  const start = instant(task.startTime);
  const stop = instant(task.stopTime);
  if (start === undefined || stop === undefined) return undefined;
  return Math.max(MINIMUM_BILLED_TASK_SECONDS, (stop - start) / 1000);
}

/** Two partials of the same run added up; in any order and grouping, the same result. */
export function mergeCompute(a: ComputePartial, b: ComputePartial): ComputePartial {
  const instanceHours: Record<string, number> = { ...a.instanceHours };
  const cached = (a.cachedTaskCount ?? 0) + (b.cachedTaskCount ?? 0);
  for (const [type, hours] of Object.entries(b.instanceHours)) {
    instanceHours[type] = (instanceHours[type] ?? 0) + hours;
  }
  return {
    computeUsd: a.computeUsd + b.computeUsd,
    taskCount: a.taskCount + b.taskCount,
    ...(cached > 0 && { cachedTaskCount: cached }),
    instanceHours,
    missingPrices: [...new Set([...a.missingPrices, ...b.missingPrices])].sort(),
  };
}

/**
 * The provisioned size HealthOmics bills for static run storage: 1,200 GiB when nothing (or at most
 * 1,200 GiB) is requested; above that, HealthOmics rounds a request up to a multiple of 1,200 GiB
 * and, where that size is not available, of 2,400 GiB; the sizes it offers above 1,200 GiB are
 * multiples of 2,400 GiB (2,400, 4,800, 7,200, ...), so a request rounds up to the next of those.
 */
export function billedStaticCapacityGiB(requested?: number): number {
  if (requested === undefined || !Number.isFinite(requested) || requested <= STATIC_STORAGE_MINIMUM_GIB) {
    return STATIC_STORAGE_MINIMUM_GIB;
  }
  return Math.ceil(requested / STATIC_STORAGE_STEP_GIB) * STATIC_STORAGE_STEP_GIB;
}

export interface PriceRunInput {
  usage: RunUsage;
  compute: ComputePartial;
  region: string;
  attempt: number;
  pricedAt: string;
}

/** The cost of one run attempt: its tasks' compute plus its run storage, or its Ready2Run price. */
export function priceRun(input: PriceRunInput, prices: PriceList): RunCost {
  const { usage, compute, region } = input;
  if (usage.workflowType === 'READY2RUN') return priceReady2Run(input, prices);

  const missing = new Set(compute.missingPrices);
  const storageUsd = priceRunStorage(usage, region, prices, missing);
  return cost(input, prices, {
    computeUsd: compute.computeUsd,
    storageUsd,
    instanceHours: compute.instanceHours,
    missing,
  });
}

/**
 * Ready2Run runs are billed their fixed price per run, with no separate compute or storage charge;
 * the fixed price is reported as the run's compute.
 */
function priceReady2Run(input: PriceRunInput, prices: PriceList): RunCost {
  const { usage, region } = input;
  const missing = new Set<string>();
  const workflowId = usage.workflowId ?? 'unknown workflow';
  const fixed = usage.workflowId === undefined ? undefined : ready2RunPrice(prices, region, usage.workflowId);
  if (fixed === undefined) missing.add(`Ready2Run ${workflowId}`);
  return cost(input, prices, { computeUsd: fixed ?? 0, storageUsd: 0, instanceHours: {}, missing });
}

/**
 * Run storage: billed from RUNNING until the run stops. A run that never started RUNNING had none.
 * STATIC: the billed capacity x hours x the GB-hour price (HealthOmics' GiB figures are billed as
 * the GB quantity of the `Run Storage` product). DYNAMIC: the storage the run used on average (its
 * run manifest's `storageAverageGiB`) x hours x the `Dynamic Run Storage` price. A manifest with
 * only the maximum (HealthOmics leaves the average out of some runs' manifests) is priced at the
 * maximum, an upper bound, and says so; a run without a manifest has its storage left out.
 */
function priceRunStorage(usage: RunUsage, region: string, prices: PriceList, missing: Set<string>): number {
  // HealthOmics provides static run storage when none is chosen.
  const type = usage.storageType ?? 'STATIC';
  const start = instant(usage.startTime);
  if (start === undefined) return 0;
  const stop = instant(usage.stopTime);
  if (stop === undefined) {
    missing.add(`${type} storage (the run has no stop time)`);
    return 0;
  }
  const hours = Math.max(0, stop - start) / 3_600_000;
  const perGbHour = storagePrice(prices, region, type);
  if (type === 'DYNAMIC') {
    const gib = dynamicStorageGiB(usage, missing);
    if (gib === undefined) return 0;
    if (perGbHour === undefined) {
      missing.add('DYNAMIC storage');
      return 0;
    }
    return gib * hours * perGbHour;
  }
  if (perGbHour === undefined) {
    missing.add('STATIC storage');
    return 0;
  }
  return billedStaticCapacityGiB(usage.storageCapacity) * hours * perGbHour;
}

/** What DYNAMIC storage is billed on: the average used, else the maximum (said in `missing`). */
function dynamicStorageGiB(usage: RunUsage, missing: Set<string>): number | undefined {
  const use = usage.storageUse;
  if (use?.averageGiB !== undefined && Number.isFinite(use.averageGiB)) return Math.max(0, use.averageGiB);
  if (use?.maximumGiB !== undefined && Number.isFinite(use.maximumGiB)) {
    missing.add(DYNAMIC_AT_MAXIMUM);
    return Math.max(0, use.maximumGiB);
  }
  missing.add(DYNAMIC_NOT_REPORTED);
  return undefined;
}

/** What `missingPrices` says when a DYNAMIC run's manifest has no average, or no storage figures. */
export const DYNAMIC_AT_MAXIMUM = 'DYNAMIC storage average not reported (priced at the maximum used)';
export const DYNAMIC_NOT_REPORTED = 'DYNAMIC storage (the run manifest reports no storage use)';

function cost(
  input: PriceRunInput,
  prices: PriceList,
  parts: {
    computeUsd: number;
    storageUsd: number;
    instanceHours: Record<string, number>;
    missing: Set<string>;
  },
): RunCost {
  const missingPrices = [...parts.missing].sort();
  return {
    totalUsd: roundUsd(parts.computeUsd + parts.storageUsd),
    computeUsd: roundUsd(parts.computeUsd),
    storageUsd: roundUsd(parts.storageUsd),
    taskCount: input.compute.taskCount,
    ...((input.compute.cachedTaskCount ?? 0) > 0 && { cachedTaskCount: input.compute.cachedTaskCount }),
    instanceHours: Object.fromEntries(
      Object.entries(parts.instanceHours).map(([type, hours]) => [type, roundTo(hours, USD_DECIMALS)]),
    ),
    priceList: prices.version,
    ...(missingPrices.length > 0 ? { estimated: true, missingPrices } : {}),
    attempt: input.attempt,
    pricedAt: input.pricedAt,
  };
}

/**
 * Dollars as stored: 6 decimals. Arithmetic keeps full precision until here; a millionth of a
 * dollar is far below a billed cent yet above the floating-point noise (0.1 + 0.2), so sums of
 * thousands of stored costs stay right to the cent and read cleanly in the console.
 */
export function roundUsd(value: number): number {
  return roundTo(value, USD_DECIMALS);
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round((value + Number.EPSILON) * factor) / factor;
}

function instant(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? undefined : time;
}
