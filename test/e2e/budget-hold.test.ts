import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Batch, NO_COUNTS } from '../../domain/batch.js';
import type { Notice } from '../../domain/notifications.js';
import { editBatchItem, setBudgetEdit } from '../../functions/adapters/console-edit.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { waitForBatch } from '../../infra/local/wait.js';
import { startTempStack, stopTempStack } from '../support/e2e-stack.js';
import { aBatch, aPricedRun } from '../support/launch-factory.js';

const SAMPLES = ['S1', 'S2', 'S3'];
const HISTORY = 6;

/**
 * Completed, priced runs of fastq-stats 1.0.0 from an earlier batch that has finished and counted
 * them (its outcome marks written), so they are history and nothing more: about $2 a run.
 */
async function seedHistory(stack: LocalStack): Promise<void> {
  const earlier: Batch = aBatch({
    batchId: 'earlier0000000000001',
    name: 'EARLIER',
    status: 'COMPLETED',
    sampleCount: HISTORY,
    releasedCount: HISTORY,
    counts: { ...NO_COUNTS, succeeded: HISTORY },
    notifiedRound: 1,
    notificationState: 'SENT',
  });
  await stack.deps.batches.create(earlier);
  const launches = Array.from({ length: HISTORY }, (_, i) =>
    aPricedRun(i, {
      batchId: earlier.batchId,
      costUsd: 1.8 + 0.1 * i,
      workflowId: '4821093',
      minutes: 2,
      cost: { priceList: 'e2e' },
      overrides: { batchName: 'EARLIER', workflowVersion: '1.0.0' },
    }),
  );
  for (const launch of launches) {
    await stack.deps.entities.outcome
      .put({
        batchId: launch.batchId,
        launchId: launch.launchId,
        attempt: 1,
        outcome: 'succeeded',
        updatedAt: launch.finishedAt ?? '',
        revision: 1,
      })
      .go();
  }
  await stack.deps.launches.putMany(launches);
}

describe('the embedded runtime holds a batch over its budget', () => {
  let stack: LocalStack;
  let stateDir: string;
  let startRuns = 0;
  const notices: Notice[] = [];

  beforeAll(async () => {
    ({ stack, stateDir } = await startTempStack('gwm-e2e-budget-', {
      persist: false,
      onNotice: (notice) => notices.push(notice),
      onEngineRequest: (operation) => {
        if (operation === 'StartRun') startRuns++;
      },
    }));
  });
  afterAll(() => stopTempStack(stack, stateDir));

  it('launches nothing until a one-attribute edit raises the budget, then runs each sample once', async () => {
    // Prepare: history, inputs, and a manifest of 3 samples (about $6) with a budget of $3
    await seedHistory(stack);
    await stack.settle();
    const { manifestBucket, inputBucket, outputBucket } = stack.endpoints;
    for (const id of SAMPLES) {
      const reads = `@${id}:1\nACGTACGTNN\n+\nIIIIIIIIII\n`;
      await stack.s3.send(
        new PutObjectCommand({ Bucket: inputBucket, Key: `HELD/${id}_R1.fastq`, Body: reads }),
      );
    }
    const manifest = {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC-HELD' },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${outputBucket}/HELD/` },
      samples: SAMPLES.map((id) => ({ id, inputs: { fastq1: `s3://${inputBucket}/HELD/${id}_R1.fastq` } })),
      budget: { maxUsd: 3 },
    };

    // Act: upload; the intake estimates and holds; a reconciler run leaves it held
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: manifestBucket,
        Key: 'manifests/held.json',
        Body: JSON.stringify(manifest),
      }),
    );
    await stack.settle();
    await stack.reconcile();
    await stack.settle();

    // Assess
    const [held] = (await stack.deps.batches.listHeld()).items.filter((batch) => batch.name === 'FC-HELD');
    expect(held?.status).toBe('HELD_OVER_BUDGET');
    expect(held?.estimate?.samplesEstimated).toBe(3);
    expect(held?.estimate?.costUsd?.expected).toBeGreaterThan(3);
    expect(startRuns).toBe(0);
    expect(notices.filter((notice) => notice.kind === 'batch-held')).toHaveLength(1);
    if (!held) return;

    // Act: the console edit, then the reconciler's run
    await editBatchItem(
      { client: stack.dynamo, tableName: stack.endpoints.tableName, entities: stack.deps.entities },
      held.batchId,
      setBudgetEdit(10),
    );
    await stack.reconcile();
    await stack.settle();

    // Assess: released and run to the end, one run per sample
    const done = await waitForBatch(stack.deps, held.batchId, { timeoutMs: 90_000 });
    expect(done.batch?.status).toBe('COMPLETED');
    expect(done.launches.every((launch) => launch.status === 'COMPLETED' && launch.attempt === 1)).toBe(true);
    expect(startRuns).toBe(SAMPLES.length);
    expect(stack.engine.runs()).toHaveLength(SAMPLES.length);
  });
});
