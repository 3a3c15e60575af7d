import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const currentEvent = fixture('omics-run-status-completed.json');
const legacyEvent = fixture('omics-run-status-failed-legacy.json');
const taskEvent = fixture('omics-task-status-running.json');

function manifest(count: number, name = 'FC-STATUS') {
  return nativeManifest({ name, folder: 'status', sampleIds: sampleIds(count) });
}

/** A fixture event re-pointed at one of our runs: the shape stays the fixture's. */
function eventFor(template: typeof currentEvent, launch: Launch, status: string, time: string) {
  const arn = `arn:aws:omics:us-east-1:123456789012:run/${launch.runId}`;
  const event = structuredClone(template);
  event.id = `${launch.runId}-${status}-${Math.random()}`;
  event.time = time;
  event.resources = [arn];
  event.detail.arn = arn;
  event.detail.status = status;
  if ('runId' in event.detail) {
    event.detail.runId = launch.runId;
    event.detail.uuid = launch.runUuid;
    event.detail.runOutputUri = `s3://lab-results/status/${launch.runId}`;
  }
  return event;
}

function shuffle<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function launched(app: TestApp, count: number, key = 'fc/status.json') {
  app.upload('lab-manifests', key, manifest(count));
  await app.onManifest(s3Put('lab-manifests', key));
  await app.pump();
  const [batch] = (await app.batches.listRecent({})).items;
  return (await app.launches.listByBatch(batch?.batchId ?? '', { limit: 1000 })).items;
}

describe('status tracking', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('ends every launch in its run outcome from shuffled, duplicated fixture events', async () => {
    // Prepare: 6 runs; three complete (current events), three fail (legacy events with only arn and status)
    app = await makeTestApp();
    const launches = await launched(app, 6);
    const events = launches.flatMap((launch, i) => {
      const fails = i % 2 === 1;
      const template = fails ? legacyEvent : currentEvent;
      const statuses = ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', fails ? 'FAILED' : 'COMPLETED'];
      if (fails)
        app.omics.transition(launch.runId ?? '', 'FAILED', {
          failureReason: 'Task fastqc exited with code 1',
        });
      return statuses.map((status, step) => eventFor(template, launch, status, `2026-11-20T12:0${step}:00Z`));
    });
    const deliveries = shuffle([...events, ...events, ...events.slice(0, 10)], 7);
    // Act
    for (const event of deliveries) await app.onRunStatus(event);
    // Assess
    for (const [i, launch] of launches.entries()) {
      const stored = await app.launches.get(launch.batchId, launch.launchId);
      if (i % 2 === 1) {
        expect(stored).toMatchObject({
          status: 'FAILED',
          failureReason: 'Task fastqc exited with code 1',
          logLocation: `/aws/omics/WorkflowLog:run/${launch.runId}`,
          finishedAt: '2026-11-20T12:04:00Z',
        });
        expect(stored?.logExcerpt).toContain('ERROR truncated gzip input');
      } else {
        expect(stored).toMatchObject({
          status: 'COMPLETED',
          runOutputUri: `s3://lab-results/status/${launch.runId}`,
        });
      }
      expect(stored?.statusHistory.map((entry) => entry.status).slice(-1)).toEqual([
        i % 2 ? 'FAILED' : 'COMPLETED',
      ]);
    }
    expect(app.telemetry.get(METRICS.statusApplied)).toBeGreaterThan(0);
    expect(app.telemetry.get(METRICS.statusApplied) + app.telemetry.get(METRICS.statusIgnored)).toBe(
      deliveries.length,
    );
  });

  it('never changes a launch on a Task Status Change, and counts events for runs that are not ours', async () => {
    app = await makeTestApp();
    const [launch] = await launched(app, 1);
    const task = structuredClone(taskEvent);
    task.detail.runId = launch?.runId;
    await app.onRunStatus(task);
    await app.onRunStatus(currentEvent);
    expect((await app.launches.get(launch?.batchId ?? '', launch?.launchId ?? ''))?.status).toBe('SUBMITTED');
    expect(app.telemetry.get(METRICS.eventsNotOurs)).toBe(1);
    expect(app.telemetry.get(METRICS.statusIgnored)).toBe(1);
  });

  it('applies an event that overtakes the write of the run id, finding the launch from the run tags', async () => {
    // Prepare: the launch is claimed and the run created, but the launcher has not written the run id yet
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/early.json', manifest(1));
    await app.onManifest(s3Put('lab-manifests', 'fc/early.json'));
    const [queued] = (await app.launches.listByStatus('QUEUED', {})).items;
    if (!queued) throw new Error('no queued launch');
    const { decideLaunch } = await import('../../domain/launch-transitions.js');
    const decision = decideLaunch(queued, { now: new Date(), claimToken: 't', leaseMs: 60_000 });
    if (decision.kind !== 'claim') throw new Error('no claim');
    await app.launches.replace(queued, decision.next);
    const started = await app.launcher.engine.startRun({
      requestId: decision.next.requestId ?? '',
      name: 'n',
      workflowId: '1234567',
      workflowType: 'PRIVATE',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      outputUri: 's3://lab-results/status/',
      parameters: {},
      storageType: 'DYNAMIC',
      tags: { 'gwm:launch-id': queued.launchId, 'gwm:batch-id': queued.batchId, 'gwm:attempt': '1' },
    });
    if (!started.ok) throw new Error('start failed');
    // Act: an early status costs no engine read; a later one is matched through the run's tags
    const early = await app.onRunStatus(app.omics.transition(started.runId, 'PENDING'));
    const readsAfterEarly = app.omics.getRunCalls();
    const outcome = await app.onRunStatus(app.omics.transition(started.runId, 'RUNNING'));
    // Assess
    expect(early.kind).toBe('not-yet-recorded');
    expect(readsAfterEarly).toBe(0);
    expect(app.omics.getRunCalls()).toBe(1);
    expect(outcome.kind).toBe('applied');
    const stored = await app.launches.get(queued.batchId, queued.launchId);
    expect(stored).toMatchObject({ status: 'RUNNING', runId: started.runId });
  });
});

describe('retry by console edit', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('relaunches a failed sample as attempt 2 after a plain UpdateItem sets RETRY', async () => {
    // Prepare: the run failed
    app = await makeTestApp();
    const [launch] = await launched(app, 1);
    if (!launch) throw new Error('no launch');
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'FAILED', { failureReason: 'OOM' }));
    // Act
    await consoleSetStatus(app, launch, 'RETRY');
    await app.pump({ times: 2 });
    // Assess
    const stored = await app.launches.get(launch.batchId, launch.launchId);
    expect(stored).toMatchObject({ status: 'SUBMITTED', attempt: 2, requestId: `${launch.launchId}/2` });
    expect(stored?.runId).not.toBe(launch.runId);
    expect(stored?.attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'FAILED', runId: launch.runId, failureReason: 'OOM' }),
    ]);
    expect(app.omics.startRunCalls.map((call) => call.requestId)).toEqual([
      `${launch.launchId}/1`,
      `${launch.launchId}/2`,
    ]);
    // The derived keys are right again: the status index finds it as SUBMITTED, not FAILED or RETRY
    const submitted = await app.launches.listByStatus('SUBMITTED', {});
    expect(submitted.items.map((item) => item.launchId)).toContain(launch.launchId);
    expect((await app.launches.listByStatus('FAILED', {})).items).toHaveLength(0);
    // A late event of attempt 1 changes nothing
    const late = await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'FAILED'));
    expect(late.kind).toBe('ignored');
    expect(app.telemetry.get(METRICS.retriesStarted)).toBe(1);
  });

  it('refuses RETRY on a RUNNING launch, leaves a note and launches nothing', async () => {
    app = await makeTestApp();
    const [launch] = await launched(app, 1);
    if (!launch) throw new Error('no launch');
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'RUNNING'));
    // Act: a person types the status in lower case, as people do
    await consoleSetStatus(app, launch, 'retry');
    await app.pump();
    // Assess
    const stored = await app.launches.get(launch.batchId, launch.launchId);
    expect(stored).toMatchObject({ status: 'RUNNING', attempt: 1, runId: launch.runId });
    expect(stored?.note).toMatch(/RETRY refused .*RUNNING/);
    expect(app.omics.startRunCalls).toHaveLength(1);
    expect(app.telemetry.get(METRICS.retriesRefused)).toBe(1);
    // And the run still finishes normally
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'COMPLETED'));
    expect((await app.launches.get(launch.batchId, launch.launchId))?.status).toBe('COMPLETED');
  });
});

describe('StartRun under pressure', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('starts every launch exactly once when half of the StartRun calls are throttled', async () => {
    // Prepare
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    app = await makeTestApp({ omics: { throttleRate: 0.5, random } });
    // Act
    const launches = await launched(app, 40);
    // Assess
    expect(launches).toHaveLength(40);
    expect(launches.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.runsCreated()).toBe(40);
    const accepted = app.omics.startRunCalls.length - app.telemetry.get(METRICS.startRunThrottled);
    expect(accepted).toBe(40);
    expect(app.telemetry.get(METRICS.startRunThrottled)).toBeGreaterThan(10);
    expect(app.telemetry.get(METRICS.runsStarted)).toBe(40);
  });

  it('ends a launch the engine refuses in LAUNCH_FAILED with the engine message', async () => {
    app = await makeTestApp({ omics: { invalidWorkflows: ['1234567'] } });
    const [launch] = await launched(app, 1);
    expect(launch).toMatchObject({
      status: 'LAUNCH_FAILED',
      failureReason: 'ValidationException: Workflow 1234567 is not ACTIVE',
    });
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('paces StartRun to the configured rate across two concurrent launchers', async () => {
    // Prepare: 10 calls/s, no burst
    app = await makeTestApp({ ratePerSecond: 10, burst: 1 });
    app.upload('lab-manifests', 'fc/pace.json', manifest(16));
    await app.onManifest(s3Put('lab-manifests', 'fc/pace.json'));
    const records = (await app.readStream()).filter(
      (record) => record.dynamodb?.NewImage?.status?.S === 'QUEUED',
    );
    const times: number[] = [];
    const original = app.launcher.engine.startRun;
    app.launcher.engine.startRun = async (request) => {
      times.push(Date.now());
      return original(request);
    };
    // Act: two invocations, each with half of the records, at the same time
    await Promise.all([
      app.launcherHandler({ Records: records.slice(0, 8) }),
      app.launcherHandler({ Records: records.slice(8) }),
    ]);
    // Assess: 16 calls at 10/s need at least 1.5 s
    expect(times).toHaveLength(16);
    const span = Math.max(...times) - Math.min(...times);
    expect(span).toBeGreaterThanOrEqual(1_400);
    expect(16 / (span / 1000)).toBeLessThanOrEqual(11);
  });
});
