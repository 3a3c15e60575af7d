import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRunCommand, ListRunsCommand, OmicsClient } from '@aws-sdk/client-omics';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { batchIdFor, sha256Hex } from '../../domain/batch.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeDocumentClient } from '../../functions/dependencies/base.js';
import { type LocalEndpoints, readEndpoints } from '../../infra/local/endpoints.js';
import { localOmicsClientConfig } from '../../infra/local/engine/index.js';
import { localS3ClientConfig } from '../../infra/local/s3/s3.js';
import { finishedAndNotified, waitForBatch } from '../../infra/local/wait.js';

const GWM = new URL('../../cli/gwm.mjs', import.meta.url).pathname;
const SAMPLES = 20;
const children: ChildProcess[] = [];
const folders: string[] = [];

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

interface Up {
  child: ChildProcess;
  endpoints: LocalEndpoints;
  exited: Promise<number | null>;
  output: () => string;
}

async function startUp(stateDir: string): Promise<Up> {
  const child = spawn(process.execPath, [GWM, '--state-dir', stateDir, 'up', '--reconcile-every', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await sleep(200);
    if (output.includes('The local stack is up.')) {
      const endpoints = await readEndpoints(stateDir);
      if (endpoints) return { child, endpoints, exited, output: () => output };
    }
    if (child.exitCode !== null) break;
  }
  throw new Error(`gwm up did not come up:\n${output}`);
}

/** Every process of this user whose command line mentions the state folder (DynamoDB Local's -dbPath, workflow run folders). */
function processesUsing(stateDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(stateDir)) pids.push(Number(name));
  }
  return pids;
}

/** Workflow processes run with their run folder as working directory: look for those too. */
function processesIn(stateDir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(stateDir)) pids.push(Number(name));
    } catch {
      // gone, or not ours to look at
    }
  }
  return pids;
}

function manifestOf(endpoints: LocalEndpoints): string {
  const input = `s3://${endpoints.inputBucket}/HK3H3BBXY/NA12878_S1_L001_R1_001.fastq.gz`;
  return JSON.stringify({
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'restart-e2e' },
    defaults: { profile: 'fastq-stats', outputUri: `s3://${endpoints.outputBucket}/restart-e2e/` },
    samples: Array.from({ length: SAMPLES }, (_, index) => ({
      id: `S${String(index + 1).padStart(2, '0')}`,
      inputs: { fastq1: input },
    })),
  });
}

describe('gwm up restarted mid-batch', () => {
  it('finishes the batch with one run per sample attempt, one notification, and no process left behind, after kill -9 and after Ctrl-C', async () => {
    // Prepare: `gwm up` in its own process; a 20-sample manifest uploaded
    const stateDir = await mkdtemp(join(tmpdir(), 'gwm-restart-e2e-'));
    folders.push(stateDir);
    const first = await startUp(stateDir);
    const manifest = manifestOf(first.endpoints);
    const s3 = new S3Client(localS3ClientConfig(first.endpoints.s3Endpoint));
    await s3.send(
      new PutObjectCommand({ Bucket: first.endpoints.manifestBucket, Key: 'restart.json', Body: manifest }),
    );
    s3.destroy();
    const batchId = batchIdFor(first.endpoints.manifestBucket, 'restart.json', sha256Hex(manifest));

    // Act: kill -9 three seconds later, start again, Ctrl-C two seconds later, start again
    await sleep(3_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startUp(stateDir);
    await sleep(2_000);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    const third = await startUp(stateDir);
    const dynamo = new DynamoDBClient({
      region: third.endpoints.region,
      endpoint: third.endpoints.dynamodbEndpoint,
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    });
    const entities = makeEntities(makeDocumentClient(dynamo), third.endpoints.tableName);
    const done = await waitForBatch(
      { batches: makeBatchRepository(entities), launches: makeLaunchRepository(entities) },
      batchId,
      { timeoutMs: 180_000, done: finishedAndNotified },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${third.output()}`);
    });

    // Assess: every sample has exactly one run per attempt, in the state the engine says
    const omics = new OmicsClient(localOmicsClientConfig(third.endpoints.omicsEndpoint));
    const samples = done.launches.filter((launch) => launch.kind === 'SAMPLE');
    expect(samples).toHaveLength(SAMPLES);
    const runIds = new Set<string>();
    for (const launch of done.launches) {
      expect(['COMPLETED', 'FAILED']).toContain(launch.status);
      expect(launch.runId).toBeDefined();
      const run = await omics.send(new GetRunCommand({ id: launch.runId }));
      expect(run.status).toBe(launch.status);
      expect(run.tags?.['gwm:launch-id']).toBe(launch.launchId);
      expect(run.tags?.['gwm:attempt']).toBe(String(launch.attempt));
      runIds.add(launch.runId ?? '');
    }
    expect(runIds.size).toBe(done.launches.length);
    const runs = await engineRuns(third.endpoints.omicsEndpoint);
    const perAttempt = new Map<string, number>();
    for (const run of runs) {
      const key = `${run.tags['gwm:launch-id']}/${run.tags['gwm:attempt']}`;
      perAttempt.set(key, (perAttempt.get(key) ?? 0) + 1);
    }
    expect([...perAttempt.values()].every((count) => count === 1)).toBe(true);
    expect(perAttempt.size).toBe(done.launches.length);
    const restartFailures = samples.filter((launch) => launch.status === 'FAILED');
    for (const launch of restartFailures) expect(launch.failureReason).toBe('engine restarted');
    expect(done.batch?.status).toBe(restartFailures.length > 0 ? 'COMPLETED_WITH_FAILURES' : 'COMPLETED');
    const notices = (await readFile(join(stateDir, 'outbox', 'sns.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line.includes(batchId));
    expect(notices).toHaveLength(1);
    omics.destroy();
    dynamo.destroy();

    third.child.kill('SIGINT');
    expect(await third.exited).toBe(0);
    // Nothing any of the three started is left: DynamoDB Local's JVM, workflow processes
    await sleep(500);
    expect(processesUsing(stateDir)).toEqual([]);
    expect(processesIn(stateDir)).toEqual([]);
    // Three stack starts and a 20-sample batch of real workflow processes on a shared two-core machine
  }, 420_000);
});

interface EngineRun {
  id: string;
  tags: Record<string, string>;
}

/** Every run the engine knows, with its tags (ListRuns pages, then GetRun for each). */
async function engineRuns(endpoint: string): Promise<EngineRun[]> {
  const omics = new OmicsClient(localOmicsClientConfig(endpoint));
  const runs: EngineRun[] = [];
  let startingToken: string | undefined;
  do {
    const page = await omics.send(new ListRunsCommand({ startingToken, maxResults: 100 }));
    for (const item of page.items ?? []) {
      const run = await omics.send(new GetRunCommand({ id: item.id }));
      runs.push({ id: item.id ?? '', tags: (run.tags ?? {}) as Record<string, string> });
    }
    startingToken = page.nextToken;
  } while (startingToken);
  omics.destroy();
  return runs;
}
