import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gwmIn } from '../support/cli-runner.js';
import { CLI_BUCKETS, type CliStack, startCliStack } from '../support/cli-stack.js';
import { aBatch, aPricedRun } from '../support/launch-factory.js';

const { inputs: INPUTS } = CLI_BUCKETS;
const root = resolve(import.meta.dirname, '../..');
const MANIFEST = join(root, 'examples/manifests/flowcell-native.json');

let stateDir: string;
let s3: S3Client;
let batches: CliStack['batches'];
let launches: CliStack['launches'];

/** `gwm <args>` in this process, against the local stack described in the test's state folder. */
const gwm = gwmIn(() => stateDir);

let stack: CliStack | undefined;

beforeAll(async () => {
  stack = await startCliStack(inject('dynamodbEndpoint'));
  ({ stateDir, s3, batches, launches } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** A completed, priced run of fastq-stats 1.0.0 from an earlier batch: $0.40 per input MB, give or take 10%. */
function pastRun(i: number) {
  const mb = 1 + i;
  return aPricedRun(i, {
    costUsd: 0.4 * mb * (0.9 + (i % 3) * 0.1),
    workflowId: '4821093',
    minutes: 5,
    cost: { computeUsd: 0.4 * mb },
    overrides: { workflowVersion: '1.0.0', inputBytes: mb * 1_000_000 },
  });
}

describe('gwm estimate', () => {
  it('says "no history" before there is any, then predicts each sample and the total from past runs and input sizes', async () => {
    // Act 1: no history yet
    const before = await gwm(['estimate', MANIFEST]);

    // Assess 1
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('no history');
    expect(before.stdout).toContain('Total: no history for any sample');

    // Prepare 2: past runs of the workflow, and the inputs in S3 (2 MB per FASTQ: 4 MB a sample)
    await launches.putMany(Array.from({ length: 8 }, (_, i) => pastRun(i)));
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as {
      samples: { id: string; inputs: Record<string, string> }[];
    };
    for (const sample of manifest.samples) {
      for (const uri of Object.values(sample.inputs)) {
        await s3.send(
          new PutObjectCommand({
            Bucket: INPUTS,
            Key: uri.slice(`s3://${INPUTS}/`.length),
            Body: Buffer.alloc(2_000_000),
          }),
        );
      }
    }

    // Act 2
    const table = await gwm(['estimate', MANIFEST]);
    const asJson = await gwm(['estimate', MANIFEST, '--json']);

    // Assess 2: about $0.40 per MB, 4 MB per sample: about $1.60 each
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('4.0 MB');
    expect(table.stdout).toMatch(/Total: \$1[0-9]\.\d\d expected/);
    const result = JSON.parse(asJson.stdout) as {
      samples: {
        sampleId: string;
        inputBytes?: number;
        basedOnRuns: number;
        costUsd?: { expected: number };
      }[];
      total: { samplesEstimated: number; costUsd?: { expected: number; low: number; high: number } };
    };
    expect(result.samples).toHaveLength(manifest.samples.length);
    for (const sample of result.samples) {
      expect(sample.inputBytes).toBe(4_000_000);
      expect(sample.basedOnRuns).toBe(8);
      expect(sample.costUsd?.expected).toBeGreaterThan(1.3);
      expect(sample.costUsd?.expected).toBeLessThan(1.9);
    }
    expect(result.total.samplesEstimated).toBe(manifest.samples.length);
    expect(result.total.costUsd?.low).toBeLessThan(result.total.costUsd?.expected ?? 0);
  });
});

describe('gwm release', () => {
  const estimate = {
    costUsd: { expected: 80.123, low: 60, high: 110 },
    samplesEstimated: 4,
    samplesWithoutHistory: 0,
    estimatedAt: '2026-11-20T10:00:00.000Z',
  };
  /** Batch `name` held over its $50 budget by an estimate of about $80. */
  const heldBatch = (batchId: string, name: string) =>
    aBatch({ batchId, name, status: 'HELD_OVER_BUDGET', budgetMaxUsd: 50, estimate });

  it('raises the budget of a held batch to its estimate, as a console edit would', async () => {
    // Prepare
    await batches.create(heldBatch('held00000000000000a1', 'FC-HELD'));

    // Act
    const status = await gwm(['status', 'held00000000000000a1']);
    const result = await gwm(['release', 'held00000000000000a1']);

    // Assess
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('HELD_OVER_BUDGET');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$80.13');
    const batch = await batches.get('held00000000000000a1');
    expect(batch?.budgetMaxUsd).toBe(80.13);
    expect(batch?.status).toBe('HELD_OVER_BUDGET');
    expect(batch?.revision).toBe(1);
  });

  it('rejects a held batch, and refuses a batch that is not held or a budget below the estimate', async () => {
    // Prepare
    await batches.create(heldBatch('held00000000000000b2', 'FC-HELD-2'));
    await batches.create(aBatch({ batchId: 'active000000000000c3', name: 'FC-ACTIVE', status: 'ACTIVE' }));

    // Act
    const low = await gwm(['release', 'held00000000000000b2', '--max-usd', '60']);
    const active = await gwm(['release', 'active000000000000c3']);
    const rejected = await gwm(['release', 'held00000000000000b2', '--reject']);

    // Assess
    expect(low.code).toBe(2);
    expect(low.stderr).toContain('below the estimate');
    expect(active.code).toBe(2);
    expect(active.stderr).toContain('not HELD_OVER_BUDGET');
    expect((await batches.get('active000000000000c3'))?.status).toBe('ACTIVE');
    expect(rejected.code).toBe(0);
    const batch = await batches.get('held00000000000000b2');
    expect(batch?.status).toBe('REJECTED');
    expect(batch?.problems?.[0]?.code).toBe('OVER_BUDGET');
  });
});
