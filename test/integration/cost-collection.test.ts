import type { TaskListItem } from '@aws-sdk/client-omics';
import { afterEach, describe, expect, it } from 'vitest';
import { DYNAMIC_AT_MAXIMUM, roundUsd } from '../../domain/cost/pricing.js';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { CostRequest } from '../../domain/ports.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { makeCostCollectorHandler } from '../../functions/cost-collector.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { costQueueRecord } from '../support/sqs-records.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

/** Sample n (0-based) ran n+1 tasks of 30 min on omics.c.large and one of 20 s on omics.m.xlarge, for 1 h. */
function usageFor(n: number) {
  const tasks: TaskListItem[] = Array.from({ length: n + 1 }, (_, i) => ({
    taskId: `t${n}-${i}`,
    status: 'COMPLETED',
    instanceType: 'omics.c.large',
    startTime: new Date(T0),
    stopTime: new Date(T0 + HOUR / 2),
  }));
  tasks.push({
    taskId: `t${n}-short`,
    status: 'COMPLETED',
    instanceType: 'omics.m.xlarge',
    startTime: new Date(T0),
    stopTime: new Date(T0 + 20_000),
  });
  return { tasks, startTime: new Date(T0), stopTime: new Date(T0 + HOUR) };
}

/**
 * The test price list: c.large $0.10/h, m.xlarge $0.40/h (60 s minimum), STATIC storage
 * $0.0002/GB-h on 1,200 GiB for 1 h.
 */
function expectedUsd(n: number): number {
  // Stored amounts are rounded to the millionth of a dollar (domain/cost/pricing.ts): compute and
  // storage each, then their sum; the batch adds the stored amounts.
  const compute = roundUsd((n + 1) * 0.1 * 0.5 + 0.4 / 60);
  const storage = roundUsd(1_200 * 0.0002);
  return roundUsd(compute + storage);
}

/** The native manifest with STATIC run storage (1,200 GiB by default), so storage is priced. */
function staticManifest(shape: Parameters<typeof nativeManifest>[0]) {
  const manifest = nativeManifest(shape);
  return { ...manifest, defaults: { ...manifest.defaults, storageType: 'STATIC' } };
}

async function register(app: TestApp, key: string, body: unknown) {
  app.upload('lab-manifests', key, body);
  await app.onManifest(s3Put('lab-manifests', key));
  await app.pump();
  const batch = (await app.batches.listRecent({})).items.find((b) => b.sourceUri.endsWith(key));
  if (!batch) throw new Error(`no batch for ${key}`);
  const launches = (await app.launches.listByBatch(batch.batchId, { limit: 1000 })).items;
  return { batchId: batch.batchId, launches: launches.sort((a, b) => a.sampleId.localeCompare(b.sampleId)) };
}

async function finish(app: TestApp, launch: Launch, status: 'COMPLETED' | 'FAILED') {
  const runId = launch.runId ?? '';
  for (const step of ['STARTING', 'RUNNING', 'STOPPING', status] as const) {
    await app.onRunStatus(app.omics.transition(runId, step));
  }
}

async function launchOf(app: TestApp, launch: Launch): Promise<Launch> {
  const stored = await app.launches.get(launch.batchId, launch.launchId);
  if (!stored) throw new Error(`no launch ${launch.launchId}`);
  return stored;
}

function shuffled(seed: number) {
  let state = seed;
  return <T>(items: T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      state = (state * 16807) % 2147483647;
      const j = state % (i + 1);
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  };
}

describe('cost collection', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('stores each finished run cost on its launch and their exact sum on the batch, QC included', async () => {
    // Prepare: 4 samples and a QC run, each with its own tasks
    app = await makeTestApp();
    const qc = { workflow: { id: '7777777' }, outputUri: 's3://lab-results/cost/qc/', storageType: 'STATIC' };
    const { batchId, launches } = await register(
      app,
      'fc/cost.json',
      staticManifest({ name: 'FC-COST', folder: 'cost', sampleIds: sampleIds(4), qc }),
    );
    for (const [n, launch] of launches.entries()) app.omics.setUsage(launch.runId ?? '', usageFor(n));
    // Act: the samples finish, QC starts and finishes; the cost queue is drained after each
    for (const launch of launches) await finish(app, launch, 'COMPLETED');
    await app.pump();
    expect(await app.collectCosts()).toEqual([]);
    const qcLaunch = (await app.launches.listByBatch(batchId)).items.find((launch) => launch.kind === 'QC');
    if (!qcLaunch?.runId) throw new Error('QC was not started');
    app.omics.setUsage(qcLaunch.runId, usageFor(9));
    await finish(app, qcLaunch, 'COMPLETED');
    await app.pump();
    expect(await app.collectCosts()).toEqual([]);
    // Assess
    for (const [n, launch] of launches.entries()) {
      const cost = (await launchOf(app, launch)).cost;
      expect(cost?.totalUsd).toBeCloseTo(expectedUsd(n), 10);
      expect(cost).toMatchObject({ attempt: 1, taskCount: n + 2, priceList: 'test-2026-12' });
      expect(cost?.storageUsd).toBeCloseTo(0.24, 12);
      expect(cost?.instanceHours['omics.m.xlarge']).toBeCloseTo(1 / 60, 6);
      expect(cost?.estimated).toBeUndefined();
    }
    expect((await launchOf(app, qcLaunch)).cost?.totalUsd).toBeCloseTo(expectedUsd(9), 10);
    const batch = await app.batches.get(batchId);
    const total = [0, 1, 2, 3, 9].reduce((sum, n) => sum + expectedUsd(n), 0);
    expect(batch?.cost?.totalUsd).toBeCloseTo(total, 9);
    expect(batch?.cost?.storageUsd).toBeCloseTo(5 * 0.24, 9);
    expect(batch?.cost).toMatchObject({ runsPriced: 5, runsEstimated: 0 });
    expect(batch?.status).toBe('COMPLETED');
    expect(
      app.telemetry.measures.filter((m) => m.name === METRICS.runCostUsd).map((m) => m.dimensions),
    ).toContainEqual({
      workflow: '7777777',
    });
  });

  it('prices DYNAMIC run storage from each run manifest in CloudWatch Logs, at the maximum where the average is missing', async () => {
    // Prepare: two samples on DYNAMIC storage (the native manifest's default), RUNNING for 1 h
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/dynamic.json',
      nativeManifest({ name: 'FC-DYN', folder: 'dynamic', sampleIds: sampleIds(2) }),
    );
    const [averaged, maximumOnly] = launches;
    if (!averaged?.runId || !maximumOnly?.runId) throw new Error('the runs were not started');
    app.omics.setUsage(averaged.runId, {
      ...usageFor(0),
      storageUse: { storageAverageGiB: 100, storageMaximumGiB: 250 },
    });
    app.omics.setUsage(maximumOnly.runId, { ...usageFor(0), storageUse: { storageMaximumGiB: 50 } });
    // Act
    for (const launch of launches) await finish(app, launch, 'COMPLETED');
    await app.pump();
    expect(await app.collectCosts()).toEqual([]);
    // Assess: 100 GiB x 1 h x $0.0004 = $0.04; 50 GiB (the maximum) x 1 h x $0.0004 = $0.02
    const first = (await launchOf(app, averaged)).cost;
    expect(first?.storageUsd).toBeCloseTo(0.04, 9);
    expect(first?.estimated).toBeUndefined();
    const second = (await launchOf(app, maximumOnly)).cost;
    expect(second?.storageUsd).toBeCloseTo(0.02, 9);
    expect(second).toMatchObject({ estimated: true, missingPrices: [DYNAMIC_AT_MAXIMUM] });
    const batch = await app.batches.get(batchId);
    expect(batch?.cost?.storageUsd).toBeCloseTo(0.06, 9);
    expect(batch?.cost).toMatchObject({ runsPriced: 2, runsEstimated: 1 });
  });

  it('adds nothing more when every cost request is delivered three times, shuffled, and the stream replayed', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/dup.json',
      staticManifest({ name: 'FC-DUP', folder: 'dup', sampleIds: sampleIds(5) }),
    );
    for (const [n, launch] of launches.entries()) app.omics.setUsage(launch.runId ?? '', usageFor(n));
    for (const launch of launches) await finish(app, launch, 'COMPLETED');
    await app.pump({ times: 2 });
    // Act
    expect(await app.collectCosts({ times: 3, order: shuffled(7) })).toEqual([]);
    await app.replayAllToCompletion();
    expect(await app.collectCosts({ times: 2, order: shuffled(11) })).toEqual([]);
    // Assess
    const batch = await app.batches.get(batchId);
    const total = [0, 1, 2, 3, 4].reduce((sum, n) => sum + expectedUsd(n), 0);
    expect(batch?.cost?.totalUsd).toBeCloseTo(total, 9);
    expect(batch?.cost?.runsPriced).toBe(5);
    for (const [n, launch] of launches.entries()) {
      expect((await launchOf(app, launch)).cost?.totalUsd).toBeCloseTo(expectedUsd(n), 10);
    }
    expect(app.telemetry.get(METRICS.runsPriced)).toBe(5);
  });

  it('keeps both attempts of a retried sample, the first priced after the second, and the batch sums them', async () => {
    // Prepare: S1 fails; its cost request waits in the queue while the sample is retried
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/retry.json',
      staticManifest({ name: 'FC-RETRY', folder: 'retry', sampleIds: sampleIds(2) }),
    );
    const [first, second] = launches as [Launch, Launch];
    app.omics.setUsage(first.runId ?? '', usageFor(0));
    app.omics.setUsage(second.runId ?? '', usageFor(1));
    await finish(app, first, 'FAILED');
    await finish(app, second, 'COMPLETED');
    await app.pump();
    const held = app.costQueued();
    expect(held.map((request) => request.attempt)).toEqual([1, 1]);
    await consoleSetStatus(app, first, 'RETRY');
    await app.pump();
    const retried = await launchOf(app, first);
    expect(retried.attempt).toBe(2);
    app.omics.setUsage(retried.runId ?? '', usageFor(3));
    await finish(app, retried, 'COMPLETED');
    await app.pump();
    // Act: attempt 2's request is handled before attempt 1's
    const failed = await app.collectCosts({
      order: (requests) => [...requests].sort((a, b) => b.attempt - a.attempt),
    });
    // Assess
    expect(failed).toEqual([]);
    const stored = await launchOf(app, first);
    expect(stored.cost?.attempt).toBe(2);
    expect(stored.cost?.totalUsd).toBeCloseTo(expectedUsd(3), 10);
    expect(stored.attempts[0]?.cost?.attempt).toBe(1);
    expect(stored.attempts[0]?.cost?.totalUsd).toBeCloseTo(expectedUsd(0), 10);
    const batch = await app.batches.get(batchId);
    expect(batch?.cost?.totalUsd).toBeCloseTo(expectedUsd(0) + expectedUsd(1) + expectedUsd(3), 9);
    expect(batch?.cost?.runsPriced).toBe(3);
  });

  it('prices nothing for a run the engine no longer knows and for a launch that never had a run, and says so', async () => {
    // Prepare: one batch whose second run is removed by retention, one whose workflow the engine refuses
    app = await makeTestApp({ omics: { invalidWorkflows: ['6666666'] } });
    const kept = await register(
      app,
      'fc/kept.json',
      staticManifest({ name: 'FC-KEPT', folder: 'kept', sampleIds: sampleIds(2) }),
    );
    const refused = await register(
      app,
      'fc/refused.json',
      staticManifest({
        name: 'FC-REFUSED',
        folder: 'refused',
        sampleIds: sampleIds(1),
        workflowId: '6666666',
      }),
    );
    const [priced, removed] = kept.launches as [Launch, Launch];
    app.omics.setUsage(priced.runId ?? '', usageFor(0));
    await finish(app, priced, 'COMPLETED');
    await finish(app, removed, 'COMPLETED');
    app.omics.forget(removed.runId ?? '');
    await app.pump();
    // Act
    const queued = app.costQueued();
    const failed = await app.collectCosts();
    // Assess
    expect(failed).toEqual([]);
    expect(queued.find((request) => request.launchId === refused.launches[0]?.launchId)).toMatchObject({
      attempt: 1,
      runId: undefined,
    });
    expect((await launchOf(app, removed)).cost).toBeUndefined();
    expect((await launchOf(app, refused.launches[0] as Launch)).status).toBe('LAUNCH_FAILED');
    expect((await launchOf(app, refused.launches[0] as Launch)).cost).toBeUndefined();
    expect((await app.batches.get(refused.batchId))?.cost).toBeUndefined();
    const batch = await app.batches.get(kept.batchId);
    expect(batch?.cost?.totalUsd).toBeCloseTo(expectedUsd(0), 10);
    expect(batch?.cost?.runsPriced).toBe(1);
    expect(app.telemetry.get(METRICS.runsNotPriced)).toBe(2);
  });

  it('counts and notifies when the cost queue cannot be reached, and sends the request when the record comes again', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/down.json',
      staticManifest({ name: 'FC-DOWN', folder: 'down', sampleIds: sampleIds(2) }),
    );
    for (const [n, launch] of launches.entries()) app.omics.setUsage(launch.runId ?? '', usageFor(n));
    const refusedSends: CostRequest[] = [];
    app.sendCostsWith(async (request) => {
      refusedSends.push(request);
      throw new Error('SQS unavailable');
    });
    // Act: the aggregator's records fail on the send
    for (const launch of launches) await finish(app, launch, 'COMPLETED');
    await expect(app.pump()).rejects.toThrow(/aggregator records failed/);
    // Assess: counted, finished and notified before the send
    const counted = await app.batches.get(batchId);
    expect(counted?.counts.succeeded).toBe(2);
    expect(counted?.status).toBe('COMPLETED');
    expect(app.notices.filter((notice) => notice.kind === 'batch-completed')).toHaveLength(1);
    expect(refusedSends.length).toBeGreaterThan(0);
    expect(app.costQueued()).toEqual([]);
    // Act: the stream delivers the records again once the queue is back
    app.sendCostsWith();
    await app.replayAllToCompletion();
    expect(await app.collectCosts()).toEqual([]);
    // Assess
    const batch = await app.batches.get(batchId);
    expect(batch?.cost?.totalUsd).toBeCloseTo(expectedUsd(0) + expectedUsd(1), 9);
    expect(batch?.counts.succeeded).toBe(2);
    expect(app.notices.filter((notice) => notice.kind === 'batch-completed')).toHaveLength(1);
  });

  it('adds a run once when two collectors handle the same request at the same time', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/race.json',
      staticManifest({ name: 'FC-RACE', folder: 'race', sampleIds: sampleIds(1) }),
    );
    const [launch] = launches as [Launch];
    app.omics.setUsage(launch.runId ?? '', usageFor(250));
    await finish(app, launch, 'COMPLETED');
    await app.pump();
    const [request] = app.costQueued() as [CostRequest];
    // Act
    const results = await Promise.all(
      [1, 2, 3].map((n) => app.costHandler({ Records: [sqsRecord(request, 100 + n)] } as never)),
    );
    // Assess
    expect(results.flatMap((result) => result.batchItemFailures)).toEqual([]);
    const batch = await app.batches.get(batchId);
    expect(batch?.cost?.runsPriced).toBe(1);
    expect(batch?.cost?.totalUsd).toBeCloseTo(expectedUsd(250), 9);
    expect((await launchOf(app, launch)).cost?.totalUsd).toBeCloseTo(expectedUsd(250), 9);
  });

  it('prices a run of 450 tasks over several time-boxed invocations, resuming from the stored progress', async () => {
    // Prepare: the collector's time box ends after one page; a paused request is sent again
    app = await makeTestApp();
    const { batchId, launches } = await register(
      app,
      'fc/long.json',
      staticManifest({ name: 'FC-LONG', folder: 'long', sampleIds: sampleIds(1) }),
    );
    const [launch] = launches as [Launch];
    const usage = usageFor(449);
    app.omics.setUsage(launch.runId ?? '', usage);
    await finish(app, launch, 'COMPLETED');
    await app.pump();
    let queued: CostRequest[] = app.costQueued();
    const resent: CostRequest[] = [];
    const handler = makeCostCollectorHandler({
      collector: app.costCollector,
      queue: { send: async (request) => void resent.push(request) },
      telemetry: makeMemoryTelemetry(),
      timeBoxMs: 1,
    });
    // Act
    let invocations = 0;
    while (queued.length > 0 && invocations < 50) {
      for (const request of queued) {
        invocations++;
        const result = await handler({ Records: [sqsRecord(request, invocations)] } as never);
        expect(result.batchItemFailures).toEqual([]);
      }
      queued = resent.splice(0);
    }
    // Assess: 451 tasks in 5 pages, each page read once
    expect(invocations).toBeGreaterThanOrEqual(3);
    const tokens = app.omics.listRunTasksCalls.map((call) => call.startingToken ?? '0');
    expect(tokens).toEqual(['0', '100', '200', '300', '400']);
    const cost = (await launchOf(app, launch)).cost;
    expect(cost?.taskCount).toBe(451);
    expect(cost?.totalUsd).toBeCloseTo(expectedUsd(449), 9);
    expect((await app.batches.get(batchId))?.cost?.totalUsd).toBeCloseTo(expectedUsd(449), 9);
  });
});

function sqsRecord(request: CostRequest, n: number) {
  return costQueueRecord(JSON.stringify(request), `long-${n}`);
}
