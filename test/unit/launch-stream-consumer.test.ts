import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { type LaunchRef, makeLaunchStreamConsumer } from '../../functions/launch-stream-consumer.js';

function record(sequence: number, launchId: string | undefined, status = 'QUEUED'): DynamoDBRecord {
  return {
    eventID: `e${sequence}`,
    eventName: 'MODIFY',
    dynamodb: {
      SequenceNumber: String(1000 + sequence),
      NewImage: launchId
        ? { batchId: { S: 'b1' }, launchId: { S: launchId }, status: { S: status } }
        : { pk: { S: 'other' } },
    },
  };
}

const event = (records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('launch stream consumer, launches in parallel', () => {
  it('overlaps different launches up to the limit and keeps each launch’s records in order', async () => {
    // Prepare: two records of b1/A around records of four other launches
    const telemetry = makeMemoryTelemetry();
    const seen: string[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const consumer = makeLaunchStreamConsumer(
      telemetry,
      async (ref: LaunchRef) => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        seen.push(`start ${ref.launchId}`);
        await tick(ref.launchId === 'b1/A' ? 30 : 10);
        seen.push(`end ${ref.launchId}`);
        running -= 1;
      },
      { parallelLaunches: 3 },
    );
    const records = [
      record(1, 'b1/A'),
      record(2, 'b1/B'),
      record(3, 'b1/C'),
      record(4, 'b1/A', 'RETRY'),
      record(5, 'b1/D'),
      record(6, 'b1/E'),
    ];

    // Act
    const response = await consumer(event(records));

    // Assess: at most 3 at once, A's second record only after its first ended, nothing failed
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mostAtOnce).toBe(3);
    const firstAEnd = seen.indexOf('end b1/A');
    const secondAStart = seen.lastIndexOf('start b1/A');
    expect(secondAStart).toBeGreaterThan(firstAEnd);
    expect(seen.filter((line) => line.startsWith('end'))).toHaveLength(6);
  });

  it('reports a failed record and the later records of its launch, and lets other launches finish', async () => {
    // Prepare: b1/B fails on its first record
    const telemetry = makeMemoryTelemetry();
    const handled: string[] = [];
    const consumer = makeLaunchStreamConsumer(
      telemetry,
      async (ref: LaunchRef) => {
        if (ref.launchId === 'b1/B') throw new Error('table unavailable');
        handled.push(ref.launchId);
      },
      { parallelLaunches: 4 },
    );

    // Act
    const response = await consumer(
      event([
        record(1, 'b1/A'),
        record(2, 'b1/B'),
        record(3, 'b1/C'),
        record(4, 'b1/B', 'RETRY'),
        record(5, undefined),
      ]),
    );

    // Assess: both of B's records are reported (the second must not run ahead of the first)
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '1002' }, { itemIdentifier: '1004' }]);
    expect(handled.sort()).toEqual(['b1/A', 'b1/C']);
  });

  it('gives each launch a logger with its own ids, so lines of overlapping launches do not mix', async () => {
    // Prepare
    const telemetry = makeMemoryTelemetry();
    const keys: Array<{ launchId: unknown; own: string }> = [];
    const consumer = makeLaunchStreamConsumer(
      telemetry,
      async (ref: LaunchRef, scoped) => {
        await tick(ref.launchId === 'b1/A' ? 20 : 1);
        keys.push({ launchId: scoped.logger.getPersistentLogAttributes().launchId, own: ref.launchId });
      },
      { parallelLaunches: 2 },
    );

    // Act
    await consumer(event([record(1, 'b1/A'), record(2, 'b1/B')]));

    // Assess
    expect(keys).toHaveLength(2);
    for (const entry of keys) expect(entry.launchId).toBe(entry.own);
  });
});

describe('launch stream consumer, one launch at a time', () => {
  it('handles records in stream order and reports a failure alone', async () => {
    // Prepare
    const telemetry = makeMemoryTelemetry();
    const order: string[] = [];
    const consumer = makeLaunchStreamConsumer(telemetry, async (ref: LaunchRef) => {
      order.push(ref.launchId);
      if (ref.launchId === 'b1/B') throw new Error('boom');
    });

    // Act
    const response = await consumer(event([record(1, 'b1/A'), record(2, 'b1/B'), record(3, 'b1/C')]));

    // Assess
    expect(order).toEqual(['b1/A', 'b1/B', 'b1/C']);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '1002' }] });
  });
});
