import { describe, expect, it } from 'vitest';
import { type PriceList, parsePriceList } from '../../domain/cost/price-list.js';
import {
  billedStaticCapacityGiB,
  type ComputePartial,
  DYNAMIC_AT_MAXIMUM,
  DYNAMIC_NOT_REPORTED,
  EMPTY_COMPUTE,
  mergeCompute,
  priceRun,
  priceTasks,
  UNKNOWN_INSTANCE_TYPE,
} from '../../domain/cost/pricing.js';
import type { RunTask, RunUsage } from '../../domain/cost/types.js';
import { aPriceList } from '../support/prices.js';

// Round prices so the expected figures can be worked out by hand.
const prices: PriceList = aPriceList({
  instances: { 'omics.c.large': 0.1, 'omics.m.xlarge': 0.25 },
  ready2run: { '9500764': 10 },
});

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function task(
  id: string,
  instanceType: string | undefined,
  startSeconds?: number,
  stopSeconds?: number,
  extra: Partial<RunTask> = {},
): RunTask {
  return {
    taskId: id,
    status: 'COMPLETED',
    ...(instanceType ? { instanceType } : {}),
    ...(startSeconds !== undefined ? { startTime: at(startSeconds) } : {}),
    ...(stopSeconds !== undefined ? { stopTime: at(stopSeconds) } : {}),
    ...extra,
  };
}

function staticRun(hours: number, storageCapacity?: number): RunUsage {
  return {
    runId: '1234567',
    workflowType: 'PRIVATE',
    storageType: 'STATIC',
    ...(storageCapacity !== undefined ? { storageCapacity } : {}),
    startTime: at(0),
    stopTime: at(hours * 3600),
  };
}

const base = { region: 'us-east-1', attempt: 1, pricedAt: '2026-12-01T14:00:00.000Z' };

describe('priceTasks', () => {
  it('bills a task that ran under a minute for the 60 s minimum', () => {
    // Act
    const partial = priceTasks([task('t1', 'omics.c.large', 0, 12)], 'us-east-1', prices);
    // Assess: 60 s at $0.1 an hour
    expect(partial.computeUsd).toBeCloseTo(0.1 / 60, 12);
    expect(partial.instanceHours['omics.c.large']).toBeCloseTo(1 / 60, 12);
  });

  it('bills a task that ran past a minute for its exact duration', () => {
    const partial = priceTasks([task('t1', 'omics.c.large', 0, 61.5)], 'us-east-1', prices);
    expect(partial.computeUsd).toBeCloseTo((0.1 * 61.5) / 3600, 12);
  });

  it('charges nothing for a cache hit and still counts it', () => {
    const partial = priceTasks(
      [task('cached', 'omics.m.xlarge', 0, 7200, { cacheHit: true }), task('ran', 'omics.c.large', 0, 3600)],
      'us-east-1',
      prices,
    );
    expect(partial.taskCount).toBe(2);
    expect(partial.computeUsd).toBeCloseTo(0.1, 12);
    expect(partial.instanceHours).toEqual({ 'omics.c.large': 1 });
  });

  it('counts the tasks taken from the run cache, over pages too, and says nothing of a run without any', () => {
    // Prepare: two pages, three cache hits among five tasks
    const first = priceTasks(
      [task('a', 'omics.c.large', 0, 60, { cacheHit: true }), task('b', 'omics.c.large', 0, 60)],
      'us-east-1',
      prices,
    );
    const second = priceTasks(
      [
        task('c', 'omics.c.large', 0, 60, { cacheHit: true }),
        task('d', 'omics.c.large', 0, 60, { cacheHit: true }),
        task('e', 'omics.c.large', 0, 60, { cacheHit: false }),
      ],
      'us-east-1',
      prices,
    );
    // Act
    const merged = mergeCompute(mergeCompute(EMPTY_COMPUTE, first), second);
    const cost = priceRun({ ...base, usage: staticRun(1), compute: merged }, prices);
    const none = priceRun(
      {
        ...base,
        usage: staticRun(1),
        compute: priceTasks([task('x', 'omics.c.large', 0, 60)], 'us-east-1', prices),
      },
      prices,
    );
    // Assess
    expect([first.cachedTaskCount, second.cachedTaskCount]).toEqual([1, 2]);
    expect(merged).toMatchObject({ taskCount: 5, cachedTaskCount: 3 });
    expect(cost).toMatchObject({ taskCount: 5, cachedTaskCount: 3 });
    expect(none).not.toHaveProperty('cachedTaskCount');
  });

  it('charges nothing for tasks without a start or a stop and still counts them', () => {
    const partial = priceTasks(
      [
        task('queued', 'omics.c.large'),
        task('running', 'omics.c.large', 0),
        task('odd', 'omics.c.large', undefined, 60),
      ],
      'us-east-1',
      prices,
    );
    expect(partial).toEqual({ computeUsd: 0, taskCount: 3, instanceHours: {}, missingPrices: [] });
  });

  it('lists an instance type without a price instead of guessing it, and prices the rest', () => {
    const partial = priceTasks(
      [
        task('gpu', 'omics.g5.xlarge', 0, 3600),
        task('gpu2', 'omics.g5.xlarge', 0, 1800),
        task('cpu', 'omics.c.large', 0, 3600),
      ],
      'us-east-1',
      prices,
    );
    expect(partial.missingPrices).toEqual(['omics.g5.xlarge']);
    expect(partial.computeUsd).toBeCloseTo(0.1, 12);
    expect(partial.instanceHours['omics.g5.xlarge']).toBeCloseTo(1.5, 12);
  });

  it('reports a task that ran without an instance type', () => {
    const partial = priceTasks([task('t', undefined, 0, 600)], 'us-east-1', prices);
    expect(partial.missingPrices).toEqual([UNKNOWN_INSTANCE_TYPE]);
    expect(partial.computeUsd).toBe(0);
  });

  it('finds no price in a region the list does not cover', () => {
    const partial = priceTasks([task('t', 'omics.c.large', 0, 3600)], 'eu-west-2', prices);
    expect(partial.computeUsd).toBe(0);
    expect(partial.missingPrices).toEqual(['omics.c.large']);
  });
});

describe('priceRun', () => {
  it('adds compute and static storage on a worked example', () => {
    // Prepare: 30 s (billed 60 s) and 90 min on c.large, 2 h on m.xlarge, a cache hit, an unfinished task
    const tasks = [
      task('a', 'omics.c.large', 0, 30),
      task('b', 'omics.m.xlarge', 60, 7260),
      task('c', 'omics.c.large', 100, 5500),
      task('d', 'omics.c.large', 0, 3600, { cacheHit: true }),
      task('e', 'omics.c.large', 200),
    ];
    // Act: a 3-hour run on the default 1,200 GiB of static storage
    const cost = priceRun(
      { ...base, usage: staticRun(3), compute: priceTasks(tasks, 'us-east-1', prices) },
      prices,
    );
    // Assess: c.large 1/60 h + 1.5 h at $0.1 = 0.151666..., m.xlarge 2 h at $0.25 = 0.5;
    // storage 1,200 GiB x 3 h x $0.0002 = 0.72
    expect(cost).toEqual({
      totalUsd: 1.371667,
      computeUsd: 0.651667,
      storageUsd: 0.72,
      taskCount: 5,
      cachedTaskCount: 1,
      instanceHours: { 'omics.c.large': 1.516667, 'omics.m.xlarge': 2 },
      priceList: 'test-2026-12',
      attempt: 1,
      pricedAt: '2026-12-01T14:00:00.000Z',
    });
  });

  it('bills static storage at the rounded capacity for the run time', () => {
    const cost = priceRun({ ...base, usage: staticRun(2, 1201), compute: EMPTY_COMPUTE }, prices);
    expect(cost.storageUsd).toBeCloseTo(2400 * 2 * 0.0002, 6);
    expect(cost.estimated).toBeUndefined();
  });

  it('bills static storage when the storage type is not given (HealthOmics defaults to static)', () => {
    const { storageType: _, ...usage } = staticRun(1);
    const cost = priceRun({ ...base, usage, compute: EMPTY_COMPUTE }, prices);
    expect(cost.storageUsd).toBeCloseTo(1200 * 0.0002, 6);
  });

  it('bills no storage for a run that never reached RUNNING', () => {
    const cost = priceRun(
      { ...base, usage: { runId: '1', storageType: 'STATIC' }, compute: EMPTY_COMPUTE },
      prices,
    );
    expect(cost).toMatchObject({ totalUsd: 0, storageUsd: 0 });
    expect(cost.estimated).toBeUndefined();
  });

  it('says the storage is missing for a run that started but has no stop time', () => {
    const usage: RunUsage = { runId: '1', storageType: 'STATIC', startTime: at(0) };
    const cost = priceRun({ ...base, usage, compute: EMPTY_COMPUTE }, prices);
    expect(cost.estimated).toBe(true);
    expect(cost.missingPrices).toEqual(['STATIC storage (the run has no stop time)']);
  });

  it('prices dynamic storage on the average the run manifest reports, for the RUNNING hours', () => {
    // 5 h at 300 GiB on average: 1,500 GB-hours x $0.0004 = $0.60
    const usage: RunUsage = {
      ...staticRun(5),
      storageType: 'DYNAMIC',
      storageUse: { averageGiB: 300, maximumGiB: 900 },
    };
    const compute = priceTasks([task('a', 'omics.c.large', 0, 3600)], 'us-east-1', prices);
    const cost = priceRun({ ...base, usage, compute }, prices);
    expect(cost).toMatchObject({ computeUsd: 0.1, storageUsd: 0.6, totalUsd: 0.7 });
    expect(cost.estimated).toBeUndefined();
    expect(cost.missingPrices).toBeUndefined();
  });

  it('prices dynamic storage at the maximum used when the manifest has no average, and says so', () => {
    // 2 h at most 50 GiB: 100 GB-hours x $0.0004 = $0.04, an upper bound
    const usage: RunUsage = { ...staticRun(2), storageType: 'DYNAMIC', storageUse: { maximumGiB: 50 } };
    const cost = priceRun({ ...base, usage, compute: EMPTY_COMPUTE }, prices);
    expect(cost).toMatchObject({ storageUsd: 0.04, totalUsd: 0.04, estimated: true });
    expect(cost.missingPrices).toEqual([DYNAMIC_AT_MAXIMUM]);
  });

  it('leaves dynamic storage out, and says so, when no storage use is reported or it has no price', () => {
    const usage: RunUsage = { ...staticRun(5), storageType: 'DYNAMIC' };
    const compute = priceTasks([task('a', 'omics.c.large', 0, 3600)], 'us-east-1', prices);
    const cost = priceRun({ ...base, usage, compute }, prices);
    expect(cost).toMatchObject({ computeUsd: 0.1, storageUsd: 0, totalUsd: 0.1, estimated: true });
    expect(cost.missingPrices).toEqual([DYNAMIC_NOT_REPORTED]);

    const withoutPrice = parsePriceList({
      ...prices,
      regions: { 'us-east-1': { instances: {}, storage: { STATIC: 0.0002 }, ready2run: {} } },
    });
    const used: RunUsage = { ...usage, storageUse: { averageGiB: 300 } };
    const unpriced = priceRun({ ...base, usage: used, compute: EMPTY_COMPUTE }, withoutPrice);
    expect(unpriced).toMatchObject({ storageUsd: 0, totalUsd: 0, estimated: true });
    expect(unpriced.missingPrices).toEqual(['DYNAMIC storage']);
  });

  it('leaves out a missing instance price, lists it and marks the cost estimated', () => {
    const compute = priceTasks(
      [task('gpu', 'omics.g5.xlarge', 0, 3600), task('cpu', 'omics.c.large', 0, 3600)],
      'us-east-1',
      prices,
    );
    const cost = priceRun({ ...base, usage: staticRun(1), compute }, prices);
    expect(cost).toMatchObject({ computeUsd: 0.1, storageUsd: 0.24, totalUsd: 0.34, estimated: true });
    expect(cost.missingPrices).toEqual(['omics.g5.xlarge']);
  });

  it('lists every price of a region the list does not cover', () => {
    const compute = priceTasks([task('cpu', 'omics.c.large', 0, 3600)], 'ap-south-2', prices);
    const cost = priceRun({ ...base, region: 'ap-south-2', usage: staticRun(1), compute }, prices);
    expect(cost).toMatchObject({ totalUsd: 0, estimated: true });
    expect(cost.missingPrices).toEqual(['STATIC storage', 'omics.c.large']);
  });

  it('prices a Ready2Run run at its fixed price, without compute or storage', () => {
    const compute = priceTasks([task('a', 'omics.c.large', 0, 36_000)], 'us-east-1', prices);
    const usage: RunUsage = { ...staticRun(10), workflowType: 'READY2RUN', workflowId: '9500764' };
    const cost = priceRun({ ...base, usage, compute }, prices);
    expect(cost).toMatchObject({
      totalUsd: 10,
      computeUsd: 10,
      storageUsd: 0,
      taskCount: 1,
      instanceHours: {},
    });
    expect(cost.estimated).toBeUndefined();
  });

  it('says which Ready2Run workflow has no price', () => {
    const usage: RunUsage = { ...staticRun(1), workflowType: 'READY2RUN', workflowId: '1111111' };
    const cost = priceRun({ ...base, usage, compute: EMPTY_COMPUTE }, prices);
    expect(cost).toMatchObject({ totalUsd: 0, estimated: true, missingPrices: ['Ready2Run 1111111'] });
  });

  it('stores dollars with 6 decimals', () => {
    // 61 s of c.large: 0.001694444... dollars
    const compute = priceTasks([task('a', 'omics.c.large', 0, 61)], 'us-east-1', prices);
    const cost = priceRun({ ...base, usage: { runId: '1' }, compute }, prices);
    expect(cost.computeUsd).toBe(0.001694);
  });
});

describe('billedStaticCapacityGiB', () => {
  it.each([
    [undefined, 1200],
    [0, 1200],
    [1, 1200],
    [1200, 1200],
    [1201, 2400],
    [2400, 2400],
    [2401, 4800],
    [3600, 4800],
    [4800, 4800],
    [9601, 12_000],
    [96_000, 96_000],
    [100_000, 100_800],
  ])('bills %s GiB requested as %s GiB', (requested, billed) => {
    expect(billedStaticCapacityGiB(requested)).toBe(billed);
  });
});

describe('mergeCompute', () => {
  const pages: ComputePartial[] = [
    priceTasks(
      [task('a', 'omics.c.large', 0, 100), task('b', 'omics.g5.xlarge', 0, 900)],
      'us-east-1',
      prices,
    ),
    priceTasks(
      [task('c', 'omics.m.xlarge', 0, 5000), task('d', 'omics.c.large', 0, 10, { cacheHit: true })],
      'us-east-1',
      prices,
    ),
    priceTasks(
      [task('e', 'omics.c.large', 50, 4000), task('f', 'omics.g4dn.xlarge', 0, 30)],
      'us-east-1',
      prices,
    ),
  ];
  const [p1, p2, p3] = pages as [ComputePartial, ComputePartial, ComputePartial];
  const everything = priceTasks(
    [
      task('a', 'omics.c.large', 0, 100),
      task('b', 'omics.g5.xlarge', 0, 900),
      task('c', 'omics.m.xlarge', 0, 5000),
      task('d', 'omics.c.large', 0, 10, { cacheHit: true }),
      task('e', 'omics.c.large', 50, 4000),
      task('f', 'omics.g4dn.xlarge', 0, 30),
    ],
    'us-east-1',
    prices,
  );

  function expectSame(actual: ComputePartial, expected: ComputePartial): void {
    expect(actual.taskCount).toBe(expected.taskCount);
    expect(actual.missingPrices).toEqual(expected.missingPrices);
    expect(actual.computeUsd).toBeCloseTo(expected.computeUsd, 12);
    expect(Object.keys(actual.instanceHours).sort()).toEqual(Object.keys(expected.instanceHours).sort());
    for (const [type, hours] of Object.entries(expected.instanceHours)) {
      expect(actual.instanceHours[type]).toBeCloseTo(hours, 12);
    }
  }

  it('adds pages up to what the whole list prices at', () => {
    expectSame(mergeCompute(mergeCompute(p1, p2), p3), everything);
    expect(everything.missingPrices).toEqual(['omics.g4dn.xlarge', 'omics.g5.xlarge']);
  });

  it('gives the same result in any grouping and order', () => {
    const reference = mergeCompute(mergeCompute(p1, p2), p3);
    expectSame(mergeCompute(p1, mergeCompute(p2, p3)), reference);
    expectSame(mergeCompute(mergeCompute(p3, p1), p2), reference);
    expectSame(mergeCompute(p2, mergeCompute(p3, p1)), reference);
  });

  it('treats EMPTY_COMPUTE as nothing', () => {
    expect(mergeCompute(EMPTY_COMPUTE, p1)).toEqual(p1);
    expect(mergeCompute(p2, EMPTY_COMPUTE)).toEqual(p2);
  });

  it('does not change its inputs', () => {
    const before = structuredClone(p1);
    mergeCompute(p1, p3);
    expect(p1).toEqual(before);
  });
});
