import { afterEach, describe, expect, it } from 'vitest';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const MANIFESTS = 'lab-manifests';

describe('inputs checked in S3 at intake', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('rejects a manifest with a missing and an unreadable input, each at its path, and launches nothing', async () => {
    // Prepare: 5 samples and a QC step; S2's read is missing, S4's refused, the QC's reference missing
    app = await makeTestApp();
    const manifest = {
      ...nativeManifest({ name: 'FC-MISSING', folder: 'fc1', sampleIds: sampleIds(5, (i) => `S${i}`) }),
      qc: {
        workflow: { id: '7654321', type: 'PRIVATE' },
        inputs: { reference: 's3://lab-inputs/refs/hg38.fa' },
      },
    };
    app.inputStates.set('s3://lab-inputs/fc1/S2_R1.fastq.gz', { kind: 'missing', reason: 'no such object' });
    app.inputStates.set('s3://lab-inputs/fc1/S4_R1.fastq.gz', {
      kind: 'unreadable',
      reason: 'S3 answered AccessDenied (403)',
    });
    app.inputStates.set('s3://lab-inputs/refs/hg38.fa', { kind: 'missing', reason: 'no such object' });
    app.upload(MANIFESTS, 'fc/missing.json', manifest);

    // Act
    await app.onManifest(s3Put(MANIFESTS, 'fc/missing.json'));
    await app.pump();

    // Assess: REJECTED with all three, in document order; no launch item, no run, one notice
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('REJECTED');
    expect(batch?.problems?.map((problem) => `${problem.code} ${problem.path}`)).toEqual([
      'INPUT_NOT_FOUND $.samples[2].inputs.fastq1',
      'INPUT_NOT_READABLE $.samples[4].inputs.fastq1',
      'INPUT_NOT_FOUND $.qc.inputs.reference',
    ]);
    expect(batch?.problems?.[0]?.message).toBe(
      's3://lab-inputs/fc1/S2_R1.fastq.gz does not exist: no such object',
    );
    expect((await app.launches.listByBatch(batch?.batchId ?? '')).items).toHaveLength(0);
    expect(app.omics.startRunCalls).toHaveLength(0);
    expect(app.notices).toEqual([
      expect.objectContaining({ kind: 'manifest-rejected', batchId: batch?.batchId, problemCount: 3 }),
    ]);
  });

  it('registers the same bytes once the missing input is uploaded, and stores each input size on its launch', async () => {
    // Prepare: rejected for a missing input
    app = await makeTestApp();
    const manifest = nativeManifest({ name: 'FC-LATE', folder: 'fc2', sampleIds: ['A', 'B'] });
    app.inputStates.set('s3://lab-inputs/fc2/B_R1.fastq.gz', { kind: 'missing', reason: 'no such object' });
    app.inputSizes.set('s3://lab-inputs/fc2/A_R1.fastq.gz', 1_000);
    app.upload(MANIFESTS, 'fc/late.json', manifest);
    await app.onManifest(s3Put(MANIFESTS, 'fc/late.json'));
    const [rejected] = (await app.batches.listRecent({})).items;
    expect(rejected?.status).toBe('REJECTED');

    // Act: the lab uploads the read and sends the same manifest again
    app.inputStates.delete('s3://lab-inputs/fc2/B_R1.fastq.gz');
    app.inputSizes.set('s3://lab-inputs/fc2/B_R1.fastq.gz', 2_500);
    await app.onManifest(s3Put(MANIFESTS, 'fc/late.json'));
    await app.pump({ times: 2 });

    // Assess: the same batch, launched, each launch with its input's size
    const batch = await app.batches.get(rejected?.batchId ?? '');
    expect(batch?.status).toBe('ACTIVE');
    expect(batch?.problems).toBeUndefined();
    const launches = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    expect(Object.fromEntries(launches.map((launch) => [launch.sampleId, launch.inputBytes]))).toEqual({
      A: 1_000,
      B: 2_500,
    });
    expect(launches.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.runsCreated()).toBe(2);
  });

  it('judges nothing while S3 does not answer: the event is retried, and the retry registers', async () => {
    // Prepare: S3 throttles the check of one input
    app = await makeTestApp();
    const manifest = nativeManifest({ name: 'FC-SLOW', folder: 'fc3', sampleIds: ['A', 'B', 'C'] });
    app.inputStates.set('s3://lab-inputs/fc3/C_R1.fastq.gz', {
      kind: 'unknown',
      reason: 'S3 answered SlowDown (503)',
    });
    app.upload(MANIFESTS, 'fc/slow.json', manifest);

    // Act 1: the first delivery fails (Lambda retries the event); nothing is written
    await expect(app.onManifest(s3Put(MANIFESTS, 'fc/slow.json'))).rejects.toThrow(/not registered/);
    expect((await app.batches.listRecent({})).items).toHaveLength(0);
    expect(app.notices).toHaveLength(0);

    // Act 2: S3 answers on the retry
    app.inputStates.delete('s3://lab-inputs/fc3/C_R1.fastq.gz');
    await app.onManifest(s3Put(MANIFESTS, 'fc/slow.json'));
    await app.pump({ times: 2 });

    // Assess: registered once, every sample started once
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('ACTIVE');
    expect(app.omics.startRunCalls).toHaveLength(3);
  });

  it('asks S3 once per distinct input, however many samples name it', async () => {
    // Prepare: 4 samples share one reference input besides their own read
    app = await makeTestApp();
    const base = nativeManifest({ name: 'FC-SHARED', folder: 'fc4', sampleIds: ['A', 'B', 'C', 'D'] });
    const manifest = {
      ...base,
      samples: base.samples.map((sample) => ({
        ...sample,
        inputs: { ...sample.inputs, reference: 's3://lab-inputs/refs/hg38.fa' },
      })),
    };
    app.upload(MANIFESTS, 'fc/shared.json', manifest);

    // Act
    await app.onManifest(s3Put(MANIFESTS, 'fc/shared.json'));

    // Assess
    expect([...app.inputsInspected].sort()).toEqual([
      's3://lab-inputs/fc4/A_R1.fastq.gz',
      's3://lab-inputs/fc4/B_R1.fastq.gz',
      's3://lab-inputs/fc4/C_R1.fastq.gz',
      's3://lab-inputs/fc4/D_R1.fastq.gz',
      's3://lab-inputs/refs/hg38.fa',
    ]);
  });
});
