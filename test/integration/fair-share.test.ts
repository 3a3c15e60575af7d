import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowEngine } from '../../domain/ports.js';
import { RUN_TAGS } from '../../domain/run-request.js';
import type { Team } from '../../domain/teams/team.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import { makeLaunchScheduler } from '../../domain/use-cases/launch-scheduler.js';
import { editBatchItem, setPriorityEdit } from '../../functions/adapters/console-edit.js';
import { makeLaunchQueueStore } from '../../functions/adapters/launch-queue-store.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { makeLauncherHandler } from '../../functions/launcher.js';
import { dispatchStreamRecords } from '../../infra/local/streams/stream-dispatch.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { movableClock } from '../support/movable-clock.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

function team(name: string, extra: Partial<Team> = {}): Team {
  return {
    name,
    readPrefixes: [`s3://lab-inputs/${name}/`],
    writePrefixes: [`s3://lab-results/${name}/`],
    weight: 1,
    ...extra,
  };
}

async function upload(app: TestApp, teamName: string, name: string, count: number, priority?: string) {
  const key = `teams/${teamName}/${name}.json`;
  const manifest = nativeManifest({ name, folder: `${teamName}/${name}`, sampleIds: sampleIds(count) });
  app.upload('lab-manifests', key, {
    ...manifest,
    batch: { ...manifest.batch, ...(priority && { priority }) },
  });
  await app.onManifest(s3Put('lab-manifests', key));
  const batch = (await app.batches.listRecent({})).items.find((item) => item.sourceUri.endsWith(key));
  if (!batch) throw new Error(`no batch for ${key}`);
  return batch;
}

/** Which batch each StartRun was for (a label per batch id), in the order they were made. */
function startOrder(app: TestApp, batches: Record<string, { batchId: string }>): string[] {
  const byId = new Map(Object.entries(batches).map(([label, batch]) => [batch.batchId, label]));
  return app.omics.startRunCalls.map((call) => byId.get(call.tags?.[RUN_TAGS.batchId] ?? '') ?? '?');
}

/** Every launch of the batches started exactly once: one run each, its requestId never sent for another. */
async function expectEachStartedOnce(app: TestApp, batchIds: string[], total: number) {
  const launches = (
    await Promise.all(batchIds.map((id) => app.launches.listByBatch(id, { limit: 200 })))
  ).flatMap((page) => page.items);
  expect(launches).toHaveLength(total);
  // Started: SUBMITTED, or PENDING where the reconciler read the run's status from the engine
  const notStarted = launches.filter(
    (launch) => !['SUBMITTED', 'PENDING'].includes(launch.status) || !launch.runId,
  );
  expect(notStarted.map((launch) => `${launch.launchId} ${launch.status}`)).toEqual([]);
  expect(new Set(launches.map((launch) => launch.runId)).size).toBe(total);
  expect(app.omics.runsCreated()).toBe(total);
}

describe('the launch queue', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('starts an urgent batch first and shares the rate between teams, with two launchers and one crashing mid-start', async () => {
    // Prepare: lab-a's 30 samples, then lab-b's urgent 4, then lab-c's 10, registered before any launcher runs
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    for (const name of ['lab-a', 'lab-b', 'lab-c']) await app.teams.put(team(name));
    const a = await upload(app, 'lab-a', 'FC-A', 30);
    const b = await upload(app, 'lab-b', 'FC-B', 4, 'urgent');
    const c = await upload(app, 'lab-c', 'FC-C', 10);
    const records = await app.readStream();

    // A second launcher process with its own view of the queue; its runtime dies after its third
    // StartRun reached the engine, before the run was recorded (the launch stays SUBMITTING).
    let calls = 0;
    const crashing: WorkflowEngine = {
      ...app.launcher.engine,
      async startRun(request) {
        const result = await app.launcher.engine.startRun(request);
        if (++calls === 3) throw new Error('Runtime exited with error: signal: killed');
        return result;
      },
    };
    const second = makeLauncherHandler({
      launcher: { ...app.launcher, engine: crashing },
      scheduler: makeLaunchScheduler({
        queue: makeLaunchQueueStore(app.entities),
        teams: app.teams,
        now: clock.now,
        refreshMs: 250,
        teamsRefreshMs: 5_000,
        candidatesPerRead: 16,
      }),
      telemetry: makeMemoryTelemetry(),
    });

    // Act: the stream's records shared between the two launchers, both at work at once (the event
    // source delivers what the crash failed again)
    const even = records.filter((_, index) => index % 2 === 0);
    const odd = records.filter((_, index) => index % 2 === 1);
    const results = await Promise.all([
      dispatchStreamRecords(even, (event) => app.launcherHandler(event as never), LAUNCHER_EVENT_SOURCE),
      dispatchStreamRecords(odd, (event) => second(event as never), LAUNCHER_EVENT_SOURCE),
    ]);
    expect(results.flatMap((result) => result.failed)).toEqual([]);
    await app.pump();
    expect(calls).toBeGreaterThanOrEqual(3);
    // The crashed start: its launch still claimed (SUBMITTING), its run made by the engine
    const all = async () =>
      (
        await Promise.all([a, b, c].map((batch) => app.launches.listByBatch(batch.batchId, { limit: 100 })))
      ).flatMap((page) => page.items);
    const stuck = (await all()).filter((launch) => launch.status === 'SUBMITTING');
    expect(stuck).toHaveLength(1);
    expect(app.omics.runsCreated()).toBe(44);
    // The crashed start is found by the reconciler once its claim has run out, and recorded
    clock.advance(15 * MINUTE);
    await app.reconcile();

    // Assess: every launch started exactly once, the crashed one included (its requestId sent twice, one run)
    await expectEachStartedOnce(app, [a.batchId, b.batchId, c.batchId], 44);
    const order = startOrder(app, { A: a, B: b, C: c });
    // lab-b's urgent batch went first, though its records came after lab-a's 30: its 4 among the
    // first launches chosen (a launcher starts up to 8 at once; stride order is B, A, C, B, B, B)
    expect(order.slice(0, 8).filter((label) => label === 'B')).toHaveLength(4);
    // lab-a and lab-c then shared the rate: lab-c's 10 all started within the next ~20 StartRuns,
    // about as many of lab-a's between them. Two launchers rank their own views, so both can serve
    // the same flow's turn at once: the split is even to within about 5 either way (stream order
    // would start all 30 of lab-a's first, lab-c first none).
    const lastC = order.lastIndexOf('C');
    expect(lastC).toBeLessThan(30);
    const aBeforeLastC = order.slice(0, lastC).filter((label) => label === 'A').length;
    expect(aBeforeLastC).toBeGreaterThanOrEqual(4);
    expect(aBeforeLastC).toBeLessThanOrEqual(16);
  });

  it('keeps a team to its maxInFlight without holding other teams back, and starts its next one when a run ends', async () => {
    app = await makeTestApp();
    await app.teams.put(team('lab-a', { maxInFlight: 2 }));
    await app.teams.put(team('lab-c'));
    const a = await upload(app, 'lab-a', 'FC-A', 5);
    const c = await upload(app, 'lab-c', 'FC-C', 3);
    // Act
    await app.pump();
    // Assess: lab-a has 2 runs, lab-c all 3; lab-a's other 3 wait QUEUED
    const statuses = async (batchId: string) =>
      (await app.launches.listByBatch(batchId)).items.map((launch) => launch.status).sort();
    expect(await statuses(a.batchId)).toEqual(['QUEUED', 'QUEUED', 'QUEUED', 'SUBMITTED', 'SUBMITTED']);
    expect(await statuses(c.batchId)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);

    // Act: one of lab-a's runs finishes: the run-status event, then the stream
    const running = (await app.launches.listByBatch(a.batchId)).items.find((launch) => launch.runId);
    if (!running?.runId) throw new Error('no run');
    await app.onRunStatus(app.omics.transition(running.runId, 'COMPLETED'));
    await app.pump();
    // Assess: exactly one more of lab-a's started
    expect(await statuses(a.batchId)).toEqual(['COMPLETED', 'QUEUED', 'QUEUED', 'SUBMITTED', 'SUBMITTED']);
    expect(app.omics.runsCreated()).toBe(6);
  });

  it('starts a waiting batch ahead of an older one once a person raises its priority on the batch item', async () => {
    app = await makeTestApp({ settings: { STARTRUN_RATE_PER_SECOND: '1000' } });
    await app.teams.put(team('lab-a', { maxInFlight: 1 }));
    const older = await upload(app, 'lab-a', 'FC-OLD', 3);
    const newer = await upload(app, 'lab-a', 'FC-NEW', 3);
    await app.pump();
    // One run in flight (the older batch's first); the rest wait
    expect(startOrder(app, { O: older, N: newer })).toEqual(['O']);
    // Act: a person sets priority to urgent on the newer batch, in the console (one attribute)
    await editBatchItem(
      { client: app.table.client, tableName: app.table.tableName, entities: app.entities },
      newer.batchId,
      setPriorityEdit(' URGENT'),
    );
    // Runs end one by one; each frees the team's one slot
    for (let round = 0; round < 5; round++) {
      const inFlight = [older, newer]
        .map((batch) => batch.batchId)
        .map(async (id) =>
          (await app.launches.listByBatch(id)).items.find((launch) => launch.status === 'SUBMITTED'),
        );
      const [running] = (await Promise.all(inFlight)).filter((launch) => launch !== undefined);
      if (!running?.runId) break;
      await new Promise((resolve) => setTimeout(resolve, 300)); // the launcher's view refreshes
      await app.onRunStatus(app.omics.transition(running.runId, 'COMPLETED'));
      await app.pump();
    }
    // Assess: after the older batch's first, the newer (now urgent) batch's three, then the older's rest
    expect(startOrder(app, { O: older, N: newer })).toEqual(['O', 'N', 'N', 'N', 'O', 'O']);
  });

  it('starts an urgent batch while an older batch is still being registered, then every launch of that one once', async () => {
    // Prepare: lab-a's 20 samples registering in chunks of 10, paused after the first (10 QUEUED,
    // batch REGISTERING); lab-b's urgent 3 registered after it
    app = await makeTestApp({ intake: { chunkSize: 10 } });
    await app.teams.put(team('lab-a'));
    await app.teams.put(team('lab-b'));
    const key = 'teams/lab-a/FC-SLOW.json';
    const text = JSON.stringify(
      nativeManifest({ name: 'FC-SLOW', folder: 'lab-a/FC-SLOW', sampleIds: sampleIds(20) }),
    );
    app.upload('lab-manifests', key, text);
    let resume: () => void = () => {};
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let chunks = 0;
    const pausing = {
      ...app.launches,
      async putMany(items: Parameters<typeof app.launches.putMany>[0], options?: { fresh?: boolean }) {
        if (++chunks === 2) await resumed;
        return app.launches.putMany(items, options);
      },
    };
    const registering = registerManifest(
      { ...app.intake, launches: pausing, owner: 'intake' },
      { bucket: 'lab-manifests', key, sizeBytes: text.length, text },
    );
    while (chunks < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    const b = await upload(app, 'lab-b', 'FC-URGENT', 3, 'urgent');

    // Act 1: the launcher gets lab-a's ten records first, then lab-b's three
    const first = await dispatchStreamRecords(
      await app.readStream(),
      (event) => app.launcherHandler(event as never),
      LAUNCHER_EVENT_SOURCE,
    );
    // Assess 1: lab-b's launches started, none of lab-a's (its batch is not registered yet)
    const a = (await app.batches.listRecent({})).items.find((batch) => batch.sourceUri.endsWith(key));
    if (!a) throw new Error('no batch');
    expect(a.status).toBe('REGISTERING');
    expect(startOrder(app, { A: a, B: b })).toEqual(['B', 'B', 'B']);
    // The wake-ups that found lab-a unregistered were kept (handed back to the event source)
    expect(first.failed.length).toBeGreaterThan(0);

    // Act 2: lab-a's registration finishes; the kept records come again, with the new ones
    resume();
    expect(await registering).toMatchObject({ kind: 'registered' });
    await dispatchStreamRecords(
      first.failed,
      (event) => app.launcherHandler(event as never),
      LAUNCHER_EVENT_SOURCE,
    );
    await app.pump();
    // Assess 2: every launch started, once
    await expectEachStartedOnce(app, [a.batchId, b.batchId], 23);
  });
  it('starts a launch deferred by throttling, from the wake-up of the last launch started in its place', async () => {
    // Prepare: one batch of three, its records read; every StartRun is throttled at first
    app = await makeTestApp();
    await app.teams.put(team('lab-a'));
    const a = await upload(app, 'lab-a', 'FC-A', 3);
    const queued = (await app.readStream()).filter(
      (record) => record.dynamodb?.NewImage?.status?.S === 'QUEUED',
    );
    expect(queued).toHaveLength(3);
    const engine = app.launcher.engine;
    app.launcher.engine = {
      ...engine,
      startRun: async () => ({
        ok: false,
        retryable: true,
        throttled: true,
        code: 'ThrottlingException',
        message: 'Rate exceeded',
      }),
    };
    const deliver = (records: typeof queued) =>
      dispatchStreamRecords(records, (event) => app.launcherHandler(event as never), LAUNCHER_EVENT_SOURCE);

    // Act: the first wake-up claims a launch and gives up on it (THROTTLED, waiting again); then
    // StartRun works, and the deferred launch's own wake-up and the two others come one by one
    const [first, ...rest] = queued;
    if (!first) throw new Error('no records');
    await deliver([first]);
    const deferred = (await app.launches.listByBatch(a.batchId)).items.filter(
      (launch) => launch.status === 'THROTTLED',
    );
    expect(deferred).toHaveLength(1);
    app.launcher.engine = engine;
    for (const record of [...(await app.readStream()), ...rest]) await deliver([record]);

    // Assess: every launch started once, the deferred one included (one of its runs, not lost)
    await expectEachStartedOnce(app, [a.batchId], 3);
    const again = await app.launches.get(a.batchId, deferred[0]?.launchId ?? '');
    expect(again).toMatchObject({ status: 'SUBMITTED', attempt: 1 });
  });
});
