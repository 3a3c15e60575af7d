import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { StreamSourceSettings } from '../../functions/event-sources.js';
import { startDynamoDbLocal } from '../../infra/local/dynamodb/dynamodb-local.js';
import {
  type DeadLetter,
  type StreamCheckpoint,
  type StreamConsumer,
  type StreamPump,
  type StreamPumpOptions,
  startStreamPump,
} from '../../infra/local/streams/stream-pump.js';
import { R6_BISECTION } from '../support/bisection.js';
import { makeTestTable, type TestTable } from '../support/local-aws.js';

interface LogLine {
  level: string;
  message: string;
  details?: Record<string, unknown>;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  // Pumps first, then their tables and folders.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newTable(endpoint = inject('dynamodbEndpoint')): Promise<TestTable> {
  const table = await makeTestTable(endpoint, 'gwm-pump');
  cleanups.push(() => table.drop());
  return table;
}

async function newFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'gwm-pump-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

function startPump(
  table: TestTable,
  consumers: StreamConsumer[],
  options: Partial<StreamPumpOptions> & { deadLetterDir: string },
): { pump: StreamPump; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const pump = startStreamPump({
    client: table.streams,
    streamArn: table.streamArn,
    region: 'us-east-1',
    consumers,
    pollIntervalMs: 20,
    retryDelayMs: () => 1,
    log: (level, message, details) => logs.push({ level, message, details }),
    ...options,
  });
  cleanups.push(() => pump.stop());
  return { pump, logs };
}

/** Writes one item per id, in order; `kind` is what the filters look at. */
async function write(table: TestTable, ids: string[], kind = 'sample'): Promise<void> {
  for (const id of ids) {
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: `REC#${id}`, sk: 'REC', id, kind } }),
    );
  }
}

function idOf(record: DynamoDBRecord): string {
  return record.dynamodb?.NewImage?.id?.S ?? '?';
}

function ids(prefix: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${from + index}`);
}

function source(overrides: Partial<StreamSourceSettings> = {}): StreamSourceSettings {
  return { filterPatterns: [], batchSize: 10, maxRetryAttempts: 2, bisectBatchOnError: false, ...overrides };
}

function kindFilter(kind: string): object {
  return { dynamodb: { NewImage: { kind: { S: [kind] } } } };
}

/** A consumer that remembers the ids of every call's batch, and answers with `reply` (which may throw or wait). */
function recorder(
  name: string,
  settings: StreamSourceSettings,
  reply: (ids: string[], call: number) => Promise<DynamoDBBatchResponse | undefined> | undefined = () =>
    undefined,
) {
  const calls: string[][] = [];
  const consumer: StreamConsumer = {
    name,
    source: settings,
    handler: async (event) => {
      const batch = event.Records.map(idOf);
      calls.push(batch);
      return reply(batch, calls.length);
    },
  };
  return { consumer, calls, seen: () => calls.flat() };
}

async function readDeadLetters(folder: string, consumer: string): Promise<DeadLetter[]> {
  const text = await readFile(join(folder, `${consumer}.jsonl`), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DeadLetter);
}

async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('stream pump on DynamoDB Local', () => {
  it('hands each consumer only the records its filters match, in stream order', async () => {
    // Prepare
    const table = await newTable();
    const samples = recorder('samples', source({ filterPatterns: [kindFilter('sample')] }));
    const batches = recorder('batches', source({ filterPatterns: [kindFilter('batch')] }));
    const { pump } = startPump(table, [samples.consumer, batches.consumer], {
      deadLetterDir: await newFolder(),
    });

    // Act
    await write(table, ['s1'], 'sample');
    await write(table, ['b1'], 'batch');
    await write(table, ['o1'], 'other');
    await write(table, ['s2', 's3'], 'sample');
    await write(table, ['b2'], 'batch');
    await pump.settle();

    // Assess
    expect(samples.seen()).toEqual(['s1', 's2', 's3']);
    expect(batches.seen()).toEqual(['b1', 'b2']);
    expect(pump.stats()).toMatchObject({
      recordsRead: 6,
      consumers: {
        samples: { deadLettered: 0, pending: 0 },
        batches: { deadLettered: 0, pending: 0 },
      },
    });
  });

  it('calls a handler that reported record k as failed again starting at k', async () => {
    // Prepare: six records are in the stream before the pump starts, so the first batch is all of its size
    const table = await newTable();
    await write(table, ids('r', 6));
    const calls: string[][] = [];
    const consumer: StreamConsumer = {
      name: 'partial',
      source: source({ batchSize: 4 }),
      handler: async (event) => {
        calls.push(event.Records.map(idOf));
        // r3 fails on the first call only; Lambda takes failed records by sequence number.
        const r3 = event.Records.find((record) => idOf(record) === 'r3');
        return calls.length === 1 && r3
          ? { batchItemFailures: [{ itemIdentifier: r3.dynamodb?.SequenceNumber ?? '' }] }
          : undefined;
      },
    };

    // Act
    const { pump } = startPump(table, [consumer], { deadLetterDir: await newFolder() });
    await pump.settle();

    // Assess
    expect(calls).toEqual([
      ['r1', 'r2', 'r3', 'r4'],
      ['r3', 'r4'],
      ['r5', 'r6'],
    ]);
    expect(pump.stats().consumers.partial).toEqual({ invocations: 3, deadLettered: 0, pending: 0 });
  });

  it('halves a batch around a poison record, gives up on it after its retries, delivers its neighbours and keeps going', async () => {
    // Prepare
    const table = await newTable();
    await write(table, ids('r', 8));
    const deadLetterDir = await newFolder();
    const consumer = recorder('bisect', source(R6_BISECTION.settings), (batch) => {
      if (batch.includes('r6')) throw new Error('r6 is malformed');
      return undefined;
    });
    const { pump } = startPump(table, [consumer.consumer], { deadLetterDir });

    // Act
    await pump.settle();
    await write(table, ['r9']);
    await pump.settle();

    // Assess
    expect(consumer.calls).toEqual([...R6_BISECTION.calls, ['r9']]);
    const delivered = consumer.calls.filter((batch) => !batch.includes('r6')).flat();
    expect(delivered).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9']);
    const letters = await readDeadLetters(deadLetterDir, 'bisect');
    expect(letters.map((letter) => [idOf(letter.record), letter.attempts])).toEqual([['r6', 6]]);
    expect(pump.stats().consumers.bisect).toEqual({ invocations: 10, deadLettered: 1, pending: 0 });
  });

  it('appends each record given up on to <consumer>.jsonl with the record, the condition and the reason', async () => {
    // Prepare: the handler reports r2 and r4 as failed every time it sees them
    const table = await newTable();
    await write(table, ids('r', 5));
    const deadLetterDir = await newFolder();
    const consumer: StreamConsumer = {
      name: 'launcher',
      source: source({ batchSize: 5, maxRetryAttempts: 1 }),
      handler: async (event) => ({
        batchItemFailures: event.Records.filter((record) => ['r2', 'r4'].includes(idOf(record))).map(
          (record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }),
        ),
      }),
    };
    const before = Date.now();
    const { pump } = startPump(table, [consumer], { deadLetterDir });

    // Act
    await pump.settle();

    // Assess
    const letters = await readDeadLetters(deadLetterDir, 'launcher');
    expect(letters).toHaveLength(2);
    const [first, second] = letters;
    expect(first).toMatchObject({
      consumer: 'launcher',
      condition: 'RetryAttemptsExhausted',
      reason: 'the handler reported it as a batch item failure',
      attempts: 2,
      streamArn: table.streamArn,
      batch: { size: 4 },
      record: {
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        eventSourceARN: table.streamArn,
        awsRegion: 'us-east-1',
        dynamodb: {
          Keys: { pk: { S: 'REC#r2' }, sk: { S: 'REC' } },
          NewImage: { id: { S: 'r2' }, kind: { S: 'sample' } },
        },
      },
    });
    expect(first?.shardId).toMatch(/^shardId-/);
    expect(Date.parse(first?.at ?? '')).toBeGreaterThanOrEqual(before - 1_000);
    expect(first?.batch.firstSequenceNumber).toBe(first?.record.dynamodb?.SequenceNumber);
    // r4 was in every call until it was given up on: r1-r5, r2-r5, r3-r5 (after r2 was given up on), r4-r5.
    expect(second).toMatchObject({ consumer: 'launcher', attempts: 4, batch: { size: 2 } });
    expect(idOf(second?.record ?? {})).toBe('r4');
    expect(pump.stats().consumers.launcher?.deadLettered).toBe(2);
  });

  it('does not hold a fast consumer back behind a slow one', async () => {
    // Prepare
    const table = await newTable();
    const count = 6;
    let started = 0;
    const finished: Record<string, number> = {};
    const timed = (name: string, delayMs: number): StreamConsumer => {
      let seen = 0;
      return {
        name,
        source: source({ batchSize: 1 }),
        handler: async (event) => {
          await sleep(delayMs);
          seen += event.Records.length;
          if (seen === count) finished[name] = Date.now() - started;
          return undefined;
        },
      };
    };
    const { pump } = startPump(table, [timed('slow', 250), timed('fast', 0)], {
      deadLetterDir: await newFolder(),
    });

    // Act
    started = Date.now();
    await write(table, ids('r', count));
    await pump.settle();

    // Assess: the slow consumer needs at least 6 x 250 ms; the fast one is done long before
    const { slow = 0, fast = Number.POSITIVE_INFINITY } = finished;
    expect(slow).toBeGreaterThanOrEqual(count * 250);
    expect(fast * 3).toBeLessThan(slow);
  });

  it('settles only once every record written before the call has reached every consumer', async () => {
    // Prepare: one consumer takes a while per batch
    const table = await newTable();
    const slow = recorder('slow', source({ batchSize: 2 }), async () => {
      await sleep(30);
      return undefined;
    });
    const quick = recorder('quick', source({ batchSize: 3 }));
    const { pump } = startPump(table, [slow.consumer, quick.consumer], { deadLetterDir: await newFolder() });

    for (let round = 1; round <= 3; round++) {
      // Act
      const written = ids(`round${round}-`, 7);
      await write(table, written);
      await pump.settle();

      // Assess: nothing is still under way when settle resolves
      expect(slow.seen().slice(-7)).toEqual(written);
      expect(quick.seen().slice(-7)).toEqual(written);
      expect(pump.stats().consumers).toMatchObject({ slow: { pending: 0 }, quick: { pending: 0 } });
    }
  });

  it('waits for the records that handlers write in turn only when asked to', async () => {
    // Prepare: each record of generation 1 and 2 makes its handler write the next generation
    const table = await newTable();
    const chain = recorder('chain', source(), async (batch) => {
      for (const id of batch) {
        const generation = Number(id.slice(-1));
        if (generation < 3) await write(table, [`${id.slice(0, -1)}${generation + 1}`]);
      }
      return undefined;
    });
    const { pump } = startPump(table, [chain.consumer], { deadLetterDir: await newFolder() });

    // Act
    await write(table, ['a-gen1', 'b-gen1']);
    await pump.settle();
    const afterSettle = chain.seen();
    await pump.settle({ untilQuiet: true });

    // Assess
    expect(afterSettle.slice(0, 2)).toEqual(['a-gen1', 'b-gen1']);
    expect(chain.seen()).toEqual(['a-gen1', 'b-gen1', 'a-gen2', 'b-gen2', 'a-gen3', 'b-gen3']);
  });

  it('rejects settle with SETTLE_TIMEOUT while a handler does not return', async () => {
    // Prepare
    const table = await newTable();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stuck = recorder('stuck', source(), async () => {
      await released;
      return undefined;
    });
    const { pump } = startPump(table, [stuck.consumer], { deadLetterDir: await newFolder() });
    await write(table, ['r1']);

    // Act
    const outcome = await pump.settle({ timeoutMs: 300 }).catch((error: unknown) => error);
    release();
    await pump.settle();

    // Assess
    expect(outcome).toMatchObject({ name: 'StreamPumpError', code: 'SETTLE_TIMEOUT' });
    expect(String((outcome as Error).message)).toMatch(/stuck 1/);
    expect(stuck.seen()).toEqual(['r1']);
  });

  it('resumes from its checkpoint after stop: nothing dispatched twice, records written while stopped delivered', async () => {
    // Prepare
    const table = await newTable();
    const folder = await newFolder();
    const checkpointFile = join(folder, 'checkpoint.json');
    const all1 = recorder('all', source());
    const samples1 = recorder('samples', source({ filterPatterns: [kindFilter('sample')] }));
    const first = startPump(table, [all1.consumer, samples1.consumer], {
      deadLetterDir: folder,
      checkpointFile,
    });
    await write(table, ['x1', 'x2'], 'sample');
    await write(table, ['x3'], 'batch');
    await first.pump.settle();
    await first.pump.stop();

    // Act
    await write(table, ['x4'], 'batch');
    await write(table, ['x5', 'x6'], 'sample');
    const all2 = recorder('all', source());
    const samples2 = recorder('samples', source({ filterPatterns: [kindFilter('sample')] }));
    const second = startPump(table, [all2.consumer, samples2.consumer], {
      deadLetterDir: folder,
      checkpointFile,
    });
    await second.pump.settle();

    // Assess
    expect(all1.seen()).toEqual(['x1', 'x2', 'x3']);
    expect(samples1.seen()).toEqual(['x1', 'x2']);
    expect(all2.seen()).toEqual(['x4', 'x5', 'x6']);
    expect(samples2.seen()).toEqual(['x5', 'x6']);
    const checkpoint = JSON.parse(await readFile(checkpointFile, 'utf8')) as StreamCheckpoint;
    expect(checkpoint).toMatchObject({ version: 1, streamArn: table.streamArn });
    expect(Object.keys(checkpoint.consumers).sort()).toEqual(['all', 'samples']);
    expect(second.logs.map((line) => line.message)).toContain(
      'resuming the DynamoDB stream from the checkpoint',
    );
  });

  it('keeps each consumer its own place: a stop while one lags leaves it exactly the records it had not finished', async () => {
    // Prepare: 'lagging' takes 200 ms per record, 'prompt' none
    const table = await newTable();
    const folder = await newFolder();
    const checkpointFile = join(folder, 'checkpoint.json');
    const prompt1 = recorder('prompt', source({ batchSize: 1 }));
    const lagging1 = recorder('lagging', source({ batchSize: 1 }), async () => {
      await sleep(200);
      return undefined;
    });
    const first = startPump(table, [prompt1.consumer, lagging1.consumer], {
      deadLetterDir: folder,
      checkpointFile,
    });
    const written = ids('y', 5);
    await write(table, written);
    await eventually(() => prompt1.seen().length === 5 && lagging1.seen().length >= 1);

    // Act
    await first.pump.stop();
    const prompt2 = recorder('prompt', source({ batchSize: 1 }));
    const lagging2 = recorder('lagging', source({ batchSize: 1 }));
    const second = startPump(table, [prompt2.consumer, lagging2.consumer], {
      deadLetterDir: folder,
      checkpointFile,
    });
    await second.pump.settle();

    // Assess: the call in flight at the stop finished, and nothing before it comes again
    expect(prompt1.seen()).toEqual(written);
    expect(prompt2.seen()).toEqual([]);
    expect(lagging1.seen().length).toBeLessThan(5);
    expect([...lagging1.seen(), ...lagging2.seen()]).toEqual(written);
  });
});

describe('stream pump across a DynamoDB Local restart (-dbPath)', () => {
  it('keeps reading after DynamoDB Local restarts under it, and resumes from its checkpoint after both restart', async () => {
    // Prepare: a DynamoDB Local of this test's own, keeping its data in a folder
    const folder = await newFolder();
    const dbPath = join(folder, 'db');
    let dynamodb = await startDynamoDbLocal({ dbPath });
    cleanups.push(() => dynamodb.stop());
    const { port } = dynamodb;
    const table = await newTable(dynamodb.endpoint);
    const checkpointFile = join(folder, 'checkpoint.json');
    const first = recorder('all', source());
    const firstPump = startPump(table, [first.consumer], { deadLetterDir: folder, checkpointFile });
    await write(table, ids('a', 3));
    await firstPump.pump.settle();
    await firstPump.pump.stop();
    await write(table, ids('b', 2));

    // Act 1: both restart; more is written before the pump comes back
    await dynamodb.stop();
    dynamodb = await startDynamoDbLocal({ dbPath, port });
    await write(table, ids('b', 2, 3));
    const second = recorder('all', source());
    const secondPump = startPump(table, [second.consumer], { deadLetterDir: folder, checkpointFile });
    await secondPump.pump.settle({ timeoutMs: 30_000 });

    // Assess 1
    expect(first.seen()).toEqual(['a1', 'a2', 'a3']);
    expect(second.seen()).toEqual(['b1', 'b2', 'b3', 'b4']);

    // Act 2: DynamoDB Local restarts while the pump runs
    await dynamodb.stop();
    await eventually(() => secondPump.logs.some((line) => line.level === 'warn'));
    dynamodb = await startDynamoDbLocal({ dbPath, port });
    await write(table, ids('c', 2));
    await secondPump.pump.settle({ timeoutMs: 30_000 });

    // Assess 2
    expect(second.seen()).toEqual(['b1', 'b2', 'b3', 'b4', 'c1', 'c2']);
    expect(secondPump.logs.map((line) => [line.level, line.message])).toEqual(
      expect.arrayContaining([
        ['warn', 'cannot read the DynamoDB stream; retrying'],
        ['info', 'reading the DynamoDB stream again'],
      ]),
    );
  });
});
