import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { LaunchRepository } from '../../domain/ports.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import { crashingAfter } from '../support/crashing-repository.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { movableClock } from '../support/movable-clock.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;
const BUCKET = 'lab-manifests';

function manifestText(count: number, name: string): string {
  const ids = sampleIds(count, (i) => `S${String(i).padStart(4, '0')}`);
  return JSON.stringify(nativeManifest({ name, folder: 'resume', sampleIds: ids }));
}

/** A repository whose launch updates fail: a registration that releases (a resumed one) dies doing it. */
function failingRelease(launches: LaunchRepository): LaunchRepository {
  return {
    ...launches,
    replace: async () => {
      throw new Error('connection reset');
    },
  };
}

/** The manifest object as the intake reads it from the bucket. */
function manifestObject(key: string, text: string) {
  return { bucket: BUCKET, key, sizeBytes: Buffer.byteLength(text), text, eTag: 'etag-1', versionId: 'v1' };
}

/**
 * Uploads a manifest and registers it with an intake that dies as `launches` makes it die; the
 * upload's event is never delivered again (every attempt failed, it went to the dead-letter queue).
 */
async function intakeDied(
  app: TestApp,
  key: string,
  text: string,
  launches: LaunchRepository,
): Promise<Batch> {
  app.upload(BUCKET, key, text);
  const object = manifestObject(key, text);
  await expect(registerManifest({ ...app.intake, launches, owner: 'intake' }, object)).rejects.toThrow();
  const [batch] = (await app.batches.listRecent({})).items;
  if (!batch) throw new Error('no batch written');
  return batch;
}

/**
 * A registration that reached REGISTERED and died releasing: the first intake dies before writing
 * a launch; a redelivery after its lease ran out writes every launch REGISTERED (a resumed
 * registration releases after the flip), flips the batch, and dies on its first release write.
 */
async function diedReleasing(
  app: TestApp,
  clock: ReturnType<typeof movableClock>,
  key: string,
  text: string,
): Promise<Batch> {
  const first = await intakeDied(app, key, text, crashingAfter(app.launches, 0));
  clock.advance(2 * MINUTE);
  const object = manifestObject(key, text);
  await expect(
    registerManifest({ ...app.intake, launches: failingRelease(app.launches), owner: 'intake-2' }, object),
  ).rejects.toThrow('connection reset');
  const batch = await app.batches.get(first.batchId);
  if (!batch) throw new Error('no batch written');
  return batch;
}

async function launchesOf(app: TestApp, batchId: string): Promise<Launch[]> {
  return (await app.launches.listByBatch(batchId, { limit: 1000 })).items;
}

describe('the reconciler resumes registrations whose intake stopped for good', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('finishes a registration that died mid-write once its lease ran out: one run per sample', async () => {
    // Prepare: 40 samples in chunks of 10; the intake dies after 2 chunks
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now, intake: { chunkSize: 10 } });
    const stuck = await intakeDied(
      app,
      'fc/died.json',
      manifestText(40, 'FC-DIED'),
      crashingAfter(app.launches, 2),
    );
    expect(stuck.status).toBe('REGISTERING');
    expect((await app.batches.listOpen()).items.map((batch) => batch.batchId)).not.toContain(stuck.batchId);
    expect((await app.batches.listUnfinishedRegistrations()).items.map((batch) => batch.batchId)).toEqual([
      stuck.batchId,
    ]);

    // Act 1: a scheduled run while the dead intake's lease still holds
    const early = await app.reconcile();
    // Assess 1: left alone
    expect(early.registrations).toMatchObject({ checked: 0, resumed: [] });
    expect((await app.batches.get(stuck.batchId))?.status).toBe('REGISTERING');

    // Act 2: the next runs, after the lease and the quiet period
    clock.advance(11 * MINUTE);
    const report = await app.reconcile();
    const after = await launchesOf(app, stuck.batchId);
    const again = await app.reconcile();
    await app.pump({ times: 2 });

    // Assess 2: registered, released, each sample started exactly once
    expect(report.registrations).toMatchObject({
      checked: 1,
      resumed: [
        {
          batchId: stuck.batchId,
          from: 'REGISTERING',
          status: 'ACTIVE',
          launchesWritten: 40,
          released: 40,
        },
      ],
      unresumable: [],
      errors: [],
    });
    expect(after).toHaveLength(40);
    expect(after.every((launch) => launch.status === 'QUEUED')).toBe(true);
    expect(again.registrations).toMatchObject({ checked: 0, resumed: [] });
    expect(await app.batches.get(stuck.batchId)).toMatchObject({ status: 'ACTIVE', sampleCount: 40 });
    const started = await launchesOf(app, stuck.batchId);
    expect(started.every((launch) => launch.status === 'SUBMITTED' && launch.runId)).toBe(true);
    expect(app.omics.runsCreated()).toBe(40);
    expect(app.omics.startRunCalls).toHaveLength(40);
    expect(new Set(app.omics.startRunCalls.map((call) => call.requestId)).size).toBe(40);
    expect(app.telemetry.get(METRICS.registrationsResumed)).toBe(1);
  });

  it('releases the launches of a batch that reached REGISTERED and died releasing', async () => {
    // Prepare
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const stuck = await diedReleasing(app, clock, 'fc/unreleased.json', manifestText(30, 'FC-UNRELEASED'));
    expect(stuck.status).toBe('REGISTERED');
    await app.pump();
    expect(app.omics.startRunCalls).toHaveLength(0);
    clock.advance(11 * MINUTE);
    // Act
    const report = await app.reconcile();
    await app.pump({ times: 2 });
    // Assess
    expect(report.registrations.resumed).toEqual([
      { batchId: stuck.batchId, from: 'REGISTERED', status: 'ACTIVE', launchesWritten: 0, released: 30 },
    ]);
    expect(await app.batches.get(stuck.batchId)).toMatchObject({ status: 'ACTIVE', releasedCount: 30 });
    const launches = await launchesOf(app, stuck.batchId);
    expect(launches).toHaveLength(30);
    expect(launches.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.startRunCalls).toHaveLength(30);
    expect(new Set(app.omics.startRunCalls.map((call) => call.requestId)).size).toBe(30);
  });

  it('registers nothing from a manifest overwritten with other bytes, and reports it once per quiet period', async () => {
    // Prepare: the intake dies, then someone uploads other content under the same key (no versioning)
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now, intake: { chunkSize: 10 } });
    const stuck = await intakeDied(
      app,
      'fc/overwritten.json',
      manifestText(30, 'FC-OLD'),
      crashingAfter(app.launches, 2),
    );
    app.upload(BUCKET, 'fc/overwritten.json', manifestText(5, 'FC-NEW'));
    clock.advance(11 * MINUTE);
    const error = vi.spyOn(app.telemetry.logger, 'error');
    // Act
    const report = await app.reconcile();
    const next = await app.reconcile();
    // The launches written ready are left alone by the launcher's gate: their registration stopped
    await app.pump();
    // Assess: reported with the reason, nothing new registered or started
    expect(report.registrations).toMatchObject({
      checked: 1,
      resumed: [],
      unresumable: [
        {
          batchId: stuck.batchId,
          sourceUri: `s3://${BUCKET}/fc/overwritten.json`,
          status: 'REGISTERING',
          reason: 'changed',
          message: expect.stringContaining('now holds other content'),
        },
      ],
    });
    expect(error).toHaveBeenCalledWith(
      'registration cannot be resumed; upload the manifest again',
      expect.objectContaining({ batchId: stuck.batchId, reason: 'changed' }),
    );
    expect(app.telemetry.get(METRICS.reconcilerErrors)).toBe(1);
    expect(app.telemetry.get(METRICS.registrationsResumed)).toBe(0);
    expect(next.registrations).toMatchObject({ checked: 0, unresumable: [] });
    expect((await app.batches.listRecent({})).items.map((batch) => [batch.batchId, batch.status])).toEqual([
      [stuck.batchId, 'REGISTERING'],
    ]);
    const launches = await launchesOf(app, stuck.batchId);
    expect(launches).toHaveLength(20);
    expect(launches.every((launch) => launch.status === 'QUEUED')).toBe(true);
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('reports a registration whose manifest was deleted, and finishes it once the same bytes are uploaded again', async () => {
    // Prepare
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const text = manifestText(20, 'FC-DELETED');
    const stuck = await diedReleasing(app, clock, 'fc/deleted.json', text);
    app.removeObject(BUCKET, 'fc/deleted.json');
    clock.advance(11 * MINUTE);
    // Act 1
    const report = await app.reconcile();
    // Assess 1
    expect(report.registrations.unresumable).toEqual([
      expect.objectContaining({ batchId: stuck.batchId, reason: 'gone', status: 'REGISTERED' }),
    ]);
    expect((await app.batches.get(stuck.batchId))?.status).toBe('REGISTERED');
    // Act 2: the same manifest is put back (its upload event lost too); a quiet period later
    app.upload(BUCKET, 'fc/deleted.json', text);
    clock.advance(11 * MINUTE);
    const resumed = await app.reconcile();
    await app.pump();
    // Assess 2
    expect(resumed.registrations.resumed).toEqual([expect.objectContaining({ batchId: stuck.batchId })]);
    expect((await app.batches.get(stuck.batchId))?.status).toBe('ACTIVE');
    expect(app.omics.startRunCalls).toHaveLength(20);
  });

  it('starts each sample once when a late intake delivery resumes the same registration at the same time', async () => {
    // Prepare
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now, intake: { chunkSize: 10 } });
    const stuck = await intakeDied(
      app,
      'fc/race.json',
      manifestText(40, 'FC-RACE'),
      crashingAfter(app.launches, 1),
    );
    clock.advance(11 * MINUTE);
    // Act: S3's last retry arrives while the reconciler resumes
    const [reconciled, delivered] = await Promise.allSettled([
      app.reconcile(),
      app.onManifest(s3Put(BUCKET, 'fc/race.json')),
    ]);
    // Whichever lost the lease is told to come back: the reconciler's next run, S3's next retry
    await app.reconcile();
    await app.pump({ times: 2 });
    // Assess
    expect(reconciled.status).toBe('fulfilled');
    if (reconciled.status === 'fulfilled') expect(reconciled.value.registrations.errors).toEqual([]);
    expect(['fulfilled', 'rejected']).toContain(delivered.status);
    expect(await app.batches.get(stuck.batchId)).toMatchObject({ status: 'ACTIVE' });
    const launches = await launchesOf(app, stuck.batchId);
    expect(launches).toHaveLength(40);
    expect(launches.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.runsCreated()).toBe(40);
    expect(app.omics.startRunCalls).toHaveLength(40);
  });
});
