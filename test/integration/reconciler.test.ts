import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { decideLaunch } from '../../domain/launch-transitions.js';
import { METRICS } from '../../domain/metrics.js';
import { buildRunRequest } from '../../domain/run-request.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { movableClock } from '../support/movable-clock.js';
import { makeTestApp, ROLE_ARN, s3Put, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

function manifest(count: number, name: string) {
  return nativeManifest({ name, folder: 'reconcile', sampleIds: sampleIds(count) });
}

async function register(app: TestApp, count: number, name = 'FC-RECONCILE') {
  const key = `fc/${name}.json`;
  app.upload('lab-manifests', key, manifest(count, name));
  await app.onManifest(s3Put('lab-manifests', key));
}

async function launched(app: TestApp, count: number): Promise<Launch[]> {
  await register(app, count);
  await app.pump();
  const [batch] = (await app.batches.listRecent({})).items;
  const items = (await app.launches.listByBatch(batch?.batchId ?? '', { limit: 1000 })).items;
  return items.sort((a, b) => a.sampleId.localeCompare(b.sampleId, 'en', { numeric: true }));
}

async function stored(app: TestApp, launch: Launch): Promise<Launch> {
  const found = await app.launches.get(launch.batchId, launch.launchId);
  if (!found) throw new Error(`no launch ${launch.launchId}`);
  return found;
}

/** Claims the only QUEUED launch as a launcher does, then "crashes" before anything else. */
async function claimedAndAbandoned(app: TestApp, now: Date): Promise<Launch> {
  const [queued] = (await app.launches.listByStatus('QUEUED', {})).items;
  if (!queued) throw new Error('no queued launch');
  const decision = decideLaunch(queued, { now, claimToken: 'crashed-launcher', leaseMs: 60_000 });
  if (decision.kind !== 'claim') throw new Error('no claim');
  expect(await app.launches.replace(queued, decision.next)).toBe('written');
  return decision.next;
}

describe('reconciler', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('completes 5 runs whose final events were lost, leaves the 3 still running alone, and is idempotent', async () => {
    // Prepare: 8 runs reach RUNNING through their events
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const launches = await launched(app, 8);
    for (const launch of launches) {
      for (const status of ['PENDING', 'STARTING', 'RUNNING'] as const) {
        await app.onRunStatus(app.omics.transition(launch.runId ?? '', status));
      }
    }
    // 5 of them finish in the engine, but their events never arrive
    const finished = launches.slice(0, 5);
    const stillRunning = launches.slice(5);
    for (const [i, launch] of finished.entries()) {
      if (i < 2) {
        app.omics.transition(launch.runId ?? '', 'FAILED', {
          failureReason: 'Task fastqc exited with code 1',
          statusMessage: 'One or more tasks failed',
        });
      } else {
        app.omics.transition(launch.runId ?? '', 'COMPLETED');
      }
    }
    const runningBefore = await Promise.all(stillRunning.map((launch) => stored(app, launch)));
    clock.advance(7 * 60 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess
    expect(report).toMatchObject({
      checked: 8,
      repairs: 5,
      requeued: 0,
      unknownRuns: 0,
      resubmitted: 0,
      leftForNextRun: 0,
      byStatus: { RUNNING: 8 },
      errors: [],
    });
    for (const [i, launch] of finished.entries()) {
      const after = await stored(app, launch);
      if (i < 2) {
        expect(after).toMatchObject({
          status: 'FAILED',
          failureReason: 'Task fastqc exited with code 1',
          statusMessage: 'One or more tasks failed',
          logLocation: `/aws/omics/WorkflowLog:run/${launch.runId}`,
        });
        expect(after.logExcerpt).toContain('ERROR truncated gzip input');
      } else {
        expect(after).toMatchObject({
          status: 'COMPLETED',
          runOutputUri: `s3://lab-results/reconcile/${launch.runId}`,
        });
      }
      expect(after.finishedAt).toBeDefined();
      expect(after.statusHistory.at(-1)).toMatchObject({ source: 'reconciler' });
    }
    // The 3 still running are confirmed, not changed: same status and history, only looked at
    for (const before of runningBefore) {
      const after = await stored(app, before);
      expect(after.status).toBe('RUNNING');
      expect(after.statusHistory).toEqual(before.statusHistory);
      expect(after.updatedAt > before.updatedAt).toBe(true);
    }
    expect(app.telemetry.get(METRICS.reconcilerChecked)).toBe(8);
    expect(app.telemetry.get(METRICS.reconcilerRepairs)).toBe(5);

    // Act: the next scheduled runs, before and after the confirmed launches go stale again
    const soon = await app.reconcile();
    clock.advance(7 * 60 * MINUTE);
    const later = await app.reconcile();
    // Assess: nothing needs repair
    expect(soon).toMatchObject({ checked: 0, repairs: 0 });
    expect(later).toMatchObject({ checked: 3, repairs: 0, byStatus: { RUNNING: 3 } });
    expect(app.telemetry.get(METRICS.reconcilerRepairs)).toBe(5);

    // Act: the last 3 finish, their events lost too; the repairs flow on to the completion path
    for (const launch of stillRunning) app.omics.transition(launch.runId ?? '', 'COMPLETED');
    clock.advance(7 * 60 * MINUTE);
    await app.reconcile();
    await app.pump({ times: 2 });
    // Assess: the batch finished on repairs alone, and said so once
    const batch = await app.batches.get(launches[0]?.batchId ?? '');
    expect(batch).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', counts: { succeeded: 6, failed: 2 } });
    expect(app.notices.filter((notice) => notice.kind === 'batch-completed')).toHaveLength(1);
  });

  it('finishes a launch a crash left between StartRun and the write, finding the run by name and tags', async () => {
    // Prepare: the launcher claimed the launch, StartRun made the run, the launcher died before writing it
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await register(app, 1);
    const claimed = await claimedAndAbandoned(app, clock.now());
    const started = await app.launcher.engine.startRun(buildRunRequest(claimed, ROLE_ARN));
    if (!started.ok) throw new Error('start failed');
    // The run moved on, and its events were lost too
    app.omics.transition(started.runId, 'RUNNING');
    clock.advance(15 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess
    expect(await stored(app, claimed)).toMatchObject({
      status: 'RUNNING',
      runId: started.runId,
      runUuid: started.runUuid,
      attempt: 1,
    });
    expect(report).toMatchObject({ checked: 1, repairs: 1, resubmitted: 0, byStatus: { SUBMITTING: 1 } });
    expect(report.changes).toEqual([expect.objectContaining({ action: 'recovered', from: 'SUBMITTING' })]);
    expect(app.omics.runsCreated()).toBe(1);
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('finishes a crashed launch ListRuns cannot find by sending StartRun again with the same requestId', async () => {
    // Prepare: as above, but the run does not carry the launch's run name, so ListRuns finds nothing
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await register(app, 1);
    const claimed = await claimedAndAbandoned(app, clock.now());
    const started = await app.launcher.engine.startRun({
      ...buildRunRequest(claimed, ROLE_ARN),
      name: 'named-otherwise',
    });
    if (!started.ok) throw new Error('start failed');
    clock.advance(15 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess: the engine answered the repeated requestId with the run it had already made
    expect(await stored(app, claimed)).toMatchObject({ status: 'SUBMITTED', runId: started.runId });
    expect(report).toMatchObject({ checked: 1, repairs: 1, resubmitted: 1 });
    expect(app.omics.runsCreated()).toBe(1);
    expect(app.omics.startRunCalls.map((call) => call.requestId)).toEqual([
      claimed.requestId,
      claimed.requestId,
    ]);
  });

  it('leaves a launch whose claim is still live to its launcher', async () => {
    // Prepare: claimed with a lease longer than the SUBMITTING threshold
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await register(app, 1);
    const [queued] = (await app.launches.listByStatus('QUEUED', {})).items;
    if (!queued) throw new Error('no queued launch');
    const decision = decideLaunch(queued, { now: clock.now(), claimToken: 'busy', leaseMs: 60 * MINUTE });
    if (decision.kind !== 'claim') throw new Error('no claim');
    await app.launches.replace(queued, decision.next);
    clock.advance(15 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess
    expect(report).toMatchObject({ checked: 1, repairs: 0 });
    expect(await stored(app, decision.next)).toMatchObject({
      status: 'SUBMITTING',
      revision: decision.next.revision,
    });
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('ends a launch whose run the engine no longer knows in DELETED with a clear reason', async () => {
    // Prepare: the run is RUNNING, then run retention removes it and no event says so
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const [launch] = await launched(app, 1);
    if (!launch?.runId) throw new Error('no run');
    await app.onRunStatus(app.omics.transition(launch.runId, 'RUNNING'));
    app.omics.forget(launch.runId);
    clock.advance(7 * 60 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess
    expect(report).toMatchObject({ checked: 1, repairs: 1, unknownRuns: 1 });
    const after = await stored(app, launch);
    expect(after.status).toBe('DELETED');
    expect(after.failureReason).toBe(
      `Run ${launch.runId} is no longer known to HealthOmics (removed by run retention, or deleted); ` +
        'its last known status was RUNNING.',
    );
    expect(after.finishedAt).toBeDefined();
  });

  it('re-queues QUEUED launches whose stream records were lost, and the launcher then starts each once', async () => {
    // Prepare: the launches were released, but their stream records never reached the launcher
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await register(app, 2);
    await app.readStream();
    clock.advance(181 * MINUTE);
    // Act
    const report = await app.reconcile();
    await app.pump({ times: 2 });
    // Assess
    // Re-queued, not repairs: a launch waiting its turn is not lost (the repairs alarm must not fire)
    expect(report).toMatchObject({ checked: 2, repairs: 0, requeued: 2, byStatus: { QUEUED: 2 } });
    expect(app.telemetry.get(METRICS.reconcilerRepairs)).toBe(0);
    expect(app.telemetry.get(METRICS.reconcilerRequeued)).toBe(2);
    const [batch] = (await app.batches.listRecent({})).items;
    const launches = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    expect(launches.map((launch) => launch.status)).toEqual(['SUBMITTED', 'SUBMITTED']);
    expect(launches.every((launch) => launch.note?.startsWith('Re-queued at'))).toBe(true);
    expect(app.omics.runsCreated()).toBe(2);
    expect(app.omics.startRunCalls).toHaveLength(2);
  });

  it('bounds the launches handled per run and reports how many are left for the next', async () => {
    // Prepare: 5 submitted launches whose PENDING events never arrived
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await launched(app, 5);
    clock.advance(40 * MINUTE);
    // Act
    const first = await app.reconcile({ maxLaunches: 3 });
    const second = await app.reconcile({ maxLaunches: 3 });
    // Assess: the first run repairs 3 and leaves 2, the second takes those 2
    expect(first).toMatchObject({ checked: 3, repairs: 3, leftForNextRun: 2, byStatus: { SUBMITTED: 3 } });
    expect(second).toMatchObject({ checked: 2, repairs: 2, leftForNextRun: 0 });
    const pending = await app.launches.listByStatus('PENDING', {});
    expect(pending.items).toHaveLength(5);
  });

  it('reaches every stale launch in turn when more are running long than one run may check', async () => {
    // Prepare: 5 long runs, all still RUNNING in the engine; one run checks at most 2
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const launches = await launched(app, 5);
    for (const launch of launches) await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'RUNNING'));
    clock.advance(7 * 60 * MINUTE);
    const confirmedIn: string[][] = [];
    // Act: three scheduled runs, a minute apart
    for (let run = 0; run < 3; run++) {
      const from = clock.now().toISOString();
      const report = await app.reconcile({ maxLaunches: 2 });
      const to = clock.now().toISOString();
      const touched = [];
      for (const launch of launches) {
        const { updatedAt } = await stored(app, launch);
        if (updatedAt >= from && updatedAt <= to) touched.push(launch.launchId);
      }
      confirmedIn.push(touched);
      expect(report.checked).toBe(run < 2 ? 2 : 1);
      clock.advance(MINUTE);
    }
    // Assess: each run looked at launches the earlier ones had not, and together they saw all 5
    const all = confirmedIn.flat();
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);
  });

  it('counts the launches waiting from the status index and sends how overdue the oldest is', async () => {
    // Prepare: 20 launches queued, their stream records lost, an hour ago (before the re-queue threshold)
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    await register(app, 20);
    await app.readStream();
    clock.advance(60 * MINUTE);
    // Act
    const report = await app.reconcile();
    // Assess: at 1,000 StartRun a second, 20 launches need 0.02 s, plus the 15-minute margin
    expect(report.waiting).toMatchObject({ complete: true, startable: 20, heldTeams: [] });
    const sent = (name: string) =>
      app.telemetry.measures
        .filter((measure) => measure.name === name)
        .map(({ value, dimensions }) => ({ value, dimensions }));
    expect(sent(METRICS.launchesWaiting)).toEqual([
      { value: 20, dimensions: { status: 'QUEUED' } },
      { value: 0, dimensions: { status: 'THROTTLED' } },
    ]);
    // The clock runs on from the registration: an hour and the seconds the test took.
    const [queuedAge, throttledAge] = sent(METRICS.oldestWaitingAge);
    expect(queuedAge?.dimensions).toEqual({ status: 'QUEUED' });
    expect(queuedAge?.value).toBeGreaterThanOrEqual(3_600);
    expect(queuedAge?.value).toBeLessThan(3_660);
    expect(throttledAge).toEqual({ value: 0, dimensions: { status: 'THROTTLED' } });
    const overdue = app.telemetry.get(METRICS.launchesOverdue);
    expect(overdue).toBeGreaterThanOrEqual(3_600 - 900);
    expect(overdue).toBeLessThan(3_660 - 900);
  });
});
