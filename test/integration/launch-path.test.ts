import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const seed = JSON.parse(
  readFileSync(new URL('../fixtures/manifest-seed-format.json', import.meta.url), 'utf8'),
);

function sampleManifest(count: number) {
  return {
    flowcellSamples: Array.from({ length: count }, (_, i) => ({
      sampleId: `S${String(i + 1).padStart(3, '0')}`,
      fastqFileRef: `s3://lab-samples-fastq/FC1/S${i + 1}_R1.fastq.gz`,
      ahoSampleWorkflowId: '9876543',
      OutputS3path: 's3://lab-results/FC1/',
    })),
  };
}

describe('launch path', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('launches every sample of an uploaded seed-format manifest once and records its run', async () => {
    // Prepare
    app = await makeTestApp();
    app.upload('lab-manifests', 'flowcells/HK3H3BBXY.json', seed);
    // Act
    await app.onManifest(s3Put('lab-manifests', 'flowcells/HK3H3BBXY.json'));
    await app.pump();
    // Assess
    const batches = await app.batches.listRecent({});
    expect(batches.items).toHaveLength(1);
    const batch = batches.items[0];
    expect(batch).toMatchObject({ status: 'ACTIVE', sampleCount: 3, format: 'seed' });
    const launches = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    expect(launches.map((launch) => launch.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
    expect(new Set(launches.map((launch) => launch.runId)).size).toBe(3);
    expect(app.omics.startRunCalls).toHaveLength(3);
    const call = app.omics.startRunCalls.find((input) => input.tags?.['gwm:sample-id'] === 'NA12878-L001');
    expect(call).toMatchObject({
      requestId: `${batch?.batchId}/NA12878-L001/1`,
      workflowId: '9876543',
      workflowType: 'PRIVATE',
      roleArn: 'arn:aws:iam::123456789012:role/gwm-omics-service',
      outputUri: 's3://lab-results/HK3H3BBXY/',
      storageType: 'DYNAMIC',
      tags: {
        'gwm:batch-id': batch?.batchId,
        'gwm:attempt': '1',
        'gwm:launch-id': `${batch?.batchId}/NA12878-L001`,
      },
    });
    expect(call?.name).toMatch(/-NA12878-L001-1$/);
    expect(app.telemetry.get(METRICS.runsStarted)).toBe(3);
    expect(app.telemetry.get(METRICS.launchesRegistered)).toBe(3);
  });

  it('starts one run per launch when the S3 event comes 3 times and every stream record twice', async () => {
    // Prepare
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/FC1.json', sampleManifest(12));
    // Act
    for (let i = 0; i < 3; i++) await app.onManifest(s3Put('lab-manifests', 'fc/FC1.json'));
    await app.pump({ times: 2 });
    // Assess
    expect(app.omics.startRunCalls).toHaveLength(12);
    expect(app.omics.runsCreated()).toBe(12);
    expect((await app.batches.listRecent({})).items).toHaveLength(1);
    expect(app.telemetry.get(METRICS.manifestsDuplicate)).toBe(2);
  });

  it('treats a re-upload of identical content as the same batch', async () => {
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/FC1.json', sampleManifest(2));
    await app.onManifest(s3Put('lab-manifests', 'fc/FC1.json', 'v1'));
    await app.onManifest(s3Put('lab-manifests', 'fc/FC1.json', 'v2'));
    await app.pump();
    expect((await app.batches.listRecent({})).items).toHaveLength(1);
    expect(app.omics.startRunCalls).toHaveLength(2);
  });

  it('starts one run when two launcher invocations race on the same record', async () => {
    // Prepare
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/race.json', sampleManifest(1));
    await app.onManifest(s3Put('lab-manifests', 'fc/race.json'));
    const records = (await app.readStream()).filter(
      (record) => record.dynamodb?.NewImage?.status?.S === 'QUEUED',
    );
    expect(records).toHaveLength(1);
    // Act
    const results = await Promise.all([
      app.launcherHandler({ Records: records }),
      app.launcherHandler({ Records: records }),
    ]);
    // Assess
    expect(results.every((result) => result.batchItemFailures.length === 0)).toBe(true);
    expect(app.omics.startRunCalls).toHaveLength(1);
    const [launch] = (await app.launches.listByBatch(records[0]?.dynamodb?.NewImage?.batchId?.S ?? '')).items;
    expect(launch?.status).toBe('SUBMITTED');
  });

  it('registers nothing, and does not ask for a retry, when the object was deleted before it was read', async () => {
    app = await makeTestApp();
    await expect(app.onManifest(s3Put('lab-manifests', 'fc/deleted.json'))).resolves.toBeUndefined();
    expect((await app.batches.listRecent({})).items).toHaveLength(0);
  });

  it('ignores the S3 test event and decodes form-encoded keys', async () => {
    app = await makeTestApp();
    const testEvent = JSON.parse(
      readFileSync(new URL('../fixtures/s3-test-event.json', import.meta.url), 'utf8'),
    );
    await app.onManifest(testEvent);
    const encoded = JSON.parse(
      readFileSync(new URL('../fixtures/s3-put-manifest-encoded-key.json', import.meta.url), 'utf8'),
    );
    app.upload('lab-manifests', 'manifests/team a/flowcell HK3H3BBXY (2026-11-20).json', seed);
    await app.onManifest(encoded);
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.sourceUri).toBe('s3://lab-manifests/manifests/team a/flowcell HK3H3BBXY (2026-11-20).json');
    expect(batch?.name).toBe('flowcell-HK3H3BBXY-2026-11-20');
  });
});
