import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import type { LaunchRepository } from '../../domain/ports.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import { startLaunch } from '../../domain/use-cases/launcher.js';
import { RECONCILED_STATUSES, type ReconcilerDeps } from '../../domain/use-cases/reconciler.js';
import { makeRegistrationGate } from '../../domain/use-cases/registration-gate.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const BUCKET = 'lab-manifests';

function manifestText(count: number, name: string): string {
  const ids = sampleIds(count, (i) => `S${String(i).padStart(4, '0')}`);
  return JSON.stringify(nativeManifest({ name, folder: 'gate', sampleIds: ids }));
}

/** Launch writes that stop before chunk `stopAt` until the test lets them go on. */
function pausingBefore(launches: LaunchRepository, stopAt: number) {
  let calls = 0;
  let resume: () => void = () => {};
  const resumed = new Promise<void>((resolve) => {
    resume = resolve;
  });
  let paused: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    paused = resolve;
  });
  const repository: LaunchRepository = {
    ...launches,
    async putMany(items: readonly Launch[], options?: { fresh?: boolean }) {
      calls++;
      if (calls === stopAt) {
        paused();
        await resumed;
      }
      return launches.putMany(items, options);
    },
  };
  return { repository, reached, resume };
}

/**
 * A 20-sample registration (chunks of 10) that stops before its second chunk until `resume()`:
 * the batch REGISTERING, its first ten launches written. `now` is the registration's clock.
 */
async function pausedRegistration(app: TestApp, name: string, now: () => Date = () => new Date()) {
  const key = `fc/${name.toLowerCase()}.json`;
  const text = manifestText(20, name);
  app.upload(BUCKET, key, text);
  const writes = pausingBefore(app.launches, 2);
  const object = { bucket: BUCKET, key, sizeBytes: text.length, text };
  const registering = registerManifest(
    { ...app.intake, launches: writes.repository, now, owner: 'intake' },
    object,
  );
  await writes.reached;
  const [batch] = (await app.batches.listRecent({})).items;
  const [first] = (await app.launches.listByBatch(batch?.batchId ?? '', { limit: 1 })).items;
  if (!batch || !first) throw new Error('nothing written');
  return { batch, first, registering, resume: writes.resume };
}

describe("the launcher's registration gate", () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it("writes a fresh batch's launches ready and flips it ACTIVE: one write per launch, no release pass", async () => {
    // Prepare
    app = await makeTestApp();
    app.upload(BUCKET, 'fc/ready.json', manifestText(25, 'FC-READY'));
    // Act
    await app.onManifest(s3Put(BUCKET, 'fc/ready.json'));
    const [batch] = (await app.batches.listRecent({})).items;
    const launches = (await app.launches.listByBatch(batch?.batchId ?? '', { limit: 100 })).items;
    const records = await app.pump();
    // Assess: the batch ACTIVE at once, every launch QUEUED by the one write that created it
    expect(batch).toMatchObject({ status: 'ACTIVE', releasedCount: 25, sampleCount: 25 });
    expect(launches).toHaveLength(25);
    for (const launch of launches) {
      expect(launch).toMatchObject({ status: 'QUEUED', revision: 2, attempt: 1 });
      expect(launch.statusHistory.map((entry) => [entry.status, entry.at])).toEqual([
        ['REGISTERED', batch?.createdAt],
        ['QUEUED', batch?.createdAt],
      ]);
    }
    const queuedWrites = records.filter((record) => record.dynamodb?.NewImage?.status?.S === 'QUEUED');
    expect(queuedWrites.map((record) => record.eventName)).toEqual(Array(25).fill('INSERT'));
    // ...and each sample started once
    expect(app.omics.startRunCalls).toHaveLength(25);
    expect(new Set(app.omics.startRunCalls.map((call) => call.requestId)).size).toBe(25);
  });

  it('holds a launch written before its batch finished registering until the flip, then starts it once', async () => {
    // Prepare: 20 samples in chunks of 10; the second chunk waits for the test
    app = await makeTestApp({ intake: { chunkSize: 10 } });
    const { batch, first, registering, resume } = await pausedRegistration(app, 'FC-HELD');
    expect(batch.status).toBe('REGISTERING');
    expect(first.status).toBe('QUEUED');
    const gate = makeRegistrationGate({
      batches: app.batches,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      waitMs: 10_000,
      pollMs: 20,
    });

    // Act 1: the launcher gets the first launch's record while the batch is REGISTERING
    let settled = false;
    const launching = startLaunch({ ...app.launcher, registration: gate }, first).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Assess 1: held, nothing started
    expect(settled).toBe(false);
    expect(app.omics.startRunCalls).toHaveLength(0);
    expect(await app.launches.get(first.batchId, first.launchId)).toMatchObject({ status: 'QUEUED' });

    // Act 2: the registration writes its last chunk and flips the batch
    resume();
    const outcome = await registering;
    const started = await launching;
    // Assess 2: started after the flip, once; the rest start from their records, once each
    expect(outcome).toMatchObject({ kind: 'registered', released: 20, launchesWritten: 20 });
    expect(started).toMatchObject({ kind: 'started' });
    expect(app.omics.startRunCalls).toHaveLength(1);
    await app.pump({ times: 2 });
    expect(app.omics.startRunCalls).toHaveLength(20);
    expect(app.omics.runsCreated()).toBe(20);
    expect(new Set(app.omics.startRunCalls.map((call) => call.requestId)).size).toBe(20);
  });

  it('tells the launcher again of every launch when the lease ran out mid-registration and the gate gave up', async () => {
    // Prepare: the registration pauses before its second chunk, long enough for its lease to run out
    app = await makeTestApp({ intake: { chunkSize: 10 } });
    let offsetMs = 0;
    const later = () => new Date(Date.now() + offsetMs);
    const { batch, first, registering, resume } = await pausedRegistration(app, 'FC-LAPSED', later);
    offsetMs = 2 * 60_000;
    const gate = makeRegistrationGate({
      batches: app.batches,
      now: later,
      sleep: async () => {},
      waitMs: 10_000,
      pollMs: 20,
    });

    // Act: the launcher sees the lease run out and leaves the launch; the registration then goes on
    const left = await startLaunch({ ...app.launcher, registration: gate }, first);
    resume();
    const outcome = await registering;
    await app.pump({ times: 2 });

    // Assess: released as a resumed registration, every launch started once, the first one too
    expect(left).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('registration stopped') });
    expect(outcome).toMatchObject({ kind: 'registered', released: 20 });
    expect((await app.batches.get(batch.batchId))?.status).toBe('ACTIVE');
    expect(await app.launches.get(first.batchId, first.launchId)).toMatchObject({
      status: 'SUBMITTED',
      note: expect.stringContaining('finished registering after an interrupted attempt'),
    });
    expect(app.omics.runsCreated()).toBe(20);
    expect(new Set(app.omics.startRunCalls.map((call) => call.requestId)).size).toBe(20);
  });

  it('hands a held launch back for a later delivery, and the reconciler leaves it to the registration', async () => {
    // Prepare: a registration that stopped after its first chunk, its lease still running
    app = await makeTestApp({ intake: { chunkSize: 10 } });
    const { first, registering, resume } = await pausedRegistration(app, 'FC-STOPPED');

    // Act: the launcher's wait runs out; the reconciler runs with every threshold at zero
    const held = await startLaunch(app.launcher, first).catch((error: unknown) => error);
    const staleAfterMs = Object.fromEntries(
      RECONCILED_STATUSES.map((status) => [status, 0]),
    ) as ReconcilerDeps['staleAfterMs'];
    const report = await app.reconcile({ staleAfterMs });

    // Assess: handed back to be delivered again, nothing started, nothing re-queued
    expect(held).toMatchObject({ name: 'RetryableError', code: 'BATCH_NOT_REGISTERED' });
    expect(app.omics.startRunCalls).toHaveLength(0);
    expect(report).toMatchObject({ requeued: 0, repairs: 0 });
    const after = await app.launches.get(first.batchId, first.launchId);
    expect(after).toMatchObject({ status: 'QUEUED', revision: first.revision });
    resume();
    await registering;
  });
});
