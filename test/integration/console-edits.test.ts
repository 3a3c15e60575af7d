import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { WorkflowEngine } from '../../domain/ports.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

function manifest(count: number, name: string) {
  return nativeManifest({ name, folder: 'edits', sampleIds: sampleIds(count) });
}

/** Registers a batch; with `launch`, the launcher starts its runs. Launches sorted by sample. */
async function batchOf(app: TestApp, count: number, options: { launch?: boolean; name?: string } = {}) {
  const name = options.name ?? 'FC-EDITS';
  app.upload('lab-manifests', `fc/${name}.json`, manifest(count, name));
  await app.onManifest(s3Put('lab-manifests', `fc/${name}.json`));
  if (options.launch !== false) await app.pump();
  const [batch] = (await app.batches.listRecent({})).items;
  if (!batch) throw new Error('no batch');
  const launches = (await app.launches.listByBatch(batch.batchId, { limit: 1000 })).items;
  return {
    batchId: batch.batchId,
    launches: launches.sort((a, b) => a.sampleId.localeCompare(b.sampleId, 'en', { numeric: true })),
  };
}

async function stored(app: TestApp, launch: Launch): Promise<Launch> {
  const found = await app.launches.get(launch.batchId, launch.launchId);
  if (!found) throw new Error(`no launch ${launch.launchId}`);
  return found;
}

async function toStatus(
  app: TestApp,
  launch: Launch,
  ...statuses: Array<'PENDING' | 'STARTING' | 'RUNNING'>
) {
  for (const status of statuses) await app.onRunStatus(app.omics.transition(launch.runId ?? '', status));
}

describe('console edits gwm does not accept', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('puts BOGUS back with a note, and the launch goes on with its run', async () => {
    // Prepare
    app = await makeTestApp();
    const { launches } = await batchOf(app, 1);
    const [launch] = launches;
    if (!launch) throw new Error('no launch');
    await toStatus(app, launch, 'PENDING', 'STARTING', 'RUNNING');
    // Act: a person types a status that does not exist
    await consoleSetStatus(app, launch, 'BOGUS');
    await app.pump();
    // Assess
    const after = await stored(app, launch);
    expect(after).toMatchObject({ status: 'RUNNING', runId: launch.runId, attempt: 1 });
    expect(after.typedStatus).toBeUndefined();
    expect(after.note).toMatch(/"BOGUS" refused .*RUNNING.*RETRY.*CANCEL/);
    expect(app.telemetry.get(METRICS.editsRefused)).toBe(1);
    // The status index has it under RUNNING (keys recomputed by the put-back)
    const running = await app.launches.listByStatus('RUNNING', {});
    expect(running.items.map((item) => item.launchId)).toEqual([launch.launchId]);
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'COMPLETED'));
    expect((await stored(app, launch)).status).toBe('COMPLETED');
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('does not count COMPLETED typed on a RUNNING launch, puts it back, and counts the real COMPLETED once', async () => {
    // Prepare: a batch of two; S2 ends for real so the batch can only finish on S1's real outcome
    app = await makeTestApp();
    const { batchId, launches } = await batchOf(app, 2);
    const [s1, s2] = launches;
    if (!s1 || !s2) throw new Error('no launches');
    await toStatus(app, s1, 'PENDING', 'STARTING', 'RUNNING');
    await app.onRunStatus(app.omics.transition(s2.runId ?? '', 'COMPLETED'));
    await app.pump();
    // Act: a person "marks it done"
    await consoleSetStatus(app, s1, 'COMPLETED');
    await app.pump();
    // Assess: not counted, put back, the batch still waits for S1
    const putBack = await stored(app, s1);
    expect(putBack.status).toBe('RUNNING');
    expect(putBack.note).toMatch(/"COMPLETED" refused .*RUNNING/);
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'ACTIVE',
      counts: { succeeded: 1, failed: 0 },
    });
    expect(app.notices).toHaveLength(0);
    // The run's real COMPLETED lands and is counted once, even with its records redelivered
    await app.onRunStatus(app.omics.transition(s1.runId ?? '', 'COMPLETED'));
    await app.pump({ times: 2 });
    await app.replayAllToCompletion();
    expect((await stored(app, s1)).status).toBe('COMPLETED');
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED',
      counts: { succeeded: 2, failed: 0, cancelled: 0 },
    });
    expect(app.notices.filter((notice) => notice.kind === 'batch-completed')).toHaveLength(1);
  });

  it('retries a failed launch when RETRY is typed with spaces around it', async () => {
    app = await makeTestApp();
    const { launches } = await batchOf(app, 1);
    const [launch] = launches;
    if (!launch) throw new Error('no launch');
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'FAILED', { failureReason: 'OOM' }));
    await app.pump();
    // Act
    await consoleSetStatus(app, launch, ' RETRY ');
    await app.pump();
    // Assess
    expect(await stored(app, launch)).toMatchObject({ status: 'SUBMITTED', attempt: 2 });
    expect(app.omics.startRunCalls.map((call) => call.requestId)).toEqual([
      `${launch.launchId}/1`,
      `${launch.launchId}/2`,
    ]);
  });
});

describe('cancel', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('cancels the run of a RUNNING launch, which ends CANCELLED through the engine event and is counted', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await batchOf(app, 2);
    const [s1, s2] = launches;
    if (!s1 || !s2) throw new Error('no launches');
    await toStatus(app, s1, 'PENDING', 'STARTING', 'RUNNING');
    // Act
    await consoleSetStatus(app, s1, 'cancel');
    await app.pump({ times: 2 });
    // Assess: CancelRun sent, the launch keeps its status until the engine says it stopped
    expect(app.omics.cancelRunCalls).toContain(s1.runId);
    const asked = await stored(app, s1);
    expect(asked.status).toBe('RUNNING');
    expect(asked.note).toMatch(/CancelRun sent for run/);
    await app.onRunStatus(app.omics.transition(s1.runId ?? '', 'STOPPING'));
    await app.onRunStatus(app.omics.transition(s1.runId ?? '', 'CANCELLED'));
    await app.onRunStatus(app.omics.transition(s2.runId ?? '', 'COMPLETED'));
    await app.pump({ times: 2 });
    expect((await stored(app, s1)).status).toBe('CANCELLED');
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      counts: { succeeded: 1, cancelled: 1, failed: 0 },
    });
    expect(app.telemetry.get(METRICS.cancelsApplied)).toBeGreaterThanOrEqual(1);
  });

  it('ends a QUEUED launch CANCELLED without StartRun, counted as cancelled', async () => {
    // Prepare: registered and released, not launched yet
    app = await makeTestApp();
    const { batchId, launches } = await batchOf(app, 2, { launch: false });
    const [s1] = launches;
    if (!s1) throw new Error('no launch');
    expect(s1.status).toBe('QUEUED');
    // Act
    await consoleSetStatus(app, s1, 'CANCEL');
    await app.pump();
    // Assess
    const after = await stored(app, s1);
    expect(after).toMatchObject({ status: 'CANCELLED', attempt: 1 });
    expect(after.runId).toBeUndefined();
    expect(after.failureReason).toMatch(/before a run was started/);
    expect(app.omics.startRunCalls.map((call) => call.requestId)).not.toContain(`${s1.launchId}/1`);
    expect(app.omics.startRunCalls).toHaveLength(1);
    expect((await app.batches.get(batchId))?.counts).toMatchObject({ cancelled: 1 });
  });

  it('cancels a launch whose StartRun was in flight as soon as its run id is recorded', async () => {
    // Prepare: the cancel is typed while StartRun is on its way
    app = await makeTestApp();
    const appRef = app;
    const engine: WorkflowEngine = app.launcher.engine;
    let edit: (() => Promise<void>) | undefined;
    app.launcher.engine = {
      ...engine,
      async startRun(request) {
        await edit?.();
        edit = undefined;
        return engine.startRun(request);
      },
    };
    const { launches } = await batchOf(appRef, 1, { launch: false });
    const [launch] = launches;
    if (!launch) throw new Error('no launch');
    edit = () => consoleSetStatus(appRef, launch, ' Cancel');
    // Act
    await app.pump();
    // Assess: one run, cancelled once its id was known
    expect(app.omics.startRunCalls).toHaveLength(1);
    const after = await stored(app, launch);
    expect(after.runId).toBeDefined();
    expect(app.omics.cancelRunCalls).toContain(after.runId);
    expect(after.cancelRequestedAt).toBeUndefined();
    await app.onRunStatus(app.omics.transition(after.runId ?? '', 'CANCELLED'));
    expect((await stored(app, launch)).status).toBe('CANCELLED');
  });

  it('refuses CANCEL on a finished launch with a note and changes nothing else', async () => {
    app = await makeTestApp();
    const { launches } = await batchOf(app, 1);
    const [launch] = launches;
    if (!launch) throw new Error('no launch');
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'COMPLETED'));
    await app.pump();
    await consoleSetStatus(app, launch, 'CANCEL');
    await app.pump();
    const after = await stored(app, launch);
    expect(after.status).toBe('COMPLETED');
    expect(after.note).toMatch(/CANCEL refused .*COMPLETED/);
    expect(app.omics.cancelRunCalls).toHaveLength(0);
    expect(app.telemetry.get(METRICS.cancelsRefused)).toBe(1);
  });
});
