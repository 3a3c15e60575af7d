import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import type { LaunchRepository } from '../../domain/ports.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { crashingAfter } from '../support/crashing-repository.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

function crashManifest(count: number) {
  const ids = sampleIds(count, (i) => `S${String(i).padStart(4, '0')}`);
  return nativeManifest({ name: 'FC-CRASH', folder: 'crash', sampleIds: ids });
}

/**
 * A registration that reached REGISTERED and died releasing: a first attempt dies before writing
 * anything, the second (after the lease ran out) writes every launch REGISTERED, flips the batch
 * and dies on its first release write.
 */
async function stuckInRelease(app: TestApp, key: string, text: string) {
  app.upload('lab-manifests', key, text);
  const object = { bucket: 'lab-manifests', key, sizeBytes: text.length, text };
  await expect(
    registerManifest({ ...app.intake, launches: crashingAfter(app.launches, 0), owner: 'first' }, object),
  ).rejects.toThrow('Task timed out');
  const failingRelease: LaunchRepository = {
    ...app.launches,
    replace: async () => {
      throw new Error('connection reset');
    },
  };
  const later = () => new Date(Date.now() + 120_000);
  await expect(
    registerManifest({ ...app.intake, launches: failingRelease, now: later, owner: 'second' }, object),
  ).rejects.toThrow('connection reset');
  const [stuck] = (await app.batches.listRecent({})).items;
  expect(stuck?.status).toBe('REGISTERED');
  return stuck as NonNullable<typeof stuck>;
}

describe('registration', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('finishes an interrupted registration on redelivery, without duplicates and without an early run', async () => {
    // Prepare: 40 samples written in chunks of 10; the first attempt dies after 2 chunks
    app = await makeTestApp({ intake: { chunkSize: 10 } });
    const manifest = crashManifest(40);
    app.upload('lab-manifests', 'fc/crash.json', manifest);
    const object = {
      bucket: 'lab-manifests',
      key: 'fc/crash.json',
      sizeBytes: JSON.stringify(manifest).length,
      text: JSON.stringify(manifest),
      eTag: 'etag-1',
      versionId: 'v1',
    };
    await expect(
      registerManifest({ ...app.intake, launches: crashingAfter(app.launches, 2), owner: 'first' }, object),
    ).rejects.toThrow('Task timed out');

    // Assess the crashed state: half written ready, but held by the launcher's gate: no run
    const [half] = (await app.batches.listRecent({})).items;
    expect(half?.status).toBe('REGISTERING');
    await expect(app.pump()).rejects.toThrow('20 launcher records failed');
    expect(app.omics.startRunCalls).toHaveLength(0);
    const written = await app.launches.listByBatch(half?.batchId ?? '', { limit: 1000 });
    expect(written.items).toHaveLength(20);
    expect(written.items.every((launch) => launch.status === 'QUEUED')).toBe(true);

    // Act 1: a redelivery while the crashed registration's lease still runs is told to come back later
    await expect(app.onManifest(s3Put('lab-manifests', 'fc/crash.json'))).rejects.toThrow(/not registered/);

    // Act 2: the redelivery after the lease expired takes over and completes
    const later = () => new Date(Date.now() + 120_000);
    const outcome = await registerManifest({ ...app.intake, now: later, owner: 'second' }, object);
    await app.pump({ times: 2 });

    // Assess
    expect(outcome).toMatchObject({ kind: 'registered', resumed: true, launchesWritten: 40, released: 40 });
    const batch = await app.batches.get(half?.batchId ?? '');
    expect(batch?.status).toBe('ACTIVE');
    const all = await app.launches.listByBatch(half?.batchId ?? '', { limit: 1000 });
    expect(all.items).toHaveLength(40);
    expect(new Set(all.items.map((launch) => launch.sampleId)).size).toBe(40);
    expect(all.items.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.runsCreated()).toBe(40);
    expect(app.omics.startRunCalls).toHaveLength(40);
  });

  it('resumes the release of a batch whose launches were all written', async () => {
    // Prepare: a resumed registration reached REGISTERED, then died before releasing
    app = await makeTestApp();
    const stuck = await stuckInRelease(app, 'fc/release.json', JSON.stringify(crashManifest(30)));
    await app.pump();
    expect(app.omics.startRunCalls).toHaveLength(0);
    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc/release.json'));
    await app.pump();
    // Assess
    expect((await app.batches.get(stuck.batchId))?.status).toBe('ACTIVE');
    expect(app.omics.startRunCalls).toHaveLength(30);
    expect(app.omics.runsCreated()).toBe(30);
  });

  it('releases a registered launch whose status a person mistyped in the console before its release', async () => {
    // Prepare: registration reached REGISTERED and died; a person types over one launch's status
    app = await makeTestApp();
    const stuck = await stuckInRelease(app, 'fc/typo.json', JSON.stringify(crashManifest(5)));
    const [typed] = (await app.launches.listByBatch(stuck.batchId, { limit: 1 })).items;
    if (!typed) throw new Error('nothing registered');
    await consoleSetStatus(app, typed, 'QUEUD');
    // Act: the upload's event is delivered again
    await app.onManifest(s3Put('lab-manifests', 'fc/typo.json'));
    await app.pump();
    // Assess: every launch released and started, the typed one included
    expect((await app.batches.get(stuck.batchId))?.status).toBe('ACTIVE');
    expect(await app.launches.get(stuck.batchId, typed.launchId)).toMatchObject({ status: 'SUBMITTED' });
    expect(app.omics.startRunCalls).toHaveLength(5);
  });

  it('rejects a manifest with ten mistakes, listing all of them, and launches nothing', async () => {
    // Prepare
    app = await makeTestApp();
    const bad = {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'BAD' },
      defaults: { profile: 'no-such-profile', outputUri: 's3://elsewhere/out/' },
      samples: [
        { id: 'S1', inputs: { fastq1: 's3://lab-inputs/ok.fastq.gz' } },
        { id: 'S1', inputs: { fastq1: 's3://lab-inputs/dup.fastq.gz' } },
        { id: 'S3', inputs: { fastq1: 'not-a-uri' } },
        { id: 'S4', inputs: { fastq1: 's3://secret-bucket/x.fastq.gz' } },
        { id: 'bad id!', inputs: { fastq1: 's3://lab-inputs/x.fastq.gz' } },
        { id: 'S6', inputs: { fastq1: 's3://lab-inputs/x.fastq.gz' }, outputUri: 's3://other-results/' },
        { id: 'S7', inputs: { fastq1: 's3:/broken' }, priority: 'high' },
        { id: 'S8', inputs: { fastq1: 's3://lab-inputs/x.fastq.gz' }, colour: 'blue' },
      ],
      qc: { profile: 'no-such-qc', policy: 'min-succeeded-fraction', minSucceededFraction: 1.5 },
    };
    app.upload('lab-manifests', 'fc/bad.json', bad);
    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc/bad.json'));
    await app.pump();
    // Assess
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('REJECTED');
    const problems = batch?.problems ?? [];
    const paths = problems.map((problem) => `${problem.code} ${problem.path}`);
    expect(problems.length).toBeGreaterThanOrEqual(10);
    expect(new Set(problems.map((problem) => problem.code)).size).toBeGreaterThanOrEqual(6);
    for (const expected of [
      'UNKNOWN_PROFILE $.defaults.profile',
      'WRITE_PREFIX_NOT_ALLOWED $.defaults.outputUri',
      'DUPLICATE_SAMPLE_ID $.samples[1].id',
      'MALFORMED_S3_URI $.samples[2].inputs.fastq1',
      'READ_PREFIX_NOT_ALLOWED $.samples[3].inputs.fastq1',
      'WRITE_PREFIX_NOT_ALLOWED $.samples[5].outputUri',
      'MALFORMED_S3_URI $.samples[6].inputs.fastq1',
      'UNKNOWN_PROFILE $.qc.profile',
    ]) {
      expect(paths).toContain(expected);
    }
    expect(paths.some((path) => path.startsWith('SCHEMA $.samples[4].id'))).toBe(true);
    expect(paths.some((path) => path.startsWith('SCHEMA $.samples[6].priority'))).toBe(true);
    expect(paths.some((path) => path.startsWith('SCHEMA $.samples[7]'))).toBe(true);
    expect(paths.some((path) => path.startsWith('SCHEMA $.qc.minSucceededFraction'))).toBe(true);
    expect(batch?.problemCount).toBe(problems.length);
    expect(app.notices).toEqual([
      expect.objectContaining({
        kind: 'manifest-rejected',
        batchId: batch?.batchId,
        problemCount: problems.length,
      }),
    ]);
    expect((await app.launches.listByBatch(batch?.batchId ?? '')).items).toHaveLength(0);
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('sends no rejection notice when the rejected manifest turned it off', async () => {
    // Prepare: a sample reads outside the allowed prefixes; the notification block itself is valid
    app = await makeTestApp();
    const manifest = {
      ...nativeManifest({ name: 'FC-QUIET', folder: 'quiet', sampleIds: ['S1'] }),
      samples: [{ id: 'S1', inputs: { fastq1: 's3://somewhere-else/S1_R1.fastq.gz' } }],
      notifications: { onRejected: false },
    };
    app.upload('lab-manifests', 'fc/quiet.json', manifest);
    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc/quiet.json'));
    // Assess
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch).toMatchObject({ status: 'REJECTED', notifications: { onRejected: false } });
    expect(batch?.problems?.map((problem) => problem.code)).toEqual(['READ_PREFIX_NOT_ALLOWED']);
    expect(app.notices).toEqual([]);
  });

  it('never lets a late registration write overwrite a launch that moved past REGISTERED', async () => {
    // Prepare: registration A stalls with a chunk in hand; B takes the lease over, registers and
    // releases; one launch is claimed and started
    app = await makeTestApp();
    const manifest = crashManifest(3);
    const text = JSON.stringify(manifest);
    app.upload('lab-manifests', 'fc/late.json', text);
    await app.onManifest(s3Put('lab-manifests', 'fc/late.json'));
    await app.pump();
    const [batch] = (await app.batches.listRecent({})).items;
    const started = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    expect(started.every((launch) => launch.status === 'SUBMITTED' && launch.runId)).toBe(true);
    const stale = started.map((launch) => ({
      ...launch,
      status: 'REGISTERED' as const,
      runId: undefined,
      statusHistory: [{ status: 'REGISTERED' as const, at: launch.createdAt, source: 'gwm' as const }],
      revision: 1,
    }));
    const fresh = { ...stale[0], sampleId: 'S9999', launchId: `${batch?.batchId}/S9999` } as Launch;
    // Act: A's chunk lands now
    await app.launches.putMany([...stale, fresh]);
    // Assess: the started launches are untouched, a launch not yet written is written
    const after = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    for (const launch of started) {
      expect(after.find((item) => item.launchId === launch.launchId)).toEqual(launch);
    }
    expect(after.find((item) => item.sampleId === 'S9999')?.status).toBe('REGISTERED');
  });

  it('rejects at intake a sample whose launch item would pass the item limit, writing nothing', async () => {
    // Prepare: the third sample carries 410 KB of parameters
    app = await makeTestApp();
    const manifest = crashManifest(3);
    const samples = manifest.samples.map((sample, index) =>
      index === 2 ? { ...sample, parameters: { panel: 'ACGT'.repeat(102_500) } } : sample,
    );
    app.upload('lab-manifests', 'fc/big-sample.json', { ...manifest, samples });
    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc/big-sample.json'));
    await app.pump();
    // Assess: rejected with the sample's path and size, people told, no launch written
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('REJECTED');
    expect(batch?.problems).toEqual([
      {
        path: '$.samples[2]',
        code: 'SAMPLE_TOO_LARGE',
        message: expect.stringMatching(/sample "S0002" makes a launch item of 410\d{3} bytes/),
      },
    ]);
    expect(app.notices).toEqual([
      expect.objectContaining({ kind: 'manifest-rejected', batchId: batch?.batchId, problemCount: 1 }),
    ]);
    expect((await app.launches.listByBatch(batch?.batchId ?? '')).items).toHaveLength(0);
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('rejects a manifest over the size limit without reading it', async () => {
    app = await makeTestApp({ intake: { limits: { maxSamples: 10_000, maxBytes: 1_000 } } });
    const outcome = await registerManifest(
      { ...app.intake, owner: 'x' },
      { bucket: 'lab-manifests', key: 'fc/huge.json', sizeBytes: 50_000_000, eTag: 'e' },
    );
    expect(outcome.kind).toBe('rejected');
    if (outcome.kind !== 'rejected') return;
    expect(outcome.problems.map((problem) => problem.code)).toEqual(['TOO_LARGE']);
  });
});
