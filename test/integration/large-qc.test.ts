import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_COUNTS } from '../../domain/batch.js';
import { QC_PARAMETERS_MAX_BYTES } from '../../domain/completion.js';
import type { Launch } from '../../domain/launch.js';
import type { QcLaunchSpec } from '../../domain/manifest/types.js';
import type { BatchCompletedNotice } from '../../domain/notifications.js';
import { aggregateCompletion } from '../../domain/use-cases/aggregator.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';
import { makeTestApp, type TestApp } from '../support/test-app.js';

/** Enough launches that listing them takes several DynamoDB pages (1 MB each). */
const SAMPLES = 3_000;

function qcSpec(parameterTemplate: Record<string, unknown>): QcLaunchSpec {
  return {
    workflow: { id: '7777777', type: 'PRIVATE' },
    outputUri: 's3://lab-results/cohort/qc/',
    storageType: 'DYNAMIC',
    tags: {},
    inputs: {},
    parameterTemplate,
    policy: { kind: 'all-succeeded' },
    rerunOnRetry: true,
  };
}

/**
 * A batch (3,000 samples by default) whose samples all completed, one outcome left to count: each run output
 * URI is 80 bytes by default, as a lab's would be (`s3://bucket/project/cohort/sample/<run id>/`).
 */
async function settledCohort(
  app: TestApp,
  batchId: string,
  parameterTemplate: Record<string, unknown>,
  samples = SAMPLES,
  uriBytes = 80,
) {
  const batch = aBatch({
    batchId,
    name: 'COHORT',
    sampleCount: samples,
    releasedCount: samples,
    counts: { ...NO_COUNTS, succeeded: samples - 1 },
    qc: qcSpec(parameterTemplate),
    qcState: 'WAITING',
  });
  expect(await app.batches.create(batch)).toBe('written');
  const launches: Launch[] = [];
  for (let i = 0; i < samples; i++) {
    const sampleId = `SAMPLE-${String(i).padStart(6, '0')}`;
    const runOutputUri = `s3://lab-results/wgs-project-2026/cohort-000017/${sampleId}/${String(4_000_000 + i)}/`;
    launches.push(
      aLaunch({
        batchId,
        launchId: `${batchId}/${sampleId}`,
        sampleId,
        batchName: 'COHORT',
        status: 'COMPLETED',
        runId: String(4_000_000 + i),
        runOutputUri: runOutputUri.padEnd(uriBytes, 'x'),
      }),
    );
  }
  await app.launches.putMany(launches);
  return launches[samples - 1] as Launch;
}

const itemBytes = (launch: Launch) =>
  JSON.stringify(marshall(launch, { removeUndefinedValues: true })).length;

describe('the QC launch of a large batch', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('stays a small item: the sample outputs go to a list file the QC parameters point at', async () => {
    // Prepare
    app = await makeTestApp();
    const last = await settledCohort(app, 'cohort-list', { samples: '{{batch.sampleOutputsListUri}}' });
    // Act: the last outcome is counted
    await aggregateCompletion(app.completion, last);
    // Assess: QC queued, with the list's URI; the list holds every output, one per line
    const qc = await app.launches.get('cohort-list', 'cohort-list/_qc');
    const listUri = 's3://lab-results/cohort/qc/gwm/cohort-list/qc-1/sample-outputs.txt';
    expect(qc).toMatchObject({ status: 'QUEUED', attempt: 1, parameters: { samples: listUri } });
    expect(itemBytes(qc as Launch)).toBeLessThan(4_000);
    const lines = (app.written.get(listUri) ?? '').split('\n').filter(Boolean);
    expect(lines).toHaveLength(SAMPLES);
    expect(lines[0]).toMatch(/^s3:\/\/lab-results\/wgs-project-2026\/cohort-000017\/SAMPLE-000000\//);
    expect(await app.batches.get('cohort-list')).toMatchObject({ status: 'QC_RUNNING', qcAttempt: 1 });
  });

  it('ends QC FAILED with the reason, and the batch notified, when 1,000 outputs of 300 bytes are asked for inline', async () => {
    // Prepare: 1,000 URIs of 300 bytes inline are over the QC parameters' bound
    app = await makeTestApp();
    const last = await settledCohort(
      app,
      'cohort-inline',
      { samples: '{{batch.sampleOutputUris}}' },
      1_000,
      300,
    );
    // Act: the last outcome is counted, then the QC launch's record reaches the aggregator
    await aggregateCompletion(app.completion, last);
    await aggregateCompletion(app.completion, { batchId: 'cohort-inline', launchId: 'cohort-inline/_qc' });
    // Assess: the QC launch is written (small) as a QC that could not start; the batch finishes
    const qc = await app.launches.get('cohort-inline', 'cohort-inline/_qc');
    expect(qc).toMatchObject({
      status: 'LAUNCH_FAILED',
      parameters: { samples: '{{batch.sampleOutputUris}}' },
    });
    expect(qc?.failureReason).toMatch(/would be \d+ KB .*batch\.sampleOutputsListUri/);
    expect(itemBytes(qc as Launch)).toBeLessThan(QC_PARAMETERS_MAX_BYTES);
    expect(app.omics.startRunCalls).toHaveLength(0);
    expect(await app.batches.get('cohort-inline')).toMatchObject({
      status: 'FAILED',
      qcState: 'FAILED',
      notifiedRound: 1,
      notificationState: 'SENT',
    });
    const notices = app.notices.filter((n): n is BatchCompletedNotice => n.kind === 'batch-completed');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.qc.failureReason).toMatch(/sampleOutputsListUri/);
  });
});
