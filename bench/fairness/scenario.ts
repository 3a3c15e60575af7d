import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { launchIdFor } from '../../domain/launch.js';
import { type BatchPriority, manifestPrefixOf, type Team } from '../../domain/teams/team.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { BENCH_WORKFLOW_ID } from '../simulated-workflow.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The scenario: three teams, three batches, uploaded `gapMs` apart.

export type TeamKey = 'a' | 'b' | 'c';

export interface PlannedBatch {
  key: TeamKey;
  team: Team;
  priority: BatchPriority;
  /** Milliseconds after A's upload. */
  uploadOffsetMs: number;
  sampleIds: string[];
  manifestKey: string;
  text: string;
  batchId: string;
  launchIds: string[];
}

/** A and C are alike (weight 1, normal); B has weight 1 too: its urgent priority must get it through. */
const TEAMS: ReadonlyArray<{ key: TeamKey; weight: number; priority: BatchPriority }> = [
  { key: 'a', weight: 1, priority: 'normal' },
  { key: 'b', weight: 1, priority: 'urgent' },
  { key: 'c', weight: 1, priority: 'normal' },
];

export function planBatches(
  settings: Settings,
  buckets: { manifestBucket: string; inputBucket: string; outputBucket: string },
): PlannedBatch[] {
  return TEAMS.map(({ key, weight, priority }, index) => {
    const name = `team-${key}`;
    const team: Team = {
      name,
      description: `fairness bench, team ${key.toUpperCase()}`,
      readPrefixes: [`s3://${buckets.inputBucket}/${teamFolder(name)}`],
      writePrefixes: [`s3://${buckets.outputBucket}/${teamFolder(name)}`],
      weight,
    };
    const sampleIds = Array.from(
      { length: settings.samples[key] },
      (_, n) => `${key.toUpperCase()}${String(n + 1).padStart(5, '0')}`,
    );
    const manifestKey = `${manifestPrefixOf(name)}fairness-${key}.json`;
    const text = manifest(team, priority, sampleIds, buckets);
    const batchId = batchIdFor(buckets.manifestBucket, manifestKey, sha256Hex(text));
    return {
      key,
      team,
      priority,
      uploadOffsetMs: index * settings.gapMs,
      sampleIds,
      manifestKey,
      text,
      batchId,
      launchIds: sampleIds.map((id) => launchIdFor(batchId, id)),
    };
  });
}

/** Team items and every input, before the first upload (intake checks each input in S3). */
export async function prepare(stack: LocalStack, batches: readonly PlannedBatch[]): Promise<void> {
  const { inputBucket } = stack.endpoints;
  for (const batch of batches) await stack.deps.teams.put(batch.team);
  const objects = batches.flatMap((batch) =>
    batch.sampleIds.flatMap((id) => inputKeys(batch.team.name, id).map((key) => ({ key, id }))),
  );
  await forEachConcurrently(objects, 16, async ({ key, id }) => {
    await stack.s3.send(new PutObjectCommand({ Bucket: inputBucket, Key: key, Body: `@${id}\n` }));
  });
}

/**
 * Uploads each manifest at its offset from A's upload and returns when each PutObject was sent
 * (epoch ms, from `clock`), by team.
 */
export async function uploadOnSchedule(
  stack: LocalStack,
  batches: readonly PlannedBatch[],
  clock: () => number,
  onUpload: (batch: PlannedBatch, at: number) => void,
): Promise<Record<TeamKey, number>> {
  const uploadedAt = {} as Record<TeamKey, number>;
  const origin = clock();
  for (const batch of batches) {
    const wait = origin + batch.uploadOffsetMs - clock();
    if (wait > 0) await sleep(wait);
    const at = clock();
    uploadedAt[batch.key] = at;
    onUpload(batch, at);
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.endpoints.manifestBucket,
        Key: batch.manifestKey,
        Body: batch.text,
      }),
    );
  }
  return uploadedAt;
}

function teamFolder(team: string): string {
  return `fairness/${team}/`;
}

function inputKeys(team: string, id: string): [string, string] {
  const folder = teamFolder(team);
  return [`${folder}${id}_L001_R1_001.fastq.gz`, `${folder}${id}_L001_R2_001.fastq.gz`];
}

/** The native manifest: raw workflow id; the `sample` parameter picks the simulated plan. */
function manifest(
  team: Team,
  priority: BatchPriority,
  ids: readonly string[],
  buckets: { inputBucket: string; outputBucket: string },
): string {
  return JSON.stringify({
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: `FAIRNESS-${team.name.toUpperCase()}`, team: team.name, priority },
    defaults: {
      workflow: { id: BENCH_WORKFLOW_ID, type: 'PRIVATE' },
      outputUri: `s3://${buckets.outputBucket}/${teamFolder(team.name)}`,
      storageType: 'DYNAMIC',
      tags: { project: 'fairness-bench' },
    },
    samples: ids.map((id) => {
      const [fastq1, fastq2] = inputKeys(team.name, id);
      return {
        id,
        inputs: {
          fastq1: `s3://${buckets.inputBucket}/${fastq1}`,
          fastq2: `s3://${buckets.inputBucket}/${fastq2}`,
        },
        parameters: { sample: id },
      };
    }),
  });
}
