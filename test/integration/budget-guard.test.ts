import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { editBatchItem, setBudgetEdit, setStatusEdit } from '../../functions/adapters/console-edit.js';
import { aPricedRun } from '../support/launch-factory.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const GB = 1024 ** 3;
const WORKFLOW = '1234567';

/** Completed, priced runs of the workflow from an earlier batch: $1 per input GB, give or take 10%. */
function history(count: number): Launch[] {
  return Array.from({ length: count }, (_, i) => {
    const gb = 2 + i;
    const factor = 0.9 + (i % 3) * 0.1;
    return aPricedRun(i, {
      costUsd: gb * factor,
      workflowId: WORKFLOW,
      minutes: 60,
      cost: { taskCount: 4, instanceHours: { 'omics.c.large': 1 } },
      overrides: { inputBytes: gb * GB },
    });
  });
}

/** A manifest of `count` samples of 10 GB each (the last one of another workflow, without history). */
function heldManifest(app: TestApp, key: string, count: number, budget?: number) {
  const manifest = nativeManifest({ name: 'FC-BUDGET', folder: key, sampleIds: sampleIds(count) });
  const last = manifest.samples.at(-1);
  if (last) Object.assign(last, { workflow: { id: '7777777', type: 'PRIVATE' } });
  for (const sample of manifest.samples) app.inputSizes.set(sample.inputs.fastq1, 10 * GB);
  app.upload(
    'lab-manifests',
    `${key}.json`,
    budget === undefined ? manifest : { ...manifest, budget: { maxUsd: budget } },
  );
}

async function heldBatch(app: TestApp, key: string) {
  const [batch] = (await app.batches.listRecent({})).items.filter((item) =>
    item.sourceUri.endsWith(`${key}.json`),
  );
  if (!batch) throw new Error(`no batch for ${key}`);
  return batch;
}

/** Earlier runs written straight to the table; their stream records are not this test's (no batch item). */
async function seedHistory(app: TestApp) {
  await app.launches.putMany(history(8));
  await app.readStream();
}

describe('budget guard', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('holds a batch over its budget, launches nothing, and releases each sample once when the budget is raised', async () => {
    // Prepare: history of the workflow; 4 samples of 10 GB (about $10 each), 1 without history, budget $20
    app = await makeTestApp();
    await seedHistory(app);
    heldManifest(app, 'fc-held', 5, 20);

    // Act: the upload, the stream, and a reconciler run that resumes any stalled registration at once
    await app.onManifest(s3Put('lab-manifests', 'fc-held.json'));
    await app.pump({ times: 2 });
    await app.reconcile({}, { quietForMs: 0 });
    await app.pump();

    // Assess: held with its estimate, launches REGISTERED with theirs, no run, one notice
    const held = await heldBatch(app, 'fc-held');
    expect(held.status).toBe('HELD_OVER_BUDGET');
    expect(held.budgetMaxUsd).toBe(20);
    expect(held.estimate?.samplesEstimated).toBe(4);
    expect(held.estimate?.samplesWithoutHistory).toBe(1);
    expect(held.estimate?.costUsd?.expected).toBeGreaterThan(30);
    expect(held.estimate?.costUsd?.expected).toBeLessThan(50);
    const launches = (await app.launches.listByBatch(held.batchId)).items;
    expect(launches.every((launch) => launch.status === 'REGISTERED')).toBe(true);
    expect(launches.every((launch) => launch.inputBytes === 10 * GB)).toBe(true);
    expect(launches.find((launch) => launch.sampleId === 'S5')?.estimate).toEqual({
      basedOnRuns: 0,
      inputBytes: 10 * GB,
    });
    expect(launches.find((launch) => launch.sampleId === 'S1')?.estimate?.basedOnRuns).toBe(8);
    expect(app.omics.startRunCalls).toHaveLength(0);
    const notices = app.notices.filter((notice) => notice.kind === 'batch-held');
    expect(notices).toHaveLength(1);
    const { renderNotice } = await import('../../domain/notifications.js');
    const text = notices[0] ? renderNotice(notices[0]).text : '';
    expect(text).toContain('Budget:    $20.00');
    expect(text).toContain('1 sample has no history');
    expect(text).toContain(`gwm release ${held.batchId}`);

    // Act: a person raises the budget in the console; the reconciler's next run releases the batch
    await editBatchItem(
      { client: app.table.client, tableName: app.table.tableName, entities: app.entities },
      held.batchId,
      setBudgetEdit(100),
    );
    const result = await app.reconcile();
    await app.pump({ times: 2 });
    await app.reconcile();
    await app.pump();

    // Assess: released like any registration, each sample started once
    expect(result.held.released).toEqual([{ batchId: held.batchId, released: 5 }]);
    const released = await app.batches.get(held.batchId);
    expect(released?.status).toBe('ACTIVE');
    expect(released?.releasedAt).toBeDefined();
    const started = app.omics.startRunCalls.map((call) => call.name);
    expect(started).toHaveLength(5);
    expect(new Set(started).size).toBe(5);
  });

  it('rejects a held batch when a person sets its status to REJECTED, and launches nothing', async () => {
    // Prepare
    app = await makeTestApp();
    await seedHistory(app);
    heldManifest(app, 'fc-reject', 3, 5);
    await app.onManifest(s3Put('lab-manifests', 'fc-reject.json'));
    const held = await heldBatch(app, 'fc-reject');
    expect(held.status).toBe('HELD_OVER_BUDGET');

    // Act
    await editBatchItem(
      { client: app.table.client, tableName: app.table.tableName, entities: app.entities },
      held.batchId,
      setStatusEdit('REJECTED'),
    );
    const result = await app.reconcile();
    await app.pump();

    // Assess
    expect(result.held.rejected).toEqual([held.batchId]);
    const rejected = await app.batches.get(held.batchId);
    expect(rejected?.status).toBe('REJECTED');
    expect(rejected?.problems?.[0]).toMatchObject({ path: '$.budget.maxUsd', code: 'OVER_BUDGET' });
    expect((await app.batches.listHeld()).items).toEqual([]);
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('launches a batch within its budget at once, with the estimate on the batch', async () => {
    // Prepare
    app = await makeTestApp();
    await seedHistory(app);
    heldManifest(app, 'fc-within', 2, 1_000);

    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc-within.json'));
    await app.pump();

    // Assess
    const batch = await heldBatch(app, 'fc-within');
    expect(batch.status).toBe('ACTIVE');
    expect(batch.estimate?.samplesEstimated).toBe(1);
    expect(app.omics.startRunCalls).toHaveLength(2);
    expect(app.notices.filter((notice) => notice.kind === 'batch-held')).toEqual([]);
  });
});
