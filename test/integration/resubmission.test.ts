import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { renderNotice } from '../../domain/notifications.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import { sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const KEY = 'fc/needs-profile.json';

const alignProfile: WorkflowProfile = {
  name: 'align-lab',
  workflow: { id: '1234567', type: 'PRIVATE' },
  parameterTemplate: { reads: '{{sample.fastq1}}', sample: '{{sample.id}}' },
  defaults: { outputUri: 's3://lab-results/resubmit/' },
};

/** A manifest naming a profile the deployment does not have yet. */
function manifest() {
  return {
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'FC-RESUBMIT' },
    defaults: { profile: 'align-lab' },
    samples: sampleIds(3).map((id) => ({ id, inputs: { fastq1: `s3://lab-inputs/resubmit/${id}.fq.gz` } })),
  };
}

async function rejectedUpload(app: TestApp) {
  app.upload('lab-manifests', KEY, manifest());
  await app.onManifest(s3Put('lab-manifests', KEY));
  const [batch] = (await app.batches.listRecent({})).items;
  expect(batch).toMatchObject({ status: 'REJECTED', problems: [{ code: 'UNKNOWN_PROFILE' }] });
  expect(app.notices).toHaveLength(1);
  return batch?.batchId ?? '';
}

describe('a rejected manifest uploaded again unchanged', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('says in the rejection notice how to resubmit', async () => {
    app = await makeTestApp();
    await rejectedUpload(app);
    const [notice] = app.notices;
    if (!notice) throw new Error('no notice');
    expect(renderNotice(notice).text).toMatch(
      /upload the same file again to the same\nkey: it is checked again/,
    );
  });

  it('is registered and launched once the profile it named has been added', async () => {
    // Prepare
    app = await makeTestApp();
    const batchId = await rejectedUpload(app);
    await app.profiles.put(alignProfile);
    // Act: the same bytes uploaded again (the same event, as S3 sends it for a new PUT)
    await app.onManifest(s3Put('lab-manifests', KEY, 'v2'));
    await app.pump();
    // Assess: the same batch, now ACTIVE, its problems gone, every sample started once
    const batch = await app.batches.get(batchId);
    expect(batch).toMatchObject({ status: 'ACTIVE', sampleCount: 3, name: 'FC-RESUBMIT' });
    expect(batch?.problems).toBeUndefined();
    const launches = (await app.launches.listByBatch(batchId)).items;
    expect(launches.map((launch) => launch.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
    expect(app.omics.startRunCalls.map((call) => call.parameters)).toEqual(
      expect.arrayContaining([{ reads: 's3://lab-inputs/resubmit/S1.fq.gz', sample: 'S1' }]),
    );
    expect(app.omics.startRunCalls).toHaveLength(3);
    expect(app.telemetry.get(METRICS.manifestsAccepted)).toBe(1);
    // A further duplicate changes nothing
    await app.onManifest(s3Put('lab-manifests', KEY, 'v3'));
    await app.pump();
    expect(app.omics.startRunCalls).toHaveLength(3);
    expect((await app.batches.get(batchId))?.status).toBe('ACTIVE');
  });

  it('stays a quiet duplicate while it is still invalid: no second notice, nothing written', async () => {
    // Prepare
    app = await makeTestApp();
    const batchId = await rejectedUpload(app);
    const before = await app.batches.get(batchId);
    // Act
    await app.onManifest(s3Put('lab-manifests', KEY, 'v2'));
    // Assess
    expect(await app.batches.get(batchId)).toEqual(before);
    expect(app.notices).toHaveLength(1);
    expect(app.telemetry.get(METRICS.manifestsDuplicate)).toBe(1);
    expect(app.telemetry.get(METRICS.manifestsRejected)).toBe(1);
    expect((await app.launches.listByBatch(batchId)).items).toHaveLength(0);
  });
});
