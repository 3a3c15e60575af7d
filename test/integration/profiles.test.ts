import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowProfile } from '../../domain/workflow.js';
import { consoleEdit } from '../support/console-edit.js';
import { ALLOWED_READ, ALLOWED_WRITE, makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const fastqStats: WorkflowProfile = {
  name: 'fastq-stats',
  description: 'Per-sample FASTQ statistics',
  workflow: { id: '7654321', type: 'PRIVATE', version: '1.2.0' },
  parameterTemplate: {
    reads1: '{{sample.fastq1}}',
    reads2: '{{sample.fastq2}}',
    sample_name: '{{sample.id}}',
    label: '{{batch.name}}/{{sample.id}}',
  },
  defaults: { storageType: 'STATIC', storageCapacity: 1200, parameters: { min_quality: 10, threads: 4 } },
};

describe('workflow profiles', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it("builds each run's parameters from the profile's template, defaults and the manifest's overrides", async () => {
    // Prepare: the example flowcell manifest, with its buckets mapped onto the test's allowed prefixes
    app = await makeTestApp({
      intake: {
        allowedReadPrefixes: [...ALLOWED_READ, 's3://gwm-lab-inputs/'],
        allowedWritePrefixes: [...ALLOWED_WRITE, 's3://gwm-lab-results/'],
      },
    });
    await app.profiles.put(fastqStats);
    await app.profiles.put({
      ...fastqStats,
      name: 'fastq-qc-report',
      parameterTemplate: { outputs: '{{batch.sampleOutputUris}}' },
    });
    const example = readFileSync(
      new URL('../../examples/manifests/flowcell-native.json', import.meta.url),
      'utf8',
    );
    app.upload('lab-manifests', 'fc/HK3H3BBXY.json', example);
    // Act
    await app.onManifest(s3Put('lab-manifests', 'fc/HK3H3BBXY.json'));
    await app.pump();
    // Assess
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch).toMatchObject({ status: 'ACTIVE', name: 'HK3H3BBXY', team: 'default', priority: 'normal' });
    const call = app.omics.startRunCalls.find((input) => input.tags?.['gwm:sample-id'] === 'NA12878');
    expect(call).toMatchObject({
      workflowId: '7654321',
      workflowVersionName: '1.2.0',
      storageType: 'DYNAMIC',
      priority: 10,
      outputUri: 's3://gwm-lab-results/HK3H3BBXY/',
      parameters: {
        reads1: 's3://gwm-lab-inputs/HK3H3BBXY/NA12878_S1_L001_R1_001.fastq.gz',
        reads2: 's3://gwm-lab-inputs/HK3H3BBXY/NA12878_S1_L001_R2_001.fastq.gz',
        sample_name: 'NA12878',
        label: 'HK3H3BBXY/NA12878',
        min_quality: 30,
        threads: 4,
      },
      tags: { project: 'reference-trios', flowcell: 'HK3H3BBXY', control: 'true' },
    });
    // STATIC capacity from the profile is dropped because the manifest asks for DYNAMIC storage
    expect(call?.storageCapacity).toBeUndefined();
    expect(app.omics.startRunCalls).toHaveLength(batch?.sampleCount ?? -1);
  });

  it('relaunches with the parameters a person edited before setting RETRY', async () => {
    // Prepare: a launched sample whose run failed
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/edit.json', {
      schemaVersion: 'gwm.manifest/v1',
      defaults: {
        workflow: { id: '1234567' },
        outputUri: 's3://lab-results/edit/',
        parameters: { min_quality: 20 },
      },
      samples: [{ id: 'S1', inputs: { fastq1: 's3://lab-inputs/edit/S1.fastq.gz' } }],
    });
    await app.onManifest(s3Put('lab-manifests', 'fc/edit.json'));
    await app.pump();
    const [launch] = (await app.launches.listBySample('S1')).items;
    if (!launch?.runId) throw new Error('not launched');
    await app.onRunStatus(
      app.omics.transition(launch.runId, 'FAILED', { failureReason: 'quality too strict' }),
    );
    // Act: the console edit, parameters first, then status
    await consoleEdit(app, launch, {
      UpdateExpression: 'SET #p.min_quality = :q, #s = :retry',
      ExpressionAttributeNames: { '#s': 'status', '#p': 'parameters' },
      ExpressionAttributeValues: { ':q': { N: '5' }, ':retry': { S: 'RETRY' } },
    });
    await app.pump();
    // Assess
    expect(app.omics.startRunCalls.map((call) => call.parameters)).toEqual([
      expect.objectContaining({ min_quality: 20 }),
      expect.objectContaining({ min_quality: 5 }),
    ]);
    expect(app.omics.startRunCalls[1]?.requestId).toBe(`${launch.launchId}/2`);
  });
});
