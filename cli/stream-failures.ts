import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LaunchKey } from '../domain/use-cases/redrive-launches.js';
import { launchRefOf } from '../functions/launch-stream-consumer.js';
import type { DeadLetter } from '../infra/local/streams/stream-dead-letters.js';
import { toLambdaRecord } from '../infra/local/streams/stream-reader.js';

/** The table stream's consumers, whose failure records name launches. */
export const STREAM_CONSUMERS = ['launcher', 'aggregator'] as const;
export type StreamConsumer = (typeof STREAM_CONSUMERS)[number];

/** One failure record: the launches of the stream records a consumer gave up on. */
export interface StreamFailure {
  /** The queue message id, or the dead-letter line's number. */
  id: string;
  /** When the consumer gave up, when the record says. */
  at?: string;
  /** Why, when the record says (RetryAttemptsExhausted, RecordAgeExceeded, an error message). */
  reason?: string;
  launches: LaunchKey[];
  /** Why its stream records cannot be read any more (DynamoDB Streams keeps them 24 hours). */
  unreadable?: string;
}

/**
 * A consumer's failure records, taken so that nothing else handles them meanwhile: `settle`
 * removes those whose launches were re-driven, `release` gives back the others as they were.
 */
export interface StreamFailureSource {
  /** Where the records are, for messages. */
  description: string;
  take(): Promise<StreamFailure[]>;
  settle(failures: readonly StreamFailure[]): Promise<void>;
  release(): Promise<void>;
}

function launchKeysOf(records: readonly Parameters<typeof launchRefOf>[0][]): LaunchKey[] {
  return records.flatMap((record) => {
    const ref = launchRefOf(record);
    return ref ? [{ batchId: ref.batchId, launchId: ref.launchId }] : [];
  });
}

/**
 * The embedded runtime's dead-letter file `<dir>/<consumer>.jsonl` (one line per record, the record
 * inside). Taking it renames it, so the stream pump starts a new file for anything it gives up on
 * meanwhile; settled lines go to `redriven/<consumer>.jsonl`, the rest back to the live file.
 */
export function deadLetterFailures(dir: string, consumer: StreamConsumer): StreamFailureSource {
  const live = join(dir, `${consumer}.jsonl`);
  // Neither ends in .jsonl: they are not failure queues (the dashboard counts `<dir>/*.jsonl`).
  const taken = join(dir, `${consumer}.jsonl.taken-${randomUUID()}`);
  /** Each taken line by its failure's id (`line <n>`), and those settled. */
  let lines = new Map<string, string>();
  const settled = new Set<string>();
  return {
    description: live,
    async take() {
      try {
        await rename(live, taken);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const read = (await readFile(taken, 'utf8')).split('\n').filter((line) => line.trim() !== '');
      lines = new Map(read.map((line, index) => [`line ${index + 1}`, line]));
      return [...lines].map(([id, line]) => {
        try {
          const letter = JSON.parse(line) as DeadLetter;
          return {
            id,
            at: letter.at,
            reason: `${letter.condition}: ${letter.reason}`,
            launches: launchKeysOf([letter.record]),
          };
        } catch (error) {
          return { id, launches: [], unreadable: `not a dead letter: ${(error as Error).message}` };
        }
      });
    },
    async settle(failures) {
      const redriven = failures.flatMap((failure) => {
        const line = lines.get(failure.id);
        if (line === undefined || settled.has(failure.id)) return [];
        settled.add(failure.id);
        return [line];
      });
      if (redriven.length === 0) return;
      await mkdir(join(dir, 'redriven'), { recursive: true });
      await appendFile(join(dir, 'redriven', `${consumer}.jsonl`), `${redriven.join('\n')}\n`);
    },
    async release() {
      const kept = [...lines].flatMap(([id, line]) => (settled.has(id) ? [] : [line]));
      if (kept.length > 0) await appendFile(live, `${kept.join('\n')}\n`);
      await rm(taken, { force: true });
      lines = new Map();
    },
  };
}

/** Lambda's on-failure record for a stream batch: it points at the records, it does not hold them. */
interface OnFailureRecord {
  timestamp?: string;
  requestContext?: { condition?: string; approximateInvokeCount?: number };
  responseContext?: { functionError?: string };
  DDBStreamBatchInfo?: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    streamArn: string;
    batchSize?: number;
  };
}

/** Seconds a taken message stays hidden from other readers while its launches are re-driven. */
const VISIBILITY_SECONDS = 300;
/** GetRecords calls that return nothing before a shard's reading stops (an open shard at its end). */
const EMPTY_READS = 3;

/**
 * A deployed consumer's failure queue (SQS): each message names a shard and a range of sequence
 * numbers; the records are read back from the table's stream while it still has them.
 */
export function queueFailures(options: {
  sqs: SQSClient;
  streams: DynamoDBStreamsClient;
  queueUrl: string;
  /** Messages taken at most (default: all there are). */
  limit?: number;
}): StreamFailureSource {
  const { sqs, streams, queueUrl } = options;
  const receipts = new Map<string, string>();
  return {
    description: queueUrl,
    async take() {
      const failures: StreamFailure[] = [];
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      while (failures.length < limit) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, limit - failures.length),
            VisibilityTimeout: VISIBILITY_SECONDS,
            WaitTimeSeconds: 1,
          }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const id = message.MessageId ?? `message ${failures.length + 1}`;
          if (message.ReceiptHandle) receipts.set(id, message.ReceiptHandle);
          failures.push(await failureOf(streams, id, message.Body ?? ''));
        }
      }
      return failures;
    },
    async settle(failures) {
      const handles = failures.flatMap((failure) => {
        const handle = receipts.get(failure.id);
        return handle ? [handle] : [];
      });
      for (let i = 0; i < handles.length; i += 10) {
        const entries = handles
          .slice(i, i + 10)
          .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle }));
        const { Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }),
        );
        if (Failed.length > 0) {
          throw new Error(
            `${Failed.length} failure records were re-driven but not deleted from ${queueUrl}: ${Failed.map((f) => f.Message).join('; ')}`,
          );
        }
      }
      for (const failure of failures) receipts.delete(failure.id);
    },
    async release() {
      // Messages not deleted are visible again at once (a dry run, records that cannot be read).
      const handles = [...receipts.values()];
      receipts.clear();
      for (let i = 0; i < handles.length; i += 10) {
        const entries = handles
          .slice(i, i + 10)
          .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 }));
        await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      }
    },
  };
}

async function failureOf(streams: DynamoDBStreamsClient, id: string, body: string): Promise<StreamFailure> {
  let record: OnFailureRecord;
  try {
    record = JSON.parse(body) as OnFailureRecord;
  } catch (error) {
    return { id, launches: [], unreadable: `not JSON: ${(error as Error).message}` };
  }
  const info = record.DDBStreamBatchInfo;
  const reason = [record.requestContext?.condition, record.responseContext?.functionError]
    .filter(Boolean)
    .join(': ');
  const base = { id, ...(record.timestamp && { at: record.timestamp }), ...(reason && { reason }) };
  if (!info)
    return { ...base, launches: [], unreadable: 'no DDBStreamBatchInfo: not a stream failure record' };
  try {
    const records = await readRange(streams, info);
    return { ...base, launches: launchKeysOf(records.map((r) => toLambdaRecord(r, info.streamArn))) };
  } catch (error) {
    const e = error as Error;
    return {
      ...base,
      launches: [],
      unreadable: `its records cannot be read from ${info.streamArn} (${e.name}: ${e.message}); DynamoDB Streams keeps records 24 hours`,
    };
  }
}

/** The records of one shard from `start` to `end` (sequence numbers compare as integers). */
async function readRange(
  streams: DynamoDBStreamsClient,
  info: NonNullable<OnFailureRecord['DDBStreamBatchInfo']>,
): Promise<_Record[]> {
  const end = BigInt(info.endSequenceNumber);
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const found: _Record[] = [];
  let iterator = ShardIterator;
  let empty = 0;
  while (iterator && empty < EMPTY_READS) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    const records = page.Records ?? [];
    empty = records.length === 0 ? empty + 1 : 0;
    for (const record of records) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return found;
      found.push(record);
    }
    iterator = page.NextShardIterator;
  }
  return found;
}
