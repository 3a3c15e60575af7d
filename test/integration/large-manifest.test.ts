import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { LaunchStatus } from '../../domain/launch.js';
import { STATUS_SHARD_IDS } from '../../functions/adapters/status-shards.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

/**
 * Many chunks, each written and released on its own: 1,000 samples in chunks of 125. The 10,000-sample
 * registration (its throughput, memory and completeness) is `npm run bench:register`'s.
 */
const SAMPLES = 1_000;

/** Counts what an ElectroDB query would return, without reading the items into memory. */
async function count(app: TestApp, params: QueryCommandInput): Promise<number> {
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await app.table.doc.send(
      new QueryCommand({ ...params, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    total += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
}

/** Launches in a status: its partitions in the status index, all of them. */
async function countInStatus(app: TestApp, status: LaunchStatus): Promise<number> {
  let total = 0;
  for (const statusShard of STATUS_SHARD_IDS) {
    total += await count(app, app.entities.launch.query.byStatus({ status, statusShard }).params());
  }
  return total;
}

describe('a manifest registered in many chunks', () => {
  let app: TestApp;
  afterAll(async () => app?.dispose());

  it('registers completely: every launch written once and released, the batch ACTIVE', async () => {
    // Prepare
    app = await makeTestApp({ intake: { chunkSize: 125 } });
    app.upload('lab-manifests', 'cohorts/big.json', {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'COHORT-10K' },
      defaults: { workflow: { id: '1234567' }, outputUri: 's3://lab-results/cohort/' },
      samples: Array.from({ length: SAMPLES }, (_, i) => ({
        id: `P${String(i).padStart(5, '0')}`,
        inputs: {
          fastq1: `s3://lab-inputs/cohort/P${i}_R1.fastq.gz`,
          fastq2: `s3://lab-inputs/cohort/P${i}_R2.fastq.gz`,
        },
      })),
    });
    // Act: delivered twice, as S3 may
    await app.onManifest(s3Put('lab-manifests', 'cohorts/big.json'));
    await app.onManifest(s3Put('lab-manifests', 'cohorts/big.json'));
    // Assess
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch).toMatchObject({ status: 'ACTIVE', sampleCount: SAMPLES, releasedCount: SAMPLES });
    const batchId = batch?.batchId ?? '';
    const inBatch = app.entities.launch.query.byBatch({ batchId }).params();
    expect(await count(app, inBatch)).toBe(SAMPLES);
    expect(await countInStatus(app, 'QUEUED')).toBe(SAMPLES);
    expect(await countInStatus(app, 'REGISTERED')).toBe(0);
  });
});
