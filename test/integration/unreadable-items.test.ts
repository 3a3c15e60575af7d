import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import { launchItemKey } from '../../functions/adapters/console-edit.js';
import { consoleEdit } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { movableClock } from '../support/movable-clock.js';
import { launchManifest, makeTestApp, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

const QC = {
  workflow: { id: '7777777' },
  outputUri: 's3://lab-results/unreadable/qc/',
  parameters: { outputs: '{{batch.sampleOutputUris}}' },
};

async function launched(app: TestApp, count: number, qc?: Record<string, unknown>) {
  const body = nativeManifest({ name: 'FC-BROKEN', folder: 'unreadable', sampleIds: sampleIds(count), qc });
  const { batchId, launches } = await launchManifest(app, 'fc/broken.json', body);
  return { batchId, launches: launches.sort((a, b) => a.sampleId.localeCompare(b.sampleId)) };
}

/** A console edit that breaks the item's schema: `parameters` turned into a string. */
function breakParameters(app: TestApp, launch: Launch) {
  return consoleEdit(app, launch, {
    UpdateExpression: 'SET #p = :p',
    ExpressionAttributeNames: { '#p': 'parameters' },
    ExpressionAttributeValues: { ':p': { S: 'sample_id=S2' } },
  });
}

async function rawNote(app: TestApp, launch: Launch): Promise<string | undefined> {
  const { pk, sk } = launchItemKey(app.entities, launch);
  const { Item } = await app.table.client.send(
    new GetItemCommand({
      TableName: app.table.tableName,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item?.note?.S;
}

describe('an item a console edit made unreadable', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('is left out of its page and reported, with a note on it, while the others are read', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await launched(app, 3);
    const broken = launches[1];
    if (!broken) throw new Error('no launch');
    await breakParameters(app, broken);
    // Act
    const page = await app.launches.listByBatch(batchId, { limit: 100 });
    // Assess
    expect(page.items.map((launch) => launch.sampleId).sort()).toEqual(['S1', 'S3']);
    expect(page.skipped).toEqual([
      expect.objectContaining({ id: broken.launchId, batchId, issues: expect.stringMatching(/parameters/) }),
    ]);
    expect(await rawNote(app, broken)).toMatch(/cannot read this launch .*parameters.*Correct the attribute/);
    await expect(app.launches.get(broken.batchId, broken.launchId)).rejects.toMatchObject({
      code: 'CORRUPT_ITEM',
    });
  });

  it('does not stop the reconciler: the other launches are repaired, this run and the next', async () => {
    // Prepare: three runs RUNNING; two finish in the engine with their events lost; S2 is broken
    const clock = movableClock();
    app = await makeTestApp({ now: clock.now });
    const { launches } = await launched(app, 3);
    for (const launch of launches) {
      for (const status of ['PENDING', 'STARTING', 'RUNNING'] as const) {
        await app.onRunStatus(app.omics.transition(launch.runId ?? '', status));
      }
    }
    const [s1, s2, s3] = launches;
    if (!s1 || !s2 || !s3) throw new Error('no launches');
    await breakParameters(app, s2);
    app.omics.transition(s1.runId ?? '', 'COMPLETED');
    clock.advance(7 * 60 * MINUTE);
    // Act
    const first = await app.reconcile();
    app.omics.transition(s3.runId ?? '', 'COMPLETED');
    clock.advance(7 * 60 * MINUTE);
    const second = await app.reconcile();
    // Assess
    expect(first.unreadable).toEqual([expect.objectContaining({ id: s2.launchId })]);
    expect(first.changes.map((change) => change.launchId)).toEqual([s1.launchId]);
    expect(second.changes.map((change) => change.launchId)).toEqual([s3.launchId]);
    expect((await app.launches.get(s1.batchId, s1.launchId))?.status).toBe('COMPLETED');
    expect((await app.launches.get(s3.batchId, s3.launchId))?.status).toBe('COMPLETED');
    expect(app.telemetry.get(METRICS.itemsUnreadable)).toBe(2);
  });

  it('does not block the stream consumers or QC: the batch goes on without it', async () => {
    // Prepare: S1 completed and counted, then broken in the console
    app = await makeTestApp();
    const { batchId, launches } = await launched(app, 2, QC);
    const [s1, s2] = launches;
    if (!s1 || !s2) throw new Error('no launches');
    await app.onRunStatus(app.omics.transition(s1.runId ?? '', 'COMPLETED'));
    await app.pump();
    await breakParameters(app, s1);
    // Act: S2 completes; its records and the broken item's record reach both consumers
    await app.onRunStatus(app.omics.transition(s2.runId ?? '', 'COMPLETED'));
    await app.pump();
    // Assess: nothing failed, S2 counted, QC started
    expect((await app.batches.get(batchId))?.counts).toMatchObject({ succeeded: 2 });
    const qcCalls = app.omics.startRunCalls.filter((call) => call.workflowId === '7777777');
    expect(qcCalls).toHaveLength(1);
    expect(app.telemetry.get(METRICS.itemsUnreadable)).toBeGreaterThanOrEqual(1);
    // Fixed by a person, it is read again
    await consoleEdit(app, s1, {
      UpdateExpression: 'SET #p = :p',
      ExpressionAttributeNames: { '#p': 'parameters' },
      ExpressionAttributeValues: { ':p': { M: { sample_id: { S: 'S1' } } } },
    });
    expect((await app.launches.get(s1.batchId, s1.launchId))?.status).toBe('COMPLETED');
  });
});
