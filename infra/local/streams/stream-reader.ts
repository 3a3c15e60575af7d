import { setTimeout as sleep } from 'node:timers/promises';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type AttributeValue as SdkAttributeValue,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';

export interface StreamReaderOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  /** Reported as `awsRegion`: DynamoDB Local says 'ddblocal' where Lambda gives the table's region. */
  region?: string;
  /**
   * Per shard id, the sequence number after which reading starts (a checkpoint); other shards are
   * read from their oldest record (TRIM_HORIZON).
   */
  startAfter?: Readonly<Record<string, string>>;
  /** Cancels the calls in flight (stopping a pump should not wait on a stream that does not answer). */
  signal?: AbortSignal;
  /** Records per GetRecords call (the service's limit, 1,000, when absent). */
  pageSize?: number;
}

export interface DrainOptions {
  /** Stop once this long has passed without a new record. */
  idleMs?: number;
  /** Stop regardless after this long, returning what was read so far. */
  timeoutMs?: number;
}

export interface ShardRecord {
  shardId: string;
  record: DynamoDBRecord;
}

export interface StreamRead {
  /** Records written since the previous read, in order per shard (parents before children); may be empty. */
  records: ShardRecord[];
  /**
   * Every shard was read to its current end without an error. DynamoDB Local makes a record readable
   * before the write that made it returns, so a record written before this read began is in it or in
   * an earlier one.
   */
  caughtUp: boolean;
  /** Why the read stopped early; the records read before it are still returned, and the next read resumes. */
  error?: unknown;
}

export interface StreamReader {
  /** Records written since the previous poll, in order per shard (parents before children); may be empty. */
  poll(): Promise<DynamoDBRecord[]>;
  /** One poll that never throws: each record with its shard, whether every shard was read to its end, and any error. */
  read(): Promise<StreamRead>;
  /** Polls until the stream stays quiet for `idleMs`; returns every record read meanwhile. */
  drain(options?: DrainOptions): Promise<DynamoDBRecord[]>;
}

interface ShardState {
  shardId: string;
  parentShardId: string | undefined;
  /** DescribeStream gave an ending sequence number: no record will be added. */
  closed: boolean;
  /** Read to its end: GetRecords returned no next iterator. */
  finished: boolean;
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
}

// One shard may hold many pages; bounding the calls keeps one busy shard from starving a poll.
const MAX_GET_RECORDS_PER_SHARD = 100;
const DRAIN_POLL_INTERVAL_MS = 25;

export function createStreamReader({
  client,
  streamArn,
  region,
  startAfter = {},
  signal,
  pageSize,
}: StreamReaderOptions): StreamReader {
  const shards = new Map<string, ShardState>();

  async function refreshShards(): Promise<void> {
    const listed = new Set<string>();
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription: description } = await client.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: signal },
      );
      for (const shard of description?.Shards ?? []) {
        if (shard.ShardId === undefined) continue;
        listed.add(shard.ShardId);
        track(shard, shard.ShardId);
      }
      exclusiveStartShardId = description?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);

    // A shard that aged out of the stream and was read to its end no longer needs to be remembered;
    // its children then see no known parent and become readable.
    for (const [shardId, state] of shards) {
      if (state.finished && !listed.has(shardId)) shards.delete(shardId);
    }
  }

  function track(shard: Shard, shardId: string): void {
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    const known = shards.get(shardId);
    if (known) {
      known.closed = known.closed || closed;
      return;
    }
    shards.set(shardId, {
      shardId,
      parentShardId: shard.ParentShardId,
      closed,
      finished: false,
      iterator: undefined,
      lastSequenceNumber: Object.hasOwn(startAfter, shardId) ? startAfter[shardId] : undefined,
    });
  }

  function parentDone(state: ShardState): boolean {
    if (state.parentShardId === undefined) return true;
    const parent = shards.get(state.parentShardId);
    return parent === undefined || parent.finished;
  }

  async function freshIterator(state: ShardState): Promise<string | undefined> {
    try {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: state.shardId,
          ...(state.lastSequenceNumber === undefined
            ? { ShardIteratorType: 'TRIM_HORIZON' }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequenceNumber }),
        }),
        { abortSignal: signal },
      );
      return ShardIterator;
    } catch (error) {
      const name = errorName(error);
      // The shard was trimmed away entirely: there is nothing left in it to read.
      if (name === 'ResourceNotFoundException') return undefined;
      if (name === 'TrimmedDataAccessException' && state.lastSequenceNumber !== undefined) {
        // The record after which we would resume (a checkpoint) is gone; the oldest one still kept is next.
        state.lastSequenceNumber = undefined;
        return freshIterator(state);
      }
      throw error;
    }
  }

  /** Reads one shard as far as it goes now; records read before an error are kept and returned with it. */
  async function readShard(
    state: ShardState,
    into: ShardRecord[],
  ): Promise<{ caughtUp: boolean; error?: unknown }> {
    for (let call = 0; call < MAX_GET_RECORDS_PER_SHARD; call++) {
      let iterator: string | undefined;
      let response: GetRecordsCommandOutput;
      try {
        iterator = state.iterator ?? (await freshIterator(state));
        if (iterator === undefined) {
          state.finished = true;
          return { caughtUp: true };
        }
        response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: pageSize }), {
          abortSignal: signal,
        });
      } catch (error) {
        const name = errorName(error);
        if (name === 'ExpiredIteratorException') {
          state.iterator = undefined;
          continue;
        }
        if (name === 'TrimmedDataAccessException') {
          // The record after which we would resume is gone; the oldest one still kept is next.
          state.iterator = undefined;
          state.lastSequenceNumber = undefined;
          continue;
        }
        // An iterator may not outlive what went wrong (DynamoDB Local restarting, for one): the next
        // read starts a fresh one after the last record returned, so nothing is read twice or skipped.
        state.iterator = undefined;
        return { caughtUp: false, error };
      }
      for (const record of response.Records ?? []) {
        into.push({ shardId: state.shardId, record: toLambdaRecord(record, streamArn, region) });
        const sequenceNumber = record.dynamodb?.SequenceNumber;
        if (sequenceNumber !== undefined) state.lastSequenceNumber = sequenceNumber;
      }
      state.iterator = response.NextShardIterator;
      if (response.NextShardIterator === undefined) {
        state.finished = true;
        return { caughtUp: true };
      }
      // An open shard that returns nothing is caught up; a closed one may still return empty pages
      // before it reports its end, and its children wait for that end.
      if ((response.Records ?? []).length === 0 && !state.closed) return { caughtUp: true };
    }
    return { caughtUp: false };
  }

  async function readOnce(): Promise<StreamRead> {
    const records: ShardRecord[] = [];
    try {
      await refreshShards();
    } catch (error) {
      return { records, caughtUp: false, error };
    }
    let caughtUp = true;
    const readThisPoll = new Set<string>();
    // Repeat while a shard was read: finishing a parent makes its children readable in the same poll.
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const state of shards.values()) {
        if (state.finished || readThisPoll.has(state.shardId) || !parentDone(state)) continue;
        readThisPoll.add(state.shardId);
        const outcome = await readShard(state, records);
        if (outcome.error !== undefined) return { records, caughtUp: false, error: outcome.error };
        caughtUp &&= outcome.caughtUp;
        progressed = true;
      }
    }
    return { records, caughtUp };
  }

  // Iterators are shared state: overlapping reads would read a page twice or skip one.
  let queue: Promise<unknown> = Promise.resolve();
  function read(): Promise<StreamRead> {
    const next = queue.then(readOnce, readOnce);
    queue = next;
    return next;
  }

  async function poll(): Promise<DynamoDBRecord[]> {
    const { records, error } = await read();
    // Records already read are handed over; a read that failed before reading any reports the error.
    if (error !== undefined && records.length === 0) throw error;
    return records.map(({ record }) => record);
  }

  async function drain({ idleMs = 150, timeoutMs = 10_000 }: DrainOptions = {}): Promise<DynamoDBRecord[]> {
    const all: DynamoDBRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    let lastNews = Date.now();
    for (;;) {
      const batch = await poll();
      const now = Date.now();
      if (batch.length > 0) {
        all.push(...batch);
        lastNews = now;
      } else if (now - lastNews >= idleMs) {
        return all;
      }
      if (now >= deadline) return all;
      if (batch.length === 0) await sleep(Math.min(DRAIN_POLL_INTERVAL_MS, idleMs));
    }
  }

  return { poll, read, drain };
}

/** The record exactly as Lambda hands it to a stream handler (JSON shapes: epoch seconds, base64 binaries). */
export function toLambdaRecord(record: _Record, streamArn: string, region?: string): DynamoDBRecord {
  const stream = record.dynamodb;
  const lambdaRecord: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region ?? record.awsRegion,
    dynamodb: stream && {
      ...(stream.ApproximateCreationDateTime && {
        ApproximateCreationDateTime: stream.ApproximateCreationDateTime.getTime() / 1000,
      }),
      ...(stream.Keys && { Keys: toLambdaImage(stream.Keys) }),
      ...(stream.NewImage && { NewImage: toLambdaImage(stream.NewImage) }),
      ...(stream.OldImage && { OldImage: toLambdaImage(stream.OldImage) }),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
  // Only TTL deletions carry an identity; Lambda omits the key otherwise.
  if (record.userIdentity) lambdaRecord.userIdentity = { ...record.userIdentity };
  return lambdaRecord;
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

function toLambdaValue(value: SdkAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: toBase64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(toBase64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  // The SDK deserializes an empty map ({"M":{}} on the wire) to an object with no member set.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`Unsupported attribute value in a stream record: ${JSON.stringify(value)}`);
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
