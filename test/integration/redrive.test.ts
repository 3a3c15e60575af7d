import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { queueFailures } from '../../cli/stream-failures.js';
import type { Launch } from '../../domain/launch.js';
import type { BatchCompletedNotice } from '../../domain/notifications.js';
import { redriveLaunches } from '../../domain/use-cases/redrive-launches.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

function manifest(count: number) {
  return nativeManifest({ name: 'FC-REDRIVE', folder: 'redrive', sampleIds: sampleIds(count) });
}

async function register(app: TestApp, count: number) {
  app.upload('lab-manifests', 'fc/redrive.json', manifest(count));
  await app.onManifest(s3Put('lab-manifests', 'fc/redrive.json'));
  const [batch] = (await app.batches.listRecent({})).items;
  if (!batch) throw new Error('no batch');
  return batch.batchId;
}

async function launchesOf(app: TestApp, batchId: string): Promise<Launch[]> {
  const items = (await app.launches.listByBatch(batchId, { limit: 1000 })).items;
  return items.sort((a, b) => a.sampleId.localeCompare(b.sampleId, 'en', { numeric: true }));
}

async function endRuns(app: TestApp, launches: Launch[]) {
  for (const stale of launches) {
    const launch = await app.launches.get(stale.batchId, stale.launchId);
    if (!launch?.runId) throw new Error(`launch ${stale.launchId} has no run`);
    await app.onRunStatus(app.omics.transition(launch.runId, 'RUNNING'));
    await app.onRunStatus(app.omics.transition(launch.runId, 'COMPLETED'));
  }
}

const completed = (app: TestApp) =>
  app.notices.filter((n): n is BatchCompletedNotice => n.kind === 'batch-completed');
const keysOf = (launches: Launch[]) => launches.map(({ batchId, launchId }) => ({ batchId, launchId }));

describe('re-driving launches whose stream records a consumer gave up on', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('starts the launches whose launcher records were lost, each once, however often they are re-driven', async () => {
    // Prepare: three launches registered; their stream records never reach a launcher
    app = await makeTestApp();
    const batchId = await register(app, 3);
    await app.readStream();
    await app.pump();
    const [s1, s2, s3] = await launchesOf(app, batchId);
    if (!s1 || !s2 || !s3) throw new Error('expected three launches');
    expect(app.omics.startRunCalls).toHaveLength(0);
    // Act: S1 and S2 re-driven (S1 named twice, as two failure records may), delivered twice, then again
    const results = await redriveLaunches(
      { launches: app.launches, now: () => new Date() },
      keysOf([s1, s2, s1]),
      'lost',
    );
    await app.pump({ times: 2 });
    await redriveLaunches({ launches: app.launches, now: () => new Date() }, keysOf([s1, s2, s3]), 'again');
    await app.pump({ times: 2 });
    // Assess: the wake-ups serve the batch's queue: every launch started, each exactly once
    expect(results.map((r) => [r.launchId, r.action, r.status])).toEqual([
      [s1.launchId, 'redriven', 'QUEUED'],
      [s2.launchId, 'redriven', 'QUEUED'],
    ]);
    const started = app.omics.startRunCalls.map((call) => call.name);
    expect(started).toHaveLength(3);
    expect(new Set(started).size).toBe(3);
    for (const launch of await launchesOf(app, batchId)) {
      expect(launch).toMatchObject({ status: 'SUBMITTED', attempt: 1 });
      expect(launch.runId).toBeDefined();
    }
  });

  it('finishes a batch whose completion records were lost, with one notice, and leaves running launches alone', async () => {
    // Prepare: two samples run and complete; every record of their completion is lost
    app = await makeTestApp();
    const batchId = await register(app, 3);
    await app.pump();
    const [s1, s2, s3] = await launchesOf(app, batchId);
    if (!s1 || !s2 || !s3) throw new Error('expected three launches');
    await endRuns(app, [s1, s2]);
    await app.pump({ holdCompletion: true });
    expect(app.dropHeldCompletionRecords()).toBeGreaterThan(0);
    const s3Run = (await app.launches.get(batchId, s3.launchId))?.runId ?? '';
    await app.onRunStatus(app.omics.transition(s3Run, 'RUNNING'));
    await app.pump();
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'ACTIVE', counts: { succeeded: 0 } });

    // Act 1: re-drive all three while S3 runs
    const first = await redriveLaunches(
      { launches: app.launches, now: () => new Date() },
      keysOf([s1, s2, s3]),
      'lost',
    );
    await app.pump({ times: 2 });
    // Assess 1: S1 and S2 counted, S3 left to the tracker; the batch waits for it
    expect(first.map((r) => r.action)).toEqual(['redriven', 'redriven', 'in-flight']);
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'ACTIVE', counts: { succeeded: 2 } });
    expect(completed(app)).toHaveLength(0);

    // Act 2: S3 completes (its record reaches the aggregator); everything is re-driven once more
    await app.onRunStatus(app.omics.transition(s3Run, 'COMPLETED'));
    await app.pump();
    await redriveLaunches({ launches: app.launches, now: () => new Date() }, keysOf([s1, s2, s3]), 'again');
    await app.pump();
    // Assess 2: completed once, counted once each, one notice
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED',
      counts: { succeeded: 3, failed: 0 },
      notifiedRound: 1,
    });
    expect(completed(app)).toHaveLength(1);
    expect(completed(app)[0]).toMatchObject({ batchId, outcome: 'COMPLETED' });
    expect(app.omics.startRunCalls).toHaveLength(3);
  });
});

describe("a deployed consumer's failure queue", () => {
  let app: TestApp;
  const sqs = mockClient(SQSClient);
  afterEach(async () => {
    sqs.reset();
    await app?.dispose();
  });

  it('reads the launches of the records a failure message points at from the stream, and deletes only what was settled', async () => {
    // Prepare: three launches written (three INSERT records on the table's real stream)
    app = await makeTestApp();
    const batchId = await register(app, 3);
    const records = await app.readStream();
    const launchRecords = records.filter((r) => r.dynamodb?.NewImage?.launchId?.S);
    expect(launchRecords.length).toBeGreaterThanOrEqual(3);
    const [first, second] = launchRecords;
    const { StreamDescription } = await app.table.streams.send(
      new DescribeStreamCommand({ StreamArn: app.table.streamArn }),
    );
    const shardId = StreamDescription?.Shards?.[0]?.ShardId ?? '';
    // Lambda's on-failure record for a batch of the first two records, and one past the stream's 24 hours
    const onFailure = (start: string, end: string, shard = shardId) =>
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 6 },
        responseContext: { statusCode: 200, functionError: 'Unhandled' },
        version: '1.0',
        timestamp: '2026-12-06T10:00:00.000Z',
        DDBStreamBatchInfo: {
          shardId: shard,
          startSequenceNumber: start,
          endSequenceNumber: end,
          approximateArrivalOfFirstRecord: '2026-12-06T09:59:00Z',
          approximateArrivalOfLastRecord: '2026-12-06T09:59:00Z',
          batchSize: 2,
          streamArn: app.table.streamArn,
        },
      });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'm-1',
            ReceiptHandle: 'r-1',
            Body: onFailure(first?.dynamodb?.SequenceNumber ?? '', second?.dynamodb?.SequenceNumber ?? ''),
          },
          { MessageId: 'm-2', ReceiptHandle: 'r-2', Body: onFailure('1', '1', 'shardId-gone') },
        ],
      })
      .resolves({ Messages: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const source = queueFailures({
      sqs: new SQSClient({ region: 'us-east-1' }),
      streams: app.table.streams,
      queueUrl: 'https://sqs/q',
    });

    // Act
    const failures = await source.take();
    await source.settle(failures.filter((failure) => failure.unreadable === undefined));
    await source.release();

    // Assess: the first message names the first two launches, in stream order; the second cannot be read
    const names = (records: typeof launchRecords) => records.map((r) => r.dynamodb?.NewImage?.launchId?.S);
    expect(failures[0]).toMatchObject({
      id: 'm-1',
      at: '2026-12-06T10:00:00.000Z',
      reason: 'RetryAttemptsExhausted: Unhandled',
    });
    expect(failures[0]?.launches.map((l) => l.launchId)).toEqual(
      names([first, second] as typeof launchRecords),
    );
    expect(failures[0]?.launches.every((l) => l.batchId === batchId)).toBe(true);
    expect(failures[1]).toMatchObject({ id: 'm-2', launches: [] });
    expect(failures[1]?.unreadable).toMatch(/cannot be read .*24 hours/);
    const deleted = sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(deleted.map((e) => e.ReceiptHandle)).toEqual(['r-1']);
    const shown = sqs
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(shown).toEqual([{ Id: '0', ReceiptHandle: 'r-2', VisibilityTimeout: 0 }]);
  });
});
