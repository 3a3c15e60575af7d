import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { RUN_TAGS } from '../../domain/run-request.js';
import { uploadExampleInputs } from '../../examples/example-inputs.js';
import { readOutbox } from '../../infra/local/notifications/outbox-notifier.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { finishedAndNotified, waitForBatch } from '../../infra/local/wait.js';
import { startTempStack, stopTempStack } from '../support/e2e-stack.js';

/** `count` well-formed records; the numbers a correct FASTQ reader must report are easy to work out. */
function fastq(sample: string, count: number, sequence = 'ACGTACGTNN'): string {
  let text = '';
  for (let index = 1; index <= count; index += 1) {
    text += `@${sample}:${index}\n${sequence}\n+\n${'I'.repeat(sequence.length)}\n`;
  }
  return text;
}

/** The third record's quality line is one character short. */
function corruptFastq(sample: string): string {
  const good = fastq(sample, 2);
  return `${good}@${sample}:3\nACGTACGTAC\n+\nIIIIIIIII\n${fastq(sample, 2)}`;
}

interface QcReport {
  samples: Array<{ sample: string; reads: number; bases: number }>;
}

describe('a flowcell on the embedded runtime', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    ({ stack, stateDir } = await startTempStack('gwm-e2e-'));
  });
  afterAll(() => stopTempStack(stack, stateDir));

  async function put(bucket: string, key: string, body: string | Buffer) {
    await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  /** Uploads examples/manifests/<file> unchanged under `key` and waits until its batch has finished. */
  async function runExample(file: string, key: string) {
    const { manifestBucket } = stack.endpoints;
    const text = await readFile(new URL(`../../examples/manifests/${file}`, import.meta.url), 'utf8');
    await put(manifestBucket, key, text);
    const batchId = batchIdFor(manifestBucket, key, sha256Hex(text));
    return waitForBatch(stack.deps, batchId, { timeoutMs: 150_000 });
  }

  async function readJson<T>(uri: string): Promise<T> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!match) throw new Error(`not an s3 URI: ${uri}`);
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    return JSON.parse((await object.Body?.transformToString()) ?? 'null') as T;
  }

  it('runs every sample, fails the corrupt one with its reason, runs QC once, and re-runs after a console retry', async () => {
    // Prepare: four paired samples in the input bucket, read counts 3, 5 and 7, and one corrupt R1
    const { inputBucket, outputBucket, manifestBucket, tableName } = stack.endpoints;
    const reads: Record<string, number> = { S1: 3, S2: 5, S3: 7 };
    const uri = (key: string) => `s3://${inputBucket}/${key}`;
    for (const [sample, count] of Object.entries(reads)) {
      await put(inputBucket, `run1/${sample}_R1.fastq.gz`, gzipSync(fastq(sample, count)));
      await put(inputBucket, `run1/${sample}_R2.fastq`, fastq(sample, count, 'GGCCAATTGG'));
    }
    await put(inputBucket, 'run1/S4_R1.fastq.gz', gzipSync(corruptFastq('S4')));
    await put(inputBucket, 'run1/S4_R2.fastq.gz', gzipSync(fastq('S4', 5)));
    const manifest = `${JSON.stringify(
      {
        schemaVersion: 'gwm.manifest/v1',
        batch: { name: 'e2e-flowcell' },
        defaults: { profile: 'fastq-stats', outputUri: `s3://${outputBucket}/e2e/` },
        samples: ['S1', 'S2', 'S3', 'S4'].map((id) => ({
          id,
          inputs: {
            fastq1: uri(`run1/${id}_R1.fastq.gz`),
            fastq2: uri(id === 'S4' ? 'run1/S4_R2.fastq.gz' : `run1/${id}_R2.fastq`),
          },
        })),
        qc: {
          profile: 'fastq-qc-report',
          outputUri: `s3://${outputBucket}/e2e/qc/`,
          policy: 'min-succeeded-fraction',
          minSucceededFraction: 0.5,
          rerunOnRetry: true,
        },
      },
      null,
      2,
    )}\n`;

    // Act: upload the manifest as the AWS CLI would, and wait for the batch
    await put(manifestBucket, 'manifests/e2e flowcell.json', manifest);
    const batchId = batchIdFor(manifestBucket, 'manifests/e2e flowcell.json', sha256Hex(manifest));
    const first = await waitForBatch(stack.deps, batchId, { timeoutMs: 150_000 });

    // Assess: three samples completed, the corrupt one failed with the reader's message
    expect(first.batch).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', qcState: 'COMPLETED', round: 1 });
    const byId = new Map(first.launches.map((launch) => [launch.sampleId, launch]));
    for (const sample of ['S1', 'S2', 'S3']) expect(byId.get(sample)?.status).toBe('COMPLETED');
    const failed = byId.get('S4');
    expect(failed).toMatchObject({ status: 'FAILED', attempt: 1 });
    expect(failed?.failureReason).toMatch(/line 12/);
    expect(failed?.logExcerpt).toContain(failed?.failureReason?.slice(0, 40));
    // The QC report lists every sample that ran, with the read counts of its files
    const qc = byId.get('_qc');
    expect(qc).toMatchObject({ status: 'COMPLETED', kind: 'QC', attempt: 1 });
    const report = await readJson<QcReport>(`${qc?.runOutputUri}out/report.json`);
    expect(Object.fromEntries(report.samples.map((entry) => [entry.sample, entry.reads]))).toEqual({
      S1: 6,
      S2: 10,
      S3: 14,
    });
    expect(report.samples.find((entry) => entry.sample === 'S1')?.bases).toBe(60);
    // One notification for the round, on both channels
    const firstOutbox = await readOutbox(join(stateDir, 'outbox'));
    const completedNotices = () =>
      firstOutbox.sns.filter((message) => JSON.stringify(message).includes(batchId));
    expect(completedNotices()).toHaveLength(1);

    // Act: fix the input, then retry the sample as a person does in the DynamoDB console
    await put(inputBucket, 'run1/S4_R1.fastq.gz', gzipSync(fastq('S4', 5)));
    const key = stack.deps.entities.launch.get({ batchId, launchId: `${batchId}/S4` }).params().Key;
    await stack.dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'RETRY' } },
      }),
    );
    const second = await waitForBatch(stack.deps, batchId, {
      timeoutMs: 120_000,
      done: (snapshot) => (snapshot.batch?.round ?? 0) >= 2 && finishedAndNotified(snapshot),
    });

    // Assess: attempt 2 completed, the first attempt is kept, QC re-ran over all four, re-notified
    expect(second.batch).toMatchObject({ status: 'COMPLETED', round: 2, qcState: 'COMPLETED' });
    const retried = second.launches.find((launch) => launch.sampleId === 'S4');
    expect(retried).toMatchObject({ status: 'COMPLETED', attempt: 2 });
    expect(retried?.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 'FAILED' })]);
    const rerun = second.launches.find((launch) => launch.kind === 'QC');
    expect(rerun).toMatchObject({ status: 'COMPLETED', attempt: 2 });
    const rerunReport = await readJson<QcReport>(`${rerun?.runOutputUri}out/report.json`);
    expect(Object.fromEntries(rerunReport.samples.map((entry) => [entry.sample, entry.reads]))).toEqual({
      S1: 6,
      S2: 10,
      S3: 14,
      S4: 10,
    });
    const outbox = await readOutbox(join(stateDir, 'outbox'));
    expect(outbox.sns.filter((message) => JSON.stringify(message).includes(batchId))).toHaveLength(2);
    expect(outbox.events.filter((entry) => JSON.stringify(entry).includes(batchId))).toHaveLength(2);
    // Each attempt started exactly one run
    const runs = stack.engine.runs().filter((run) => run.tags[RUN_TAGS.batchId] === batchId);
    expect(runs).toHaveLength(4 + 1 + 1 + 1);
  });

  it('runs both example manifests end to end once their inputs are in the input bucket', async () => {
    // Prepare: the files the example manifests name, as `gwm up` adds them
    const { inputBucket } = stack.endpoints;
    expect(await uploadExampleInputs(stack.s3, inputBucket)).toBeGreaterThan(0);

    // Act: upload the lab's own format, unchanged
    const done = await runExample('flowcell-seed.json', 'flowcell-seed.json');

    // Assess: every sample's run and the QC run completed; the report covers the three samples
    expect(done.batch).toMatchObject({ status: 'COMPLETED', format: 'seed', qcState: 'COMPLETED' });
    expect(done.launches.map((launch) => [launch.sampleId, launch.status]).sort()).toEqual([
      ['NA12878-L001', 'COMPLETED'],
      ['NA12891-L001', 'COMPLETED'],
      ['NA12892-L001', 'COMPLETED'],
      ['_qc', 'COMPLETED'],
    ]);
    const qc = done.launches.find((launch) => launch.kind === 'QC');
    const report = await readJson<QcReport>(`${qc?.runOutputUri}out/report.json`);
    expect(report.samples.map((entry) => entry.sample).sort()).toEqual([
      'NA12878-L001',
      'NA12891-L001',
      'NA12892-L001',
    ]);
    expect(report.samples.every((entry) => entry.reads > 0)).toBe(true);

    // Act: the native example, paired samples with a profile, unchanged
    const nativeDone = await runExample('flowcell-native.json', 'examples/flowcell-native.json');

    // Assess: eight paired samples and the QC run completed
    expect(nativeDone.batch).toMatchObject({
      status: 'COMPLETED',
      format: 'native-v1',
      qcState: 'COMPLETED',
    });
    expect(nativeDone.launches.filter((launch) => launch.status === 'COMPLETED')).toHaveLength(9);
  });

  it('rejects a manifest naming an input that is not in the input bucket, at its path, and launches nothing', async () => {
    // Prepare: S1's read is in the input bucket, S2's is not
    const { inputBucket, manifestBucket } = stack.endpoints;
    await put(inputBucket, 'run9/S1_R1.fastq', fastq('S1', 3));
    const text = JSON.stringify({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC-MISSING-INPUT' },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${stack.endpoints.outputBucket}/run9/` },
      samples: [
        { id: 'S1', inputs: { fastq1: `s3://${inputBucket}/run9/S1_R1.fastq` } },
        { id: 'S2', inputs: { fastq1: `s3://${inputBucket}/run9/S2_R1.fastq` } },
      ],
    });

    // Act
    await put(manifestBucket, 'run9/missing-input.json', text);
    const batchId = batchIdFor(manifestBucket, 'run9/missing-input.json', sha256Hex(text));
    let batch = await stack.deps.batches.get(batchId);
    for (let waited = 0; batch?.status !== 'REJECTED' && waited < 20_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      batch = await stack.deps.batches.get(batchId);
    }

    // Assess: rejected for S2's input alone; no launch item, no run
    expect(batch?.status).toBe('REJECTED');
    expect(batch?.problems).toEqual([
      {
        path: '$.samples[1].inputs.fastq1',
        code: 'INPUT_NOT_FOUND',
        message: `s3://${inputBucket}/run9/S2_R1.fastq does not exist: no object and no folder with objects at this key`,
      },
    ]);
    expect((await stack.deps.launches.listByBatch(batchId)).items).toHaveLength(0);
    expect(stack.engine.runs().filter((run) => run.tags[RUN_TAGS.batchId] === batchId)).toHaveLength(0);
  });

  it('keeps a workflow profile someone changed across a restart, and says it differs from the shipped one', async () => {
    // Prepare: a restart with the profiles as shipped says nothing
    const restart = async () => {
      const warnings: string[] = [];
      await stack.stop();
      stack = await startLocalStack({
        stateDir,
        reconcileEveryMs: 0,
        writeEndpointsFile: false,
        log: (level, message) => {
          if (level === 'warn') warnings.push(message);
        },
      });
      return warnings;
    };
    expect(await restart()).toEqual([]);
    const shipped = await stack.deps.profiles.get('fastq-stats');
    if (!shipped) throw new Error('fastq-stats is not registered');
    const edited = { ...shipped, defaults: { ...shipped.defaults, parameters: { min_quality: 30 } } };
    await stack.deps.profiles.put(edited);

    // Act
    const warnings = await restart();

    // Assess
    expect(warnings).toEqual([
      'workflow profile "fastq-stats" differs from the one gwm ships; keeping the stored one',
    ]);
    expect((await stack.deps.profiles.get('fastq-stats'))?.defaults.parameters).toEqual({ min_quality: 30 });
  });
});
