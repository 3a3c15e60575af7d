/**
 * Registration throughput: registers a 10,000-sample manifest on DynamoDB Local, every input
 * checked with HeadObject on the local S3 (20,000 objects, uploaded once before the rounds), and
 * compares it with raw BatchWriteItem of the same items on a table of the same shape, in the same run.
 * Each measurement gets a fresh DynamoDB Local (its speed drifts as data accumulates); the order
 * of the two alternates between rounds; medians are reported.
 * Usage: npm run bench:register [-- --samples 10000 --rounds 3]
 */

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Batch, batchIdFor, defaultBatchName, sha256Hex } from '../domain/batch.js';
import { forEachConcurrently } from '../domain/concurrency.js';
import type { LaunchStatus } from '../domain/launch.js';
import { parseManifest } from '../domain/manifest/index.js';
import { registeredLaunch } from '../domain/registration.js';
import { type IntakeDeps, registerManifest } from '../domain/use-cases/intake.js';
import { makeBatchRepository } from '../functions/adapters/batch-repository.js';
import { makeEntities } from '../functions/adapters/entities.js';
import { makeLaunchRepository } from '../functions/adapters/launch-repository.js';
import { makeProfileRepository } from '../functions/adapters/profile-repository.js';
import { makeRestoreRepository } from '../functions/adapters/restore-repository.js';
import { makeS3InputInspector } from '../functions/adapters/s3-input-inspector.js';
import { makeS3ObjectRestorer } from '../functions/adapters/s3-object-restorer.js';
import { STATUS_SHARD_IDS } from '../functions/adapters/status-shards.js';
import { createTableInput } from '../functions/adapters/table.js';
import { makeTeamRepository } from '../functions/adapters/team-repository.js';
import { makeDocumentClient } from '../functions/dependencies/base.js';
import { startDynamoDbLocal } from '../infra/local/dynamodb/dynamodb-local.js';
import { localS3ClientConfig, startLocalS3 } from '../infra/local/s3/s3.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'boolean', default: false },
    s3: { type: 'string' },
  },
});
const samples = Number(values.samples);
const rounds = Number(values.rounds);
const CHUNK = 2_000;
/**
 * BatchWriteItem calls the baseline keeps in flight; the launch repository keeps as many groups in
 * flight, each read first (BatchGetItem) so that a launch that moved on is never written over.
 */
const CONCURRENCY = 4;
const TABLE = 'gwm-bench';
const INPUT_BUCKET = 'bench-inputs';
const READ = [`s3://${INPUT_BUCKET}/`];
const WRITE = ['s3://bench-results/'];
const LIMITS = { maxSamples: 10_000, maxBytes: 10 * 1024 * 1024 };

function manifest(count: number): string {
  return JSON.stringify({
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'BENCH-FC' },
    defaults: {
      workflow: { id: '1234567', type: 'PRIVATE' },
      outputUri: 's3://bench-results/run/',
      tags: { project: 'bench' },
    },
    samples: Array.from({ length: count }, (_, i) => ({
      id: `S${String(i).padStart(5, '0')}`,
      inputs: Object.fromEntries(
        inputKeys(i).map((key, read) => [`fastq${read + 1}`, `s3://${INPUT_BUCKET}/${key}`]),
      ),
    })),
  });
}

function inputKeys(sample: number): string[] {
  return [`fc/S${sample}_L001_R1_001.fastq.gz`, `fc/S${sample}_L001_R2_001.fastq.gz`];
}

/** Every sample's inputs on a local S3 kept for the whole run (each round's child checks them). */
async function uploadInputs(directory: string) {
  const s3 = await startLocalS3({ directory, buckets: [INPUT_BUCKET], log: () => {} });
  const keys = Array.from({ length: samples }, (_, i) => inputKeys(i)).flat();
  const started = performance.now();
  await forEachConcurrently(keys, 32, async (key, index) => {
    await s3.client.send(new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: key, Body: `@read${index}\n` }));
  });
  console.log(
    `${fmt(keys.length)} input objects uploaded to the local S3 in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return s3;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** A fresh DynamoDB Local with the gwm table, for one measurement. */
async function withTable<T>(work: (doc: ReturnType<typeof makeDocumentClient>) => Promise<T>): Promise<T> {
  const ddb = await startDynamoDbLocal({ tuning: 'throughput' });
  try {
    const client = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    });
    await client.send(new CreateTableCommand(createTableInput(TABLE)));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: TABLE });
    return await work(makeDocumentClient(client));
  } finally {
    await ddb.stop();
  }
}

/** Counts the items a query matches, without reading them into memory. */
async function count(doc: ReturnType<typeof makeDocumentClient>, params: QueryCommandInput): Promise<number> {
  let total = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({ ...params, Select: 'COUNT', ExclusiveStartKey: start }));
    total += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return total;
}

/** Launches in a status: its partitions in the status index, all of them. */
async function countInStatus(
  doc: ReturnType<typeof makeDocumentClient>,
  entities: ReturnType<typeof makeEntities>,
  status: LaunchStatus,
): Promise<number> {
  let total = 0;
  for (const statusShard of STATUS_SHARD_IDS) {
    total += await count(doc, entities.launch.query.byStatus({ status, statusShard }).params());
  }
  return total;
}

/**
 * The figures count only if registration was complete: every launch written once, ready to
 * launch (QUEUED, none left REGISTERED), the batch ACTIVE, and the same upload delivered again a
 * duplicate that changes nothing. Throws (the bench exits non-zero) otherwise.
 */
async function checkComplete(
  deps: IntakeDeps,
  doc: ReturnType<typeof makeDocumentClient>,
  entities: ReturnType<typeof makeEntities>,
  upload: Parameters<typeof registerManifest>[1],
  batchId: string,
) {
  const again = await registerManifest({ ...deps, onProgress: undefined }, upload);
  const problems: string[] = [];
  if (again.kind !== 'duplicate')
    problems.push(`the upload delivered again ended ${again.kind}, not duplicate`);
  const inBatch = await count(doc, entities.launch.query.byBatch({ batchId }).params());
  const queued = await countInStatus(doc, entities, 'QUEUED');
  const registered = await countInStatus(doc, entities, 'REGISTERED');
  const batch = await deps.batches.get(batchId);
  if (inBatch !== samples) problems.push(`${inBatch} launch items, not ${samples}`);
  if (queued !== samples) problems.push(`${queued} launches QUEUED, not ${samples}`);
  if (registered !== 0) problems.push(`${registered} launches left REGISTERED`);
  if (batch?.status !== 'ACTIVE' || batch.releasedCount !== samples) {
    problems.push(`batch ${batch?.status} with ${batch?.releasedCount} released`);
  }
  if (problems.length > 0) throw new Error(`registration incomplete: ${problems.join('; ')}`);
}

async function measureRegistration(text: string, s3Endpoint: string) {
  const s3 = new S3Client(localS3ClientConfig(s3Endpoint));
  return withTable(async (doc) => {
    const entities = makeEntities(doc, TABLE);
    const started = performance.now();
    let checkedAt = 0;
    let registeredAt = 0;
    const upload = { bucket: 'bench-manifests', key: 'fc/bench.json', sizeBytes: text.length, text };
    const deps: IntakeDeps = {
      batches: makeBatchRepository(entities),
      launches: makeLaunchRepository(entities),
      profiles: makeProfileRepository(entities),
      teams: makeTeamRepository(entities),
      defaultTeam: 'default',
      limits: LIMITS,
      allowedReadPrefixes: READ,
      allowedWritePrefixes: WRITE,
      now: () => new Date(),
      owner: 'bench',
      leaseMs: 60_000,
      chunkSize: CHUNK,
      releaseConcurrency: 16,
      inputs: makeS3InputInspector(s3),
      // Every input is in S3 Standard: no restore is asked for.
      restores: {
        restores: makeRestoreRepository(entities),
        restorer: makeS3ObjectRestorer(s3),
        settings: { tier: 'Bulk', days: 7, minuteMs: 60_000 },
        now: () => new Date(),
        concurrency: 8,
      },
      historyLaunches: 1_000,
      onProgress: (progress) => {
        if (progress.phase === 'inputs') checkedAt = performance.now();
        if (progress.phase === 'registered') registeredAt = performance.now();
      },
    };
    const outcome = await registerManifest(deps, upload);
    const finished = performance.now();
    if (outcome.kind !== 'registered') throw new Error(`registration ended ${outcome.kind}`);
    await checkComplete(deps, doc, entities, upload, outcome.batch.batchId);
    return {
      registration: samples / ((registeredAt - started) / 1000),
      writes: samples / ((registeredAt - checkedAt) / 1000),
      releaseSeconds: (finished - registeredAt) / 1000,
      checkSeconds: (checkedAt - started) / 1000,
      activeSeconds: (finished - started) / 1000,
    };
  });
}

/** The very items registration writes (keys, index keys, attributes), built outside the timing. */
function rawItems(text: string, doc: ReturnType<typeof makeDocumentClient>): Record<string, unknown>[] {
  const sha = sha256Hex(text);
  const batchId = batchIdFor('bench-manifests', 'fc/bench.json', sha);
  const result = parseManifest(
    { text, sizeBytes: text.length },
    {
      limits: LIMITS,
      allowedReadPrefixes: READ,
      allowedWritePrefixes: WRITE,
      profiles: new Map(),
      batch: { id: batchId, defaultName: defaultBatchName('fc/bench.json') },
    },
  );
  if (!result.ok) throw new Error('bench manifest is invalid');
  const batch = { batchId, name: result.plan.name, createdAt: new Date().toISOString() } as Batch;
  const entities = makeEntities(doc, TABLE);
  return result.plan.samples.map(
    (spec) =>
      entities.launch.put(registeredLaunch(batch, spec) as never).params().Item as Record<string, unknown>,
  );
}

async function measureRaw(text: string) {
  return withTable(async (doc) => {
    const items = rawItems(text, doc);
    const chunks: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
    const started = performance.now();
    await forEachConcurrently(chunks, CONCURRENCY, async (chunk) => {
      let pending = chunk;
      while (pending.length > 0) {
        const result = await doc.send(
          new BatchWriteCommand({
            RequestItems: { [TABLE]: pending.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        pending = (result.UnprocessedItems?.[TABLE] ?? []).map((request) => request.PutRequest?.Item ?? {});
      }
    });
    return items.length / ((performance.now() - started) / 1000);
  });
}

interface RegistrationFigures {
  /** Items per second from the upload to the batch flipped (input checks included). */
  registration: number;
  /** Items per second from the inputs checked to the batch flipped (estimate, writes, flip). */
  writes: number;
  /** Seconds after the flip until the batch was ACTIVE (a release pass, when there is one). */
  releaseSeconds: number;
  /** Seconds spent checking every input in S3. */
  checkSeconds: number;
  /** Seconds from the upload to the batch ACTIVE. */
  activeSeconds: number;
  maxRssBytes: number;
}

/** V8's old-space limit in the registering process (MB): see below. */
const HEAP_LIMIT_MB = 128;

/**
 * Registration runs in a child process of its own, so its peak RSS is registration's alone (not
 * the baseline's item arrays, nor earlier rounds'). Without a heap limit V8 lets garbage pile up
 * as long as the machine has memory; with one, the peak shows what registration needs, and a
 * registration that needed more would fail here rather than pass unnoticed.
 */
function registrationInChild(s3Endpoint: string): Promise<RegistrationFigures> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      ['--child', '--samples', String(samples), '--s3', s3Endpoint],
      {
        execArgv: [...process.execArgv, `--max-old-space-size=${HEAP_LIMIT_MB}`],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    child.once('message', (message) => resolve(message as RegistrationFigures));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`registration child exited with ${code}`));
    });
  });
}

async function child() {
  if (!values.s3) throw new Error('--s3 <endpoint> is required with --child');
  const figures = await measureRegistration(manifest(samples), values.s3);
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.send?.({ ...figures, maxRssBytes } satisfies RegistrationFigures);
}

async function main() {
  const text = manifest(samples);
  const registration: number[] = [];
  const writes: number[] = [];
  const release: number[] = [];
  const active: number[] = [];
  const checks: number[] = [];
  const raw: number[] = [];
  let peakRss = 0;
  console.log(`${fmt(samples)} samples (${(text.length / 1e6).toFixed(1)} MB manifest), ${rounds} rounds`);
  const s3Directory = mkdtempSync(join(tmpdir(), 'gwm-bench-s3-'));
  const s3 = await uploadInputs(s3Directory);
  try {
    for (let round = 1; round <= rounds; round++) {
      const gwmFirst = round % 2 === 1;
      let gwm: RegistrationFigures | undefined;
      let baseline = 0;
      if (gwmFirst) gwm = await registrationInChild(s3.endpoint);
      baseline = await measureRaw(text);
      if (!gwmFirst) gwm = await registrationInChild(s3.endpoint);
      if (!gwm) throw new Error('no measurement');
      peakRss = Math.max(peakRss, gwm.maxRssBytes);
      registration.push(gwm.registration);
      writes.push(gwm.writes);
      release.push(gwm.releaseSeconds);
      active.push(samples / gwm.activeSeconds);
      checks.push(gwm.checkSeconds);
      raw.push(baseline);
      console.log(
        `round ${round}: inputs checked in ${gwm.checkSeconds.toFixed(1)} s, registered ${fmt(gwm.registration)} items/s, ACTIVE after ${gwm.activeSeconds.toFixed(1)} s (${fmt(samples / gwm.activeSeconds)} items/s), raw BatchWriteItem ${fmt(baseline)} items/s`,
      );
    }
  } finally {
    await s3.stop();
    rmSync(s3Directory, { recursive: true, force: true });
  }
  const ratio = median(writes) / median(raw);
  const activeRatio = median(active) / median(raw);
  const peakMb = peakRss / 1024 / 1024;
  const inputs = samples * 2;
  console.log('');
  console.log(
    `input checks (listing, HeadObject; local S3), median ${median(checks).toFixed(1)} s for ${fmt(inputs)} inputs (${fmt(inputs / median(checks))}/s)`,
  );
  console.log(
    `registration (parse, validate, check inputs, estimate, write, flip), median ${fmt(median(registration))} items/s`,
  );
  console.log(`  of which estimate, write, flip, median               ${fmt(median(writes))} items/s`);
  console.log(`raw BatchWriteItem, same items and table, median      ${fmt(median(raw))} items/s`);
  console.log(`ratio write / raw                                     ${ratio.toFixed(2)} (target >= 0.70)`);
  console.log(`after the flip until ACTIVE (release pass), median    ${median(release).toFixed(2)} s`);
  console.log(`upload -> batch ACTIVE, median                        ${fmt(median(active))} items/s`);
  console.log(
    `ratio upload -> ACTIVE / raw                          ${activeRatio.toFixed(2)} (target >= 0.50)`,
  );
  console.log(
    `peak RSS of the registering process (max of rounds)   ${peakMb.toFixed(0)} MB (target < 256 MB; V8 heap limit ${HEAP_LIMIT_MB} MB)`,
  );
  const missed = [
    ...(ratio < 0.7 ? [`write / raw ${ratio.toFixed(2)} < 0.70`] : []),
    ...(activeRatio < 0.5 ? [`upload -> ACTIVE / raw ${activeRatio.toFixed(2)} < 0.50`] : []),
    ...(peakMb >= 256 ? [`peak RSS ${peakMb.toFixed(0)} MB >= 256 MB`] : []),
  ];
  if (missed.length > 0) {
    console.error(`target missed: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}

(values.child ? child() : main()).catch((error) => {
  console.error(error);
  process.exit(1);
});
