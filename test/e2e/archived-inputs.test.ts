import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import type { Notice } from '../../domain/notifications.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { waitForBatch } from '../../infra/local/wait.js';
import { startTempStack, stopTempStack } from '../support/e2e-stack.js';

const SAMPLES = ['S1', 'S2', 'S3'];

describe('archived inputs on the embedded runtime', () => {
  let stack: LocalStack;
  let stateDir: string;
  const notices: Notice[] = [];

  beforeAll(async () => {
    ({ stack, stateDir } = await startTempStack('gwm-e2e-archive-', {
      onNotice: (notice) => void notices.push(notice),
    }));
  });
  afterAll(() => stopTempStack(stack, stateDir));

  it('keeps the sample whose read is in DEEP_ARCHIVE waiting, restores it in the local S3, then runs it', async () => {
    // Prepare: S2's read is uploaded to Deep Archive, the others to Standard; two batches share it
    const { manifestBucket, inputBucket, outputBucket } = stack.endpoints;
    for (const id of SAMPLES) {
      await stack.s3.send(
        new PutObjectCommand({
          Bucket: inputBucket,
          Key: `ARCH/${id}_R1.fastq`,
          Body: `@${id}:1\nACGTACGTNN\n+\nIIIIIIIIII\n`,
          ...(id === 'S2' && { StorageClass: 'DEEP_ARCHIVE' }),
        }),
      );
    }
    const manifestOf = (name: string) =>
      JSON.stringify({
        schemaVersion: 'gwm.manifest/v1',
        batch: { name },
        defaults: { profile: 'fastq-stats', outputUri: `s3://${outputBucket}/${name}/` },
        samples: SAMPLES.map((id) => ({ id, inputs: { fastq1: `s3://${inputBucket}/ARCH/${id}_R1.fastq` } })),
      });
    const first = manifestOf('FC-ARCHIVE');
    const second = manifestOf('FC-ARCHIVE-2');

    // Act: both batches uploaded
    await stack.s3.send(new PutObjectCommand({ Bucket: manifestBucket, Key: 'arch/one.json', Body: first }));
    await stack.s3.send(new PutObjectCommand({ Bucket: manifestBucket, Key: 'arch/two.json', Body: second }));
    await stack.settle();
    const firstId = batchIdFor(manifestBucket, 'arch/one.json', sha256Hex(first));
    const secondId = batchIdFor(manifestBucket, 'arch/two.json', sha256Hex(second));

    // Assess: S2 waited in both batches (one restore of the object). The local Deep Archive delay is
    // a few seconds, so on a busy machine the restore may already be done: its state is either.
    const waiting = (await stack.deps.launches.listByBatch(firstId)).items.find(
      (launch) => launch.sampleId === 'S2',
    );
    expect(waiting?.statusHistory.map((entry) => entry.status)).toContain('WAITING_FOR_INPUTS');
    const restore = await stack.deps.restores.restores.get(`s3://${inputBucket}/ARCH/S2_R1.fastq`);
    expect(restore).toMatchObject({ requests: 1, storageClass: 'DEEP_ARCHIVE', tier: 'Bulk' });
    expect(['REQUESTED', 'RESTORED']).toContain(restore?.state);

    // Act: the local S3 completes the restore (Bulk from Deep Archive: seconds locally)
    const done = await waitForBatch(stack.deps, firstId, { timeoutMs: 90_000 });
    const doneToo = await waitForBatch(stack.deps, secondId, { timeoutMs: 90_000 });

    // Assess: every sample ran once; S2 waited, then ran, while S1 and S3 went ahead without
    // waiting for its restore; one notice per batch
    for (const batch of [done, doneToo]) {
      expect(batch.batch?.status).toBe('COMPLETED');
      expect(batch.launches.map((launch) => launch.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      const s2 = batch.launches.find((launch) => launch.sampleId === 'S2');
      expect(s2?.statusHistory.map((entry) => entry.status)).toContain('WAITING_FOR_INPUTS');
      const restoredAt = s2?.archivedInputs?.[0]?.restoredAt;
      if (!restoredAt) throw new Error('S2 has no restoredAt');
      for (const other of batch.launches.filter((launch) => launch.sampleId !== 'S2')) {
        expect(other.statusHistory.map((entry) => entry.status)).not.toContain('WAITING_FOR_INPUTS');
        const submitted = other.statusHistory.find((entry) => entry.status === 'SUBMITTED');
        expect(submitted?.at, other.sampleId).toBeDefined();
        expect((submitted?.at ?? '') < restoredAt, other.sampleId).toBe(true);
      }
    }
    expect(await stack.deps.restores.restores.get(`s3://${inputBucket}/ARCH/S2_R1.fastq`)).toMatchObject({
      state: 'RESTORED',
      requests: 1,
    });
    const completed = notices.filter((notice) => notice.kind === 'batch-completed');
    expect(completed.map((notice) => notice.batchId).sort()).toEqual([firstId, secondId].sort());
  });
});
