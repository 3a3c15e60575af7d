import { describe, expect, it } from 'vitest';
import { DYNAMIC_NOT_REPORTED, EMPTY_COMPUTE, priceRun, priceTasks } from '../../domain/cost/pricing.js';
import type { RunCost, RunStorageUse, RunTask, RunUsage } from '../../domain/cost/types.js';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type {
  CostLedger,
  CostMark,
  LaunchRepository,
  RunDetails,
  RunManifestReader,
  WorkflowEngine,
} from '../../domain/ports.js';
import {
  type CostCollectorDeps,
  collectRunCost,
  MANIFEST_WAIT_MS,
  placeCost,
} from '../../domain/use-cases/cost-collector.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { costRequestOf } from '../../functions/aggregator.js';
import { makeCostCollectorHandler } from '../../functions/cost-collector.js';
import { aLaunch } from '../support/launch-factory.js';
import { aPriceList, TEST_PRICES } from '../support/prices.js';
import { costQueueRecord } from '../support/sqs-records.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const TYPES = ['omics.c.large', 'omics.m.xlarge', 'omics.r.large'];

/** `count` tasks of varied lengths (some under the 60 s minimum) and instance types, one missing a price. */
function tasksOf(count: number): RunTask[] {
  return Array.from({ length: count }, (_, i) => ({
    taskId: `task-${i}`,
    status: 'COMPLETED',
    instanceType: TYPES[i % TYPES.length],
    startTime: new Date(T0 + i * 1_000).toISOString(),
    stopTime: new Date(T0 + i * 1_000 + ((i * 37) % 900) * 1_000).toISOString(),
  }));
}

const USAGE: RunUsage = {
  runId: '4000001',
  workflowId: '1234567',
  workflowType: 'PRIVATE',
  storageType: 'STATIC',
  storageCapacity: 1_200,
  startTime: new Date(T0).toISOString(),
  stopTime: new Date(T0 + 5 * 3_600_000).toISOString(),
};

/** A HealthOmics run with `tasks`, paged as ListRunTasks pages them; each call advances the clock. */
function engineWith(tasks: RunTask[], clock: { ms: number }, known = true, usage: RunUsage = USAGE) {
  const calls: Array<{ op: string; token?: string }> = [];
  const run: RunDetails = {
    runId: USAGE.runId,
    runUuid: 'a1b2c3d4-0000-4000-8000-000000000001',
    status: 'COMPLETED',
    tags: { 'gwm:launch-id': 'B1/S1', 'gwm:attempt': '1' },
    usage,
  };
  const engine: Pick<WorkflowEngine, 'getRun' | 'listRunTasks'> = {
    async getRun() {
      calls.push({ op: 'GetRun' });
      clock.ms += 1_000;
      return known ? run : undefined;
    },
    async listRunTasks(_runId, page) {
      calls.push({ op: 'ListRunTasks', token: page.startingToken });
      clock.ms += 1_000;
      const start = Number(page.startingToken ?? 0);
      const end = start + (page.maxResults ?? 100);
      return { tasks: tasks.slice(start, end), ...(end < tasks.length ? { nextToken: String(end) } : {}) };
    },
  };
  return { engine: engine as WorkflowEngine, calls };
}

/** The marks and batch totals, kept with the same conditions as the table's transaction. */
function memoryLedger() {
  const marks = new Map<string, CostMark>();
  const batch = { totalUsd: 0, runsPriced: 0 };
  /** Settles to lose as a transaction loses to another write of the batch item (the mark unchanged). */
  const contention = { settlesToLose: 0 };
  const keyOf = (mark: { launchId: string; attempt: number }) => `${mark.launchId}#${mark.attempt}`;
  const matches = (expected: CostMark | undefined, stored: CostMark | undefined) =>
    expected ? stored?.revision === expected.revision && stored.state !== 'PRICED' : stored === undefined;
  const ledger: CostLedger = {
    async get(_batchId, launchId, attempt) {
      const mark = marks.get(keyOf({ launchId, attempt }));
      return mark && structuredClone(mark);
    },
    async saveProgress(expected, next) {
      if (!matches(expected, marks.get(keyOf(next)))) return 'conflict';
      marks.set(keyOf(next), structuredClone(next));
      return 'written';
    },
    async settle(expected, next) {
      if (!matches(expected, marks.get(keyOf(next)))) return 'conflict';
      if (contention.settlesToLose > 0) {
        contention.settlesToLose--;
        return 'conflict';
      }
      marks.set(keyOf(next), structuredClone(next));
      batch.totalUsd += next.cost.totalUsd;
      batch.runsPriced += 1;
      return 'written';
    },
  };
  return { ledger, marks, batch, contention };
}

function memoryLaunches(
  launch: Launch,
): Pick<LaunchRepository, 'get' | 'replace'> & { current: () => Launch } {
  let stored = structuredClone(launch);
  return {
    current: () => stored,
    async get() {
      return structuredClone(stored);
    },
    async replace(expected, next) {
      if (expected.revision !== stored.revision) return 'conflict';
      stored = structuredClone(next);
      return 'written';
    },
  };
}

function setup(
  tasks: RunTask[],
  options: {
    known?: boolean;
    launch?: Partial<Launch>;
    usage?: RunUsage;
    /** What the run's manifest reports (absent: no manifest). */
    storageUse?: RunStorageUse;
    /** When "now" is, after the run's stop (default 5 h). */
    afterStopMs?: number;
  } = {},
) {
  const usage = options.usage ?? USAGE;
  const clock = { ms: Date.parse(usage.stopTime ?? '') + (options.afterStopMs ?? 5 * 3_600_000) };
  const { engine, calls } = engineWith(tasks, clock, options.known ?? true, usage);
  const manifestReads: Array<{ runId: string; runUuid?: string }> = [];
  const manifests: RunManifestReader = {
    async storageUse(runId, runUuid) {
      manifestReads.push({ runId, runUuid });
      return options.storageUse;
    },
  };
  const memory = memoryLedger();
  const launches = memoryLaunches(
    aLaunch({ batchId: 'B1', launchId: 'B1/S1', status: 'COMPLETED', runId: USAGE.runId, ...options.launch }),
  );
  let tokens = 0;
  const deps: CostCollectorDeps = {
    launches,
    engine,
    manifests,
    ledger: memory.ledger,
    engineReads: { acquire: async () => void tokens++ },
    prices: TEST_PRICES,
    region: 'us-east-1',
    now: () => new Date(clock.ms),
  };
  return { deps, clock, calls, memory, launches, manifestReads, tokens: () => tokens };
}

const REQUEST = { batchId: 'B1', launchId: 'B1/S1', attempt: 1, runId: USAGE.runId };
const FAR = new Date(T0 + 365 * 24 * 3_600_000);

/** What the run costs, priced in one go from every task. */
function wholeRunCost(tasks: RunTask[], pricedAt: string): RunCost {
  const compute = priceTasks(tasks, 'us-east-1', TEST_PRICES);
  return priceRun({ usage: USAGE, compute, region: 'us-east-1', attempt: 1, pricedAt }, TEST_PRICES);
}

describe('collecting a run cost', () => {
  it('reads every page of a run with 1,250 tasks, each call paced, and prices it as the whole run', async () => {
    // Prepare
    const tasks = tasksOf(1_250);
    const { deps, calls, memory, launches, tokens } = setup(tasks);
    // Act
    const result = await collectRunCost(deps, REQUEST, FAR);
    // Assess
    expect(result.kind).toBe('priced');
    const cost = (result as { cost: RunCost }).cost;
    const expected = wholeRunCost(tasks, cost.pricedAt);
    expect(cost.totalUsd).toBeCloseTo(expected.totalUsd, 9);
    expect(cost.computeUsd).toBeCloseTo(expected.computeUsd, 9);
    expect(cost).toMatchObject({ taskCount: 1_250, estimated: true, missingPrices: ['omics.r.large'] });
    expect(calls.filter((call) => call.op === 'ListRunTasks')).toHaveLength(13);
    expect(tokens()).toBe(calls.length);
    expect(memory.batch.totalUsd).toBeCloseTo(expected.totalUsd, 9);
    expect(launches.current().cost?.totalUsd).toBeCloseTo(expected.totalUsd, 9);
  });

  it('stops at its deadline with its progress stored and resumes to the same total, reading no page twice', async () => {
    // Prepare: each engine call takes 1 s; each invocation may work 4 s
    const tasks = tasksOf(1_250);
    const { deps, clock, calls, memory, launches } = setup(tasks);
    // Act
    const results: string[] = [];
    for (let invocation = 0; invocation < 20; invocation++) {
      const result = await collectRunCost(deps, REQUEST, new Date(clock.ms + 4_000));
      results.push(result.kind);
      if (result.kind !== 'paused') break;
    }
    // Assess
    expect(results.filter((kind) => kind === 'paused').length).toBeGreaterThanOrEqual(3);
    expect(results.at(-1)).toBe('priced');
    const tokens = calls.filter((call) => call.op === 'ListRunTasks').map((call) => call.token ?? '0');
    expect(new Set(tokens).size).toBe(13);
    expect(tokens).toHaveLength(13);
    const stored = launches.current().cost;
    const expected = wholeRunCost(tasks, stored?.pricedAt ?? '');
    expect(stored?.totalUsd).toBeCloseTo(expected.totalUsd, 9);
    expect(stored?.instanceHours).toEqual(
      Object.fromEntries(
        Object.entries(expected.instanceHours).map(([type, hours]) => [type, expect.closeTo(hours, 9)]),
      ),
    );
    expect(memory.batch).toEqual({ totalUsd: expect.closeTo(expected.totalUsd, 9), runsPriced: 1 });
  });

  it('adds nothing when the same request comes again after it was priced', async () => {
    // Prepare
    const tasks = tasksOf(30);
    const { deps, memory, calls } = setup(tasks);
    const first = await collectRunCost(deps, REQUEST, FAR);
    const callsBefore = calls.length;
    // Act
    const again = await collectRunCost(deps, REQUEST, FAR);
    // Assess
    expect(again).toMatchObject({ kind: 'priced', already: true, storedOn: 'launch' });
    expect(memory.batch.runsPriced).toBe(1);
    expect(memory.batch.totalUsd).toBeCloseTo((first as { cost: RunCost }).cost.totalUsd, 12);
    expect(calls.length).toBe(callsBefore);
  });

  it('settles again without reading the tasks again when the batch item was busy', async () => {
    // Prepare
    const tasks = tasksOf(450);
    const { deps, memory, calls } = setup(tasks);
    memory.contention.settlesToLose = 2;
    // Act
    const result = await collectRunCost(deps, REQUEST, FAR);
    // Assess
    expect(result).toMatchObject({ kind: 'priced', already: false });
    expect(calls.filter((call) => call.op === 'ListRunTasks')).toHaveLength(5);
    expect(memory.batch.runsPriced).toBe(1);
  });

  it('prices nothing for a run the engine no longer knows, nor for an attempt without a run', async () => {
    // Prepare
    const { deps, memory } = setup(tasksOf(5), { known: false });
    // Act
    const removed = await collectRunCost(deps, REQUEST, FAR);
    const noRun = await collectRunCost(deps, { ...REQUEST, runId: undefined }, FAR);
    // Assess
    expect(removed).toMatchObject({ kind: 'not-priced', reason: expect.stringMatching(/no longer known/) });
    expect(noRun).toMatchObject({ kind: 'not-priced', reason: 'the attempt never had a run' });
    expect(memory.batch).toEqual({ totalUsd: 0, runsPriced: 0 });
  });

  it('puts an earlier attempt cost on that attempt once a retry has started', async () => {
    // Prepare: the launch is on attempt 2 when attempt 1 is priced
    const tasks = tasksOf(10);
    const { deps, launches } = setup(tasks, {
      launch: {
        attempt: 2,
        status: 'RUNNING',
        runId: '4000002',
        attempts: [{ attempt: 1, status: 'FAILED', runId: USAGE.runId }],
      },
    });
    // Act
    const result = await collectRunCost(deps, REQUEST, FAR);
    // Assess
    expect(result).toMatchObject({ kind: 'priced', storedOn: 'attempt' });
    expect(launches.current().cost).toBeUndefined();
    expect(launches.current().attempts[0]?.cost?.attempt).toBe(1);
    expect(launches.current().status).toBe('RUNNING');
  });
});

describe('collecting the cost of a run on dynamic storage', () => {
  const DYNAMIC_USAGE: RunUsage = { ...USAGE, storageType: 'DYNAMIC', storageCapacity: undefined };
  const WITH_DYNAMIC = aPriceList({ instances: { 'omics.c.large': 0.1 } });

  it('reads the run manifest by run id and UUID and prices the average storage used', async () => {
    // Prepare: 5 h RUNNING at 120 GiB on average: 600 GB-hours x $0.0004 = $0.24
    const { deps, manifestReads, memory, launches } = setup([], {
      usage: DYNAMIC_USAGE,
      storageUse: { averageGiB: 120, maximumGiB: 400 },
    });
    // Act
    const result = await collectRunCost({ ...deps, prices: WITH_DYNAMIC }, REQUEST, FAR);
    // Assess
    expect(result).toMatchObject({ kind: 'priced', cost: { storageUsd: 0.24, totalUsd: 0.24 } });
    expect((result as { cost: RunCost }).cost.estimated).toBeUndefined();
    expect(manifestReads).toEqual([{ runId: USAGE.runId, runUuid: 'a1b2c3d4-0000-4000-8000-000000000001' }]);
    expect(memory.batch.totalUsd).toBeCloseTo(0.24, 9);
    expect(launches.current().cost?.storageUsd).toBe(0.24);
  });

  it('waits for a manifest not written yet, then prices without it once the run stopped long ago', async () => {
    // Prepare: the run stopped a minute ago and has no manifest
    const soon = setup([], { usage: DYNAMIC_USAGE, afterStopMs: 60_000 });
    // Act, Assess: the request fails (the queue sends it again later); nothing is counted
    await expect(collectRunCost({ ...soon.deps, prices: WITH_DYNAMIC }, REQUEST, FAR)).rejects.toThrow(
      /no run manifest yet/,
    );
    expect(soon.memory.batch).toEqual({ totalUsd: 0, runsPriced: 0 });
    expect(soon.launches.current().cost).toBeUndefined();

    // Prepare: the same run, priced after the wait
    const late = setup([], { usage: DYNAMIC_USAGE, afterStopMs: MANIFEST_WAIT_MS + 1_000 });
    // Act
    const result = await collectRunCost({ ...late.deps, prices: WITH_DYNAMIC }, REQUEST, FAR);
    // Assess: priced, with the storage left out and named
    expect(result).toMatchObject({
      kind: 'priced',
      cost: { storageUsd: 0, estimated: true, missingPrices: [DYNAMIC_NOT_REPORTED] },
    });
    expect(late.memory.batch.runsPriced).toBe(1);
  });

  it('does not read a manifest for a run on static storage', async () => {
    const { deps, manifestReads } = setup(tasksOf(3));
    await collectRunCost(deps, REQUEST, FAR);
    expect(manifestReads).toEqual([]);
  });
});

describe('where an attempt cost goes', () => {
  const cost = (attempt: number): RunCost => ({
    ...priceRun(
      { usage: USAGE, compute: EMPTY_COMPUTE, region: 'us-east-1', attempt, pricedAt: 'x' },
      TEST_PRICES,
    ),
  });

  it('changes nothing when the attempt already has its cost, and has no place for an attempt it no longer keeps', () => {
    const launch = aLaunch({
      attempt: 3,
      cost: cost(3),
      attempts: [{ attempt: 2, status: 'FAILED', cost: cost(2) }],
    });
    expect(placeCost(launch, cost(3))).toEqual({ storedOn: 'launch' });
    expect(placeCost(launch, cost(2))).toEqual({ storedOn: 'attempt' });
    expect(placeCost(launch, cost(1))).toBeUndefined();
  });
});

describe('the cost collector handler', () => {
  const record = costQueueRecord;

  it('fails a message that is not a cost request alone, prices the one beside it, and reports both', async () => {
    // Prepare
    const { deps, memory } = setup(tasksOf(12));
    const telemetry = makeMemoryTelemetry();
    const handler = makeCostCollectorHandler({ collector: deps, queue: { send: async () => {} }, telemetry });
    // Act
    const result = await handler({
      Records: [record('{"batchId":"B1"}', 'bad'), record(JSON.stringify(REQUEST), 'good')],
    } as never);
    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(memory.batch.runsPriced).toBe(1);
    expect(telemetry.get(METRICS.costCollectionErrors)).toBe(1);
    expect(telemetry.get(METRICS.runsPriced)).toBe(1);
    expect(telemetry.measures).toEqual([
      { name: METRICS.runCostUsd, value: memory.batch.totalUsd, dimensions: { workflow: '1234567' } },
    ]);
  });
});

describe('the cost request a terminal stream record makes', () => {
  const ref = (image: Record<string, unknown>) => ({ batchId: 'B1', launchId: 'B1/S1', image });

  it('names the attempt and run of the image, whatever the item is now', () => {
    expect(costRequestOf(ref({ status: 'FAILED', attempt: 1, runId: '4000001' }))).toEqual(REQUEST);
    expect(costRequestOf(ref({ status: 'LAUNCH_FAILED', attempt: 2 }))).toEqual({
      batchId: 'B1',
      launchId: 'B1/S1',
      attempt: 2,
      runId: undefined,
    });
  });

  it('makes none for a launch still on its way, a typed status gwm does not know, or an attempt already priced', () => {
    expect(costRequestOf(ref({ status: 'SUBMITTING', attempt: 2 }))).toBeUndefined();
    expect(costRequestOf(ref({ status: 'BOGUS', attempt: 1, runId: '4000001' }))).toBeUndefined();
    expect(
      costRequestOf(ref({ status: 'COMPLETED', attempt: 1, runId: '4000001', pricedAttempt: 1 })),
    ).toBeUndefined();
  });
});
