import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import type { LaunchRepository } from '../../domain/ports.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { waitForBatch } from '../../infra/local/wait.js';
import { startTempStack, stopTempStack } from '../support/e2e-stack.js';

const SAMPLES = ['S1', 'S2', 'S3', 'S4', 'S5'];

/** Bulk writes stop after the first, as an intake that timed out mid-registration. */
function crashingAfterFirstWrite(launches: LaunchRepository): LaunchRepository {
  let calls = 0;
  return {
    ...launches,
    async putMany(items: readonly Launch[], options?: { fresh?: boolean }) {
      calls++;
      if (calls > 1) throw new Error('Task timed out after 300.00 seconds');
      return launches.putMany(items, options);
    },
  };
}

describe('the embedded runtime resumes a registration whose intake stopped for good', () => {
  let stack: LocalStack;
  let stateDir: string;
  let startRuns = 0;

  beforeAll(async () => {
    ({ stack, stateDir } = await startTempStack('gwm-e2e-resume-', {
      persist: false,
      // Short lease and quiet period: the reconciler's thresholds are seconds on the local stack.
      settings: {
        REGISTRATION_LEASE_SECONDS: '1',
        RECONCILE_AFTER_MINUTES_REGISTRATION: '2',
        REGISTRATION_CHUNK_SIZE: '2',
      },
      onEngineRequest: (operation) => {
        if (operation === 'StartRun') startRuns++;
      },
    }));
  });
  afterAll(() => stopTempStack(stack, stateDir));

  /**
   * Puts a manifest in the manifest bucket under a key the bucket does not notify about (so no
   * intake runs on its own), then registers it with an intake that dies after one chunk.
   */
  async function diedMidRegistration(key: string, name: string): Promise<string> {
    const { manifestBucket, inputBucket, outputBucket } = stack.endpoints;
    for (const id of SAMPLES) {
      const reads = `@${id}:1\nACGTACGTNN\n+\nIIIIIIIIII\n`;
      await stack.s3.send(
        new PutObjectCommand({ Bucket: inputBucket, Key: `${name}/${id}_R1.fastq`, Body: reads }),
      );
    }
    const text = JSON.stringify({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${outputBucket}/${name}/` },
      samples: SAMPLES.map((id) => ({
        id,
        inputs: { fastq1: `s3://${inputBucket}/${name}/${id}_R1.fastq` },
      })),
    });
    await stack.s3.send(new PutObjectCommand({ Bucket: manifestBucket, Key: key, Body: text }));
    const content = await stack.deps.manifests.read(manifestBucket, key, { maxBytes: 1_000_000 });
    const intake = {
      ...stack.deps.intake,
      launches: crashingAfterFirstWrite(stack.deps.launches),
      owner: 'dead',
    };
    await expect(registerManifest(intake, { bucket: manifestBucket, key, ...content })).rejects.toThrow(
      'Task timed out',
    );
    const batch = (await stack.deps.batches.listUnfinishedRegistrations()).items.find(
      (item) => item.name === name,
    );
    if (!batch) throw new Error(`no batch ${name}`);
    expect(batch.status).toBe('REGISTERING');
    return batch.batchId;
  }

  it('finishes one from its manifest in the local S3 and starts each sample once; reports one overwritten', async () => {
    // Prepare: two registrations die; one manifest is then overwritten with other bytes
    const { manifestBucket } = stack.endpoints;
    const kept = await diedMidRegistration('manifests/kept.txt', 'RESUME-KEPT');
    const overwritten = await diedMidRegistration('manifests/overwritten.txt', 'RESUME-OVERWRITTEN');
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: manifestBucket,
        Key: 'manifests/overwritten.txt',
        Body: '{"other":true}',
      }),
    );
    await stack.settle();
    expect(startRuns).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // Act
    await stack.reconcile();
    await stack.settle();
    // Assess: the kept one registered, started once per sample and finished; the overwritten one left as it was
    const done = await waitForBatch(stack.deps, kept, { timeoutMs: 60_000 });
    expect(done.batch?.status).toBe('COMPLETED');
    const launches = done.launches;
    expect(launches.every((launch) => launch.status === 'COMPLETED' && launch.attempt === 1)).toBe(true);
    expect(launches.map((launch) => launch.sampleId).sort()).toEqual(SAMPLES);
    expect(launches.every((launch) => launch.runId !== undefined)).toBe(true);
    expect(new Set(launches.map((launch) => launch.runId)).size).toBe(SAMPLES.length);
    expect(startRuns).toBe(SAMPLES.length);
    expect(stack.engine.runs()).toHaveLength(SAMPLES.length);
    expect((await stack.deps.batches.get(overwritten))?.status).toBe('REGISTERING');
    const stuck = (await stack.deps.launches.listByBatch(overwritten)).items;
    // written ready before the intake died, and never started: the launcher's gate left them alone
    expect(stuck).toHaveLength(2);
    expect(stuck.every((launch) => launch.status === 'QUEUED' && launch.runId === undefined)).toBe(true);
  });
});
