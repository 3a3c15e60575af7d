import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchStatus } from '../../domain/batch.js';
import { METRICS } from '../../domain/metrics.js';
import { registerManifest } from '../../domain/use-cases/intake.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { launchManifest, makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const KEY = 'fc/finished.json';
const QC = {
  workflow: { id: '7777777' },
  outputUri: 's3://lab-results/finished/qc/',
  parameters: { outputs: '{{batch.sampleOutputUris}}' },
};

/** Every item of the test's own table, keyed by pk/sk, as stored. */
async function tableItems(app: TestApp): Promise<Map<string, Record<string, unknown>>> {
  const items = new Map<string, Record<string, unknown>>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await app.table.doc.send(
      new ScanCommand({ TableName: app.table.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.set(`${item.pk}\n${item.sk}`, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

interface Finish {
  samples: number;
  failing: number;
  qc?: Record<string, unknown>;
  /** Let the QC run finish too (QC_RUNNING otherwise). */
  finishQc: boolean;
}

/** Uploads a manifest, runs every sample to its end and the batch to `expected`. */
async function finishedBatch(app: TestApp, finish: Finish, expected: BatchStatus) {
  const ids = sampleIds(finish.samples);
  const manifest = nativeManifest({ name: 'FC-FINISHED', folder: 'finished', sampleIds: ids, qc: finish.qc });
  const { batchId, launches } = await launchManifest(app, KEY, manifest);
  for (const [index, launch] of launches.entries()) {
    const fails = index < finish.failing;
    await app.onRunStatus(app.omics.transition(launch.runId ?? '', 'RUNNING'));
    await app.onRunStatus(
      app.omics.transition(launch.runId ?? '', fails ? 'FAILED' : 'COMPLETED', {
        ...(fails && { failureReason: 'Task align failed' }),
      }),
    );
  }
  await app.pump();
  if (finish.finishQc) {
    const qc = await app.launches.get(batchId, `${batchId}/_qc`);
    if (!qc?.runId) throw new Error('QC not started');
    await app.onRunStatus(app.omics.transition(qc.runId, 'COMPLETED'));
    await app.pump();
  }
  const done = await app.batches.get(batchId);
  expect(done?.status).toBe(expected);
  return { batchId, text: JSON.stringify(manifest) };
}

describe('a manifest delivered again after its batch moved on', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it.each([
    ['COMPLETED', { samples: 3, failing: 0, finishQc: false }],
    ['COMPLETED_WITH_FAILURES', { samples: 3, failing: 1, finishQc: false }],
    ['FAILED', { samples: 2, failing: 2, finishQc: false }],
    ['QC_RUNNING', { samples: 3, failing: 0, qc: QC, finishQc: false }],
    ['COMPLETED', { samples: 3, failing: 0, qc: QC, finishQc: true }],
  ] as const)('changes nothing when the batch is %s (%o)', async (status, finish) => {
    // Prepare
    app = await makeTestApp();
    const { batchId, text } = await finishedBatch(app, finish, status);
    const before = await tableItems(app);
    const runsBefore = app.omics.startRunCalls.length;
    const noticesBefore = app.notices.length;
    const duplicatesBefore = app.telemetry.get(METRICS.manifestsDuplicate);

    // Act: the same S3 event again, then the identical bytes uploaded again (a second event)
    await app.onManifest(s3Put('lab-manifests', KEY));
    const outcome = await registerManifest(
      { ...app.intake, owner: 'late-event' },
      { bucket: 'lab-manifests', key: KEY, sizeBytes: Buffer.byteLength(text), text, eTag: 'etag-2' },
    );
    await app.pump({ times: 2 });

    // Assess: every item byte for byte, no run, no notice, counted as a duplicate
    expect(outcome).toMatchObject({ kind: 'duplicate', batch: { batchId, status } });
    const after = await tableItems(app);
    expect(after).toEqual(before);
    const launch = [...after.values()].find((item) => item.launchId === `${batchId}/S1`);
    expect(launch).toMatchObject({ attempt: 1, runId: expect.any(String) });
    expect(launch?.status).not.toBe('REGISTERED');
    expect(app.omics.startRunCalls).toHaveLength(runsBefore);
    expect(app.notices).toHaveLength(noticesBefore);
    expect(app.telemetry.get(METRICS.manifestsDuplicate)).toBe(duplicatesBefore + 1);
  });
});
