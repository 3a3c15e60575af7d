/**
 * Prices a run from what the engine reports: compute per task (instance type price x
 * max(60 s, stop - start)), run storage from RUNNING until the run stopped, Ready2Run workflows at
 * their fixed price per run. Task lists are priced page by page (`priceTasks`, `mergeCompute`) so a
 * run with thousands of tasks never has to be held in memory or in one invocation.
 */
import { instancePrice, type PriceList, ready2RunPrice, storagePrice } from './price-list.js';
import type { RunCost, RunTask, RunUsage } from './types.js';

/** Compute priced so far: the sum over the tasks seen, and what had no price. */
export type ComputePartial = {
  computeUsd: number;
  taskCount: number;
  instanceHours: Record<string, number>;
  missingPrices: string[];
};

export const EMPTY_COMPUTE: ComputePartial = {
  computeUsd: 0,
  taskCount: 0,
  instanceHours: {},
  missingPrices: [],
};

const MIN_TASK_SECONDS = 60;
const STATIC_STEP_GIB = 1_200;

export function priceTasks(tasks: RunTask[], region: string, prices: PriceList): ComputePartial {
  const partial: ComputePartial = { computeUsd: 0, taskCount: 0, instanceHours: {}, missingPrices: [] };
  for (const task of tasks) {
    partial.taskCount++;
    // A task served from the run cache ran nothing: HealthOmics bills no compute for it.
    if (task.cacheHit || !task.startTime || !task.stopTime) continue;
    const type = task.instanceType ?? 'unknown instance type';
    const seconds = (Date.parse(task.stopTime) - Date.parse(task.startTime)) / 1000;
    const hours = Math.max(MIN_TASK_SECONDS, seconds) / 3600;
    partial.instanceHours[type] = (partial.instanceHours[type] ?? 0) + hours;
    const price = task.instanceType ? instancePrice(prices, region, task.instanceType) : undefined;
    if (price === undefined) addMissing(partial.missingPrices, type);
    else partial.computeUsd += price * hours;
  }
  return partial;
}

export function mergeCompute(a: ComputePartial, b: ComputePartial): ComputePartial {
  const instanceHours = { ...a.instanceHours };
  for (const [type, hours] of Object.entries(b.instanceHours))
    instanceHours[type] = (instanceHours[type] ?? 0) + hours;
  const missingPrices = [...a.missingPrices];
  for (const missing of b.missingPrices) addMissing(missingPrices, missing);
  return {
    computeUsd: a.computeUsd + b.computeUsd,
    taskCount: a.taskCount + b.taskCount,
    instanceHours,
    missingPrices,
  };
}

export function priceRun(
  input: { usage: RunUsage; compute: ComputePartial; region: string; attempt: number; pricedAt: string },
  prices: PriceList,
): RunCost {
  const { usage, region } = input;
  const missing = [...input.compute.missingPrices];
  let computeUsd = input.compute.computeUsd;
  let storageUsd = 0;
  if (usage.workflowType === 'READY2RUN') {
    const fixed = usage.workflowId ? ready2RunPrice(prices, region, usage.workflowId) : undefined;
    if (fixed === undefined) addMissing(missing, `Ready2Run ${usage.workflowId ?? '?'}`);
    computeUsd = fixed ?? 0;
  } else if (usage.startTime && usage.stopTime) {
    const type = usage.storageType ?? 'STATIC';
    const hours = Math.max(0, Date.parse(usage.stopTime) - Date.parse(usage.startTime)) / 3_600_000;
    const requested = usage.storageCapacity ?? STATIC_STEP_GIB;
    const gib = type === 'STATIC' ? Math.ceil(requested / STATIC_STEP_GIB) * STATIC_STEP_GIB : requested;
    const price = storagePrice(prices, region, type);
    if (price === undefined) addMissing(missing, `${type} storage`);
    else storageUsd = gib * hours * price;
  }
  return {
    totalUsd: computeUsd + storageUsd,
    computeUsd,
    storageUsd,
    taskCount: input.compute.taskCount,
    instanceHours: input.compute.instanceHours,
    priceList: prices.version,
    ...(missing.length > 0 ? { estimated: true, missingPrices: missing } : {}),
    attempt: input.attempt,
    pricedAt: input.pricedAt,
  };
}

function addMissing(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}
