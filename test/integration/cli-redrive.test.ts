import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { batchIdFor, NO_COUNTS } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { deadLetterDirOf } from '../../infra/local/endpoints.js';
import { createDeadLetterSink } from '../../infra/local/streams/stream-dead-letters.js';
import { createStreamReader } from '../../infra/local/streams/stream-reader.js';
import { runGwm, writeLocalEndpoints } from '../support/cli-runner.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';
import { makeTestTable, type TestTable } from '../support/local-aws.js';

let tmp: string;
let stateDir: string;
let table: TestTable;
let launches: ReturnType<typeof makeLaunchRepository>;
let batches: ReturnType<typeof makeBatchRepository>;

const gwm = (args: string[]) => runGwm(stateDir, args);
const deadLetters = () => deadLetterDirOf(stateDir);
const lines = async (file: string) =>
  (await readFile(join(deadLetters(), file), 'utf8').catch(() => '')).split('\n').filter(Boolean);

async function seedBatch(name: string, statuses: Launch['status'][]): Promise<Launch[]> {
  const batchId = batchIdFor('gwm-manifests', `${name}.json`, name);
  expect(await batches.create(aBatch({ batchId, name, counts: NO_COUNTS }))).toBe('written');
  const items = statuses.map((status, i) =>
    aLaunch({
      batchId,
      batchName: name,
      sampleId: `S${i + 1}`,
      launchId: `${batchId}/S${i + 1}`,
      status,
      ...(status === 'RUNNING' && { runId: '9000001' }),
    }),
  );
  await launches.putMany(items);
  return items;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gwm-cli-redrive-'));
  stateDir = join(tmp, 'state');
  await mkdir(deadLetters(), { recursive: true });
  const dynamodbEndpoint = inject('dynamodbEndpoint');
  table = await makeTestTable(dynamodbEndpoint, 'gwm-cli-redrive');
  const entities = makeEntities(
    DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } }),
    table.tableName,
  );
  launches = makeLaunchRepository(entities);
  batches = makeBatchRepository(entities);
  await writeLocalEndpoints(stateDir, { dynamodbEndpoint, tableName: table.tableName });
});

afterAll(async () => {
  await table?.drop();
  await rm(tmp, { recursive: true, force: true });
});

describe('gwm redrive', () => {
  it("re-drives the launches of the launcher's dead letters, keeps what it cannot read, and changes nothing on a dry run", async () => {
    // Prepare: two launches whose real stream records the stream pump gave up on, and a damaged line
    const [s1, s2, s3] = await seedBatch('FC-DEAD', ['QUEUED', 'QUEUED', 'QUEUED']);
    if (!s1 || !s2 || !s3) throw new Error('expected three launches');
    const reader = createStreamReader({
      client: table.streams,
      streamArn: table.streamArn,
      region: 'us-east-1',
    });
    const records = (await reader.drain({ idleMs: 150 })).filter((record) =>
      [s1.launchId, s2.launchId].includes(record.dynamodb?.NewImage?.launchId?.S ?? ''),
    );
    expect(records).toHaveLength(2);
    const sink = createDeadLetterSink({
      dir: deadLetters(),
      consumer: 'launcher',
      streamArn: table.streamArn,
      log: () => undefined,
    });
    await sink.write(
      records.map((record) => ({
        record,
        condition: 'RetryAttemptsExhausted' as const,
        reason: 'StartRun: AccessDeniedException',
        attempts: 6,
        batch: { size: 2 },
      })),
      () => 'shardId-1',
    );
    await appendFile(join(deadLetters(), 'launcher.jsonl'), '{"consumer": "launcher", cut off\n');

    // Act 1: a dry run
    const dry = await gwm(['redrive', 'launcher', '--dry-run']);
    // Assess 1: listed, nothing changed
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(s1.launchId);
    expect(dry.stdout).toContain('RetryAttemptsExhausted: StartRun: AccessDeniedException');
    expect(dry.stdout).toMatch(/3 failure record\(s\) of the launcher .*nothing was changed/);
    expect(await lines('launcher.jsonl')).toHaveLength(3);
    expect((await launches.get(s1.batchId, s1.launchId))?.revision).toBe(s1.revision);

    // Act 2
    const run = await gwm(['redrive', 'launcher']);
    // Assess 2: both launches rewritten (next revision, same status, a note), S3 untouched
    expect(run.code).toBe(1);
    for (const launch of [s1, s2]) {
      const after = await launches.get(launch.batchId, launch.launchId);
      expect(after).toMatchObject({ status: 'QUEUED', revision: launch.revision + 1 });
      expect(after?.note).toMatch(/^Re-driven at .*launcher's failure records/);
    }
    expect((await launches.get(s3.batchId, s3.launchId))?.revision).toBe(s3.revision);
    expect(run.stdout).toContain('2 launch(es) re-driven');
    expect(run.stdout).toContain('2 failure record(s) removed');
    expect(run.stderr).toMatch(/1 failure record\(s\) could not be read and were kept/);
    // the damaged line stays for a person; the handled ones are kept aside
    expect(await lines('launcher.jsonl')).toEqual(['{"consumer": "launcher", cut off']);
    expect(await lines('redriven/launcher.jsonl')).toHaveLength(2);

    // Act 3: the aggregator has none
    const none = await gwm(['redrive', 'aggregator']);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/No failure records for the aggregator/);
  });

  it('re-drives every launch of a batch, leaving a running one to the tracker', async () => {
    // Prepare
    const [done, failed, running] = await seedBatch('FC-RECOUNT', ['COMPLETED', 'FAILED', 'RUNNING']);
    if (!done || !failed || !running) throw new Error('expected three launches');
    // Act
    const run = await gwm(['redrive', '--batch', 'FC-RECOUNT', '--json']);
    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      results: { launchId: string; action: string; status: string }[];
    };
    expect(report.results.map((r) => [r.launchId, r.action, r.status])).toEqual([
      [done.launchId, 'redriven', 'COMPLETED'],
      [failed.launchId, 'redriven', 'FAILED'],
      [running.launchId, 'in-flight', 'RUNNING'],
    ]);
    expect((await launches.get(done.batchId, done.launchId))?.revision).toBe(done.revision + 1);
    expect((await launches.get(running.batchId, running.launchId))?.revision).toBe(running.revision);
  });

  it('says what to name when the consumer is missing or unknown', async () => {
    const missing = await gwm(['redrive']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/name a consumer \(launcher, aggregator\), or use --batch/);
    const unknown = await gwm(['redrive', 'tracker']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown consumer tracker: use launcher or aggregator/);
  });
});
