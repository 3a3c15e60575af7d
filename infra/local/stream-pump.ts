import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { GwmError } from '../../domain/errors.js';
import {
  createRecordFilter,
  type DispatchFailure,
  dispatchStreamRecords,
  type FailureCondition,
  type StreamHandler,
  type StreamSourceSettings,
} from './stream-dispatch.js';
import { createStreamReader, type ShardRecord, type StreamReader } from './stream-reader.js';

/**
 * The embedded runtime's event source mappings: one reader polls the table's stream, and each
 * consumer gets every record in stream order through its own queue and loop, with the filters,
 * batch size, partial batch responses, retries, bisect and record age of its deployed mapping.
 * A slow consumer (the launcher waits on StartRun pacing) holds back only itself.
 */

export interface StreamConsumer {
  /** Also the dead-letter file's name: letters, digits, '.', '_' and '-'. */
  name: string;
  handler: StreamHandler;
  source: StreamSourceSettings;
}

export type StreamPumpLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  details?: Record<string, unknown>,
) => void;

export interface StreamPumpOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  region?: string;
  consumers: StreamConsumer[];
  /** Records a consumer gave up on are appended here as `<name>.jsonl`, like an on-failure destination. */
  deadLetterDir: string;
  /** Where each shard's last dispatched sequence number is kept, so a restart resumes instead of replaying the stream (optional). */
  checkpointFile?: string;
  /** Pause between reads once the stream is caught up. Default 100 ms. */
  pollIntervalMs?: number;
  /**
   * Pause before a retried call of a consumer's handler (`retry` from 1). Default 100 ms doubling, at
   * most 5 s, so a dependency that is briefly away (DynamoDB Local restarting) does not use up the
   * retries in a moment.
   */
  retryDelayMs?: (retry: number) => number;
  log?: StreamPumpLog;
}

export interface SettleOptions {
  /** Reject with SETTLE_TIMEOUT after this long. Default 60 s. */
  timeoutMs?: number;
  /**
   * Also wait for the records that the consumers' own writes produce, pass after pass, until a pass
   * reads nothing new. Without it only records written before the call are waited for.
   */
  untilQuiet?: boolean;
}

export interface ConsumerStats {
  /** Calls of the handler, retries included. */
  invocations: number;
  /** Records written to the consumer's dead-letter file. */
  deadLettered: number;
  /** Records read that passed the consumer's filters and are not settled yet (in flight included). */
  pending: number;
}

export interface StreamPumpStats {
  /** Records read from the stream since the pump started, whether or not a consumer wanted them. */
  recordsRead: number;
  consumers: Record<string, ConsumerStats>;
}

export interface StreamPump {
  /** Resolves once every record written to the table before the call has been handed to every consumer (and their retries are over). */
  settle(options?: SettleOptions): Promise<void>;
  stats(): StreamPumpStats;
  /** Stops polling, waits for in-flight handler calls, writes the checkpoint. */
  stop(): Promise<void>;
}

/** One line of a dead-letter file, after Lambda's on-failure record for a stream batch. */
export interface DeadLetter {
  consumer: string;
  at: string;
  condition: FailureCondition;
  reason: string;
  /** Calls whose batch held the record. */
  attempts: number;
  streamArn: string;
  shardId: string;
  /** The last batch that held the record. */
  batch: DispatchFailure['batch'];
  record: DynamoDBRecord;
}

export type StreamPumpErrorCode = 'INVALID_CONSUMERS' | 'SETTLE_TIMEOUT' | 'PUMP_STOPPED';

export class StreamPumpError extends GwmError {
  constructor(code: StreamPumpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StreamPumpError';
  }
}

/** The checkpoint file: for each consumer, per shard, the sequence number of the last record it settled. */
export interface StreamCheckpoint {
  version: 1;
  streamArn: string;
  savedAt: string;
  consumers: Record<string, Record<string, string>>;
}

export function defaultRetryDelayMs(retry: number): number {
  return Math.min(100 * 2 ** Math.max(retry - 1, 0), 5_000);
}

const DEFAULT_POLL_INTERVAL_MS = 100;
const DEFAULT_SETTLE_TIMEOUT_MS = 60_000;
const STREAM_BACKOFF_MAX_MS = 2_000;
/** Checkpoints are written at most this often while running (and always on stop). */
const CHECKPOINT_INTERVAL_MS = 1_000;
/** While the stream stays unreadable, one warning per this many failed reads. */
const STREAM_FAILURE_LOG_EVERY = 10;
/** Pause after a fault of the pump itself, so it does not spin. */
const FAULT_PAUSE_MS = 1_000;
const CONSUMER_NAME = /^[A-Za-z0-9._-]+$/;

interface Entry {
  /** Position in the order records were read, from 0 since the pump started. */
  index: number;
  shardId: string;
  sequenceNumber: string | undefined;
  record: DynamoDBRecord;
}

interface ConsumerState {
  consumer: StreamConsumer;
  matches: (record: DynamoDBRecord) => boolean;
  /** The consumer's settings with the filters already applied when records are queued. */
  dispatchSettings: StreamSourceSettings;
  handle: StreamHandler;
  deadLetterFile: string;
  /** Records that passed the filters and are not settled yet, in stream order; the batch in flight is at the front. */
  queue: Entry[];
  /** Entries before this index are reflected in `positions`. */
  cursor: number;
  /** Per shard, the sequence number of the last record settled: what the checkpoint keeps. */
  positions: Map<string, string>;
  /** Positions from the checkpoint: records up to them were dispatched before the restart. */
  restored: Map<string, string>;
  invocations: number;
  deadLettered: number;
  wake: (() => void) | undefined;
}

export function startStreamPump(options: StreamPumpOptions): StreamPump {
  validateConsumers(options.consumers);
  const {
    client,
    streamArn,
    region,
    deadLetterDir,
    checkpointFile,
    pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
    retryDelayMs = defaultRetryDelayMs,
  } = options;
  const log: StreamPumpLog = options.log ?? (() => {});
  const stopController = new AbortController();
  let stopRequested = false;
  let stopping: Promise<void> | undefined;

  const consumers: ConsumerState[] = options.consumers.map((consumer) => ({
    consumer,
    matches: createRecordFilter(consumer.source),
    dispatchSettings: { ...consumer.source, filterPatterns: [] },
    // Each call gets records of its own, as each Lambda invocation parses its own JSON.
    handle: (event) => consumer.handler({ Records: structuredClone(event.Records) }),
    deadLetterFile: join(deadLetterDir, `${consumer.name}.jsonl`),
    queue: [],
    cursor: 0,
    positions: new Map(),
    restored: new Map(),
    invocations: 0,
    deadLettered: 0,
    wake: undefined,
  }));

  /** Records read and not yet reflected in every consumer's positions, from index `entriesBase`. */
  const entries: Entry[] = [];
  let entriesBase = 0;
  let recordsRead = 0;
  let readsStarted = 0;
  /** The last read that reached the end of every shard, and how many records had been read when it did. */
  let lastCaughtUp = { read: 0, recordsRead: 0 };
  let streamFailures = 0;
  let lastStreamError: unknown;
  let checkpointLoaded = false;

  // Anything waiting on progress (settle) is woken after each read and each settled batch.
  const progressWaiters = new Set<() => void>();
  function notifyProgress(): void {
    for (const wake of progressWaiters) wake();
    progressWaiters.clear();
  }
  function progressOrTimeout(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(ms, 0));
      function done() {
        clearTimeout(timer);
        progressWaiters.delete(done);
        resolve();
      }
      progressWaiters.add(done);
    });
  }

  let wakeReader: (() => void) | undefined;
  let readerBackingOff = false;
  /** settle() wants a read soon: the pause between reads of a caught-up stream is skipped. */
  let readRequested = false;
  function requestRead(): void {
    readRequested = true;
    if (!readerBackingOff) wakeReader?.();
  }
  function readerPause(ms: number, backingOff: boolean): Promise<void> {
    if (ms <= 0 || stopRequested || (readRequested && !backingOff)) return Promise.resolve();
    readerBackingOff = backingOff;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeReader = undefined;
        readerBackingOff = false;
        resolve();
      }
      wakeReader = done;
    });
  }

  async function readLoop(): Promise<void> {
    const startAfter = await restoreCheckpoint();
    checkpointLoaded = true;
    const reader: StreamReader = createStreamReader({
      client,
      streamArn,
      region,
      startAfter,
      signal: stopController.signal,
    });
    while (!stopRequested) {
      const read = ++readsStarted;
      readRequested = false;
      const { records, caughtUp, error } = await reader.read().catch((fault: unknown) => ({
        records: [],
        caughtUp: false,
        error: fault,
      }));
      accept(records);
      if (stopRequested) break;
      if (error !== undefined) {
        streamFailures += 1;
        lastStreamError = error;
        if (streamFailures % STREAM_FAILURE_LOG_EVERY === 1) {
          log('warn', 'cannot read the DynamoDB stream; retrying', {
            failedReads: streamFailures,
            error: describe(error),
          });
        }
      } else if (streamFailures > 0) {
        log('info', 'reading the DynamoDB stream again', { failedReads: streamFailures });
        streamFailures = 0;
        lastStreamError = undefined;
      }
      if (caughtUp) lastCaughtUp = { read, recordsRead };
      notifyProgress();
      if (error !== undefined) {
        const base = Math.max(pollIntervalMs, 100);
        await readerPause(Math.min(base * 2 ** (streamFailures - 1), STREAM_BACKOFF_MAX_MS), true);
      } else if (caughtUp) {
        await readerPause(pollIntervalMs, false);
      }
    }
  }

  function accept(records: ShardRecord[]): void {
    if (records.length === 0) return;
    for (const { shardId, record } of records) {
      const entry: Entry = {
        index: recordsRead,
        shardId,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        record,
      };
      recordsRead += 1;
      entries.push(entry);
      for (const state of consumers) {
        if (state.matches(record) && !dispatchedBeforeRestart(state, entry)) state.queue.push(entry);
      }
    }
    for (const state of consumers) {
      advance(state);
      state.wake?.();
    }
  }

  async function consumeLoop(state: ConsumerState): Promise<void> {
    while (!stopRequested) {
      if (state.queue.length === 0) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
        });
        state.wake = undefined;
        continue;
      }
      const batch = state.queue.slice(0, state.consumer.source.batchSize);
      let settled = 0;
      try {
        const result = await dispatchStreamRecords(
          batch.map((entry) => entry.record),
          state.handle,
          state.dispatchSettings,
          { signal: stopController.signal, retryDelayMs },
        );
        state.invocations += result.calls;
        if (result.failures.length > 0) await deadLetter(state, batch, result.failures);
        settled = result.settled;
      } catch (error) {
        log('error', 'the stream pump failed to dispatch a batch; it will be dispatched again', {
          consumer: state.consumer.name,
          error: describe(error),
        });
        await new Promise((resolve) => setTimeout(resolve, FAULT_PAUSE_MS));
      }
      state.queue.splice(0, settled);
      advance(state);
      notifyProgress();
    }
  }

  async function deadLetter(
    state: ConsumerState,
    batch: Entry[],
    failures: DispatchFailure[],
  ): Promise<void> {
    const shardOf = new Map(batch.map((entry) => [entry.record, entry.shardId]));
    const at = new Date().toISOString();
    const letters: DeadLetter[] = failures.map((failure) => ({
      consumer: state.consumer.name,
      at,
      condition: failure.condition,
      reason: failure.reason,
      attempts: failure.attempts,
      streamArn,
      shardId: shardOf.get(failure.record) ?? 'unknown',
      batch: failure.batch,
      record: failure.record,
    }));
    state.deadLettered += letters.length;
    for (const letter of letters) {
      log('warn', 'a stream consumer gave up on a record', {
        consumer: letter.consumer,
        condition: letter.condition,
        reason: letter.reason,
        attempts: letter.attempts,
        sequenceNumber: letter.record.dynamodb?.SequenceNumber,
        deadLetterFile: state.deadLetterFile,
      });
    }
    const lines = letters.map((letter) => `${JSON.stringify(letter)}\n`).join('');
    try {
      await mkdir(deadLetterDir, { recursive: true });
      await appendFile(state.deadLetterFile, lines);
    } catch (error) {
      // The records are in the log at least; the consumer still moves on, as a mapping would.
      log('error', 'could not write to the dead-letter file', {
        deadLetterFile: state.deadLetterFile,
        error: describe(error),
        deadLetters: letters,
      });
    }
  }

  /** Moves the consumer's checkpoint positions over every record before its first unsettled one. */
  function advance(state: ConsumerState): void {
    const frontier = frontierOf(state);
    if (frontier <= state.cursor) return;
    for (let index = state.cursor; index < frontier; index++) {
      const entry = entries[index - entriesBase];
      if (entry?.sequenceNumber !== undefined) state.positions.set(entry.shardId, entry.sequenceNumber);
    }
    state.cursor = frontier;
    const oldest = Math.min(...consumers.map((consumer) => consumer.cursor));
    if (oldest > entriesBase) {
      entries.splice(0, oldest - entriesBase);
      entriesBase = oldest;
    }
    scheduleCheckpoint();
  }

  /** Every record read before this index is settled for the consumer (or was not for it). */
  function frontierOf(state: ConsumerState): number {
    return state.queue[0]?.index ?? recordsRead;
  }

  function dispatchedBeforeRestart(state: ConsumerState, entry: Entry): boolean {
    const restored = state.restored.get(entry.shardId);
    return (
      restored !== undefined &&
      entry.sequenceNumber !== undefined &&
      compareSequenceNumbers(entry.sequenceNumber, restored) <= 0
    );
  }

  async function restoreCheckpoint(): Promise<Record<string, string>> {
    if (checkpointFile === undefined) return {};
    const checkpoint = await loadCheckpoint(checkpointFile, log);
    if (checkpoint === undefined) return {};
    if (checkpoint.streamArn !== streamArn) {
      log(
        'info',
        'the stream checkpoint belongs to another stream (the table was recreated); reading from the oldest record',
        {
          checkpointFile,
          checkpointStream: checkpoint.streamArn,
          streamArn,
        },
      );
      return {};
    }
    for (const state of consumers) {
      const saved = checkpoint.consumers[state.consumer.name] ?? {};
      state.restored = new Map(Object.entries(saved));
      state.positions = new Map(state.restored);
    }
    // The reader starts each shard after the position every consumer has passed; a consumer that is
    // further on skips what it already had. A consumer new to the checkpoint reads the whole stream.
    const startAfter: Record<string, string> = {};
    const shardIds = new Set(consumers.flatMap((state) => [...state.restored.keys()]));
    for (const shardId of shardIds) {
      const positions = consumers.map((state) => state.restored.get(shardId));
      if (positions.some((position) => position === undefined)) continue;
      const [first, ...others] = positions as string[];
      if (first === undefined) continue;
      startAfter[shardId] = others.reduce(
        (lowest, position) => (compareSequenceNumbers(position, lowest) < 0 ? position : lowest),
        first,
      );
    }
    log('info', 'resuming the DynamoDB stream from the checkpoint', { checkpointFile, shards: startAfter });
    return startAfter;
  }

  let checkpointTimer: NodeJS.Timeout | undefined;
  let checkpointWrites: Promise<void> = Promise.resolve();
  function scheduleCheckpoint(): void {
    if (checkpointFile === undefined || checkpointTimer !== undefined || stopRequested) return;
    checkpointTimer = setTimeout(() => {
      checkpointTimer = undefined;
      void saveCheckpoint();
    }, CHECKPOINT_INTERVAL_MS);
  }

  function saveCheckpoint(): Promise<void> {
    const file = checkpointFile;
    if (file === undefined || !checkpointLoaded) return checkpointWrites;
    const checkpoint: StreamCheckpoint = {
      version: 1,
      streamArn,
      savedAt: new Date().toISOString(),
      consumers: Object.fromEntries(
        consumers.map((state) => [state.consumer.name, Object.fromEntries(state.positions)]),
      ),
    };
    checkpointWrites = checkpointWrites.then(async () => {
      try {
        await writeFileAtomically(file, `${JSON.stringify(checkpoint, null, 2)}\n`);
      } catch (error) {
        log('error', 'could not write the stream checkpoint', {
          checkpointFile: file,
          error: describe(error),
        });
      }
    });
    return checkpointWrites;
  }

  async function settle({
    timeoutMs = DEFAULT_SETTLE_TIMEOUT_MS,
    untilQuiet = false,
  }: SettleOptions = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let previousMark: number | undefined;
    for (;;) {
      // A read that starts after this point sees every record written before it.
      const after = readsStarted;
      requestRead();
      await waitFor(() => lastCaughtUp.read > after, deadline, timeoutMs, 'read the stream to its end');
      const mark = lastCaughtUp.recordsRead;
      await waitFor(
        () => consumers.every((state) => frontierOf(state) >= mark),
        deadline,
        timeoutMs,
        'finish with the records read',
      );
      if (!untilQuiet || mark === previousMark) return;
      previousMark = mark;
    }
  }

  async function waitFor(
    condition: () => boolean,
    deadline: number,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    for (;;) {
      if (stopRequested) {
        throw new StreamPumpError('PUMP_STOPPED', 'The stream pump was stopped before it settled.');
      }
      if (condition()) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const pending = consumers.map((state) => `${state.consumer.name} ${state.queue.length}`).join(', ');
        const streamError =
          lastStreamError === undefined ? '' : ` The stream cannot be read: ${describe(lastStreamError)}.`;
        throw new StreamPumpError(
          'SETTLE_TIMEOUT',
          `The stream pump did not ${what} within ${timeoutMs} ms (records pending: ${pending}).${streamError}`,
        );
      }
      await progressOrTimeout(left);
    }
  }

  function stats(): StreamPumpStats {
    return {
      recordsRead,
      consumers: Object.fromEntries(
        consumers.map((state) => [
          state.consumer.name,
          { invocations: state.invocations, deadLettered: state.deadLettered, pending: state.queue.length },
        ]),
      ),
    };
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      stopRequested = true;
      stopController.abort();
      clearTimeout(checkpointTimer);
      checkpointTimer = undefined;
      wakeReader?.();
      for (const state of consumers) state.wake?.();
      notifyProgress();
      await Promise.all([reading, ...consuming]);
      await saveCheckpoint();
    })();
    return stopping;
  }

  // Started last: the loops use everything above.
  const reading = readLoop().catch((error: unknown) => {
    log('error', 'the stream pump stopped reading after a fault of its own', { error: describe(error) });
  });
  const consuming = consumers.map((state) =>
    consumeLoop(state).catch((error: unknown) => {
      log('error', 'a stream consumer stopped after a fault of the pump', {
        consumer: state.consumer.name,
        error: describe(error),
      });
    }),
  );

  return { settle, stats, stop };
}

function validateConsumers(consumers: readonly StreamConsumer[]): void {
  if (consumers.length === 0)
    throw new StreamPumpError('INVALID_CONSUMERS', 'A stream pump needs a consumer.');
  const names = new Set<string>();
  for (const { name, source } of consumers) {
    if (!CONSUMER_NAME.test(name)) {
      throw new StreamPumpError(
        'INVALID_CONSUMERS',
        `Consumer name ${JSON.stringify(name)} must be letters, digits, '.', '_' or '-' (it names its dead-letter file).`,
      );
    }
    if (names.has(name)) throw new StreamPumpError('INVALID_CONSUMERS', `Two consumers are named ${name}.`);
    names.add(name);
    if (!Number.isInteger(source.batchSize) || source.batchSize < 1) {
      throw new StreamPumpError(
        'INVALID_CONSUMERS',
        `Consumer ${name}: batchSize must be a positive integer.`,
      );
    }
    if (!Number.isInteger(source.maxRetryAttempts) || source.maxRetryAttempts < 0) {
      throw new StreamPumpError(
        'INVALID_CONSUMERS',
        `Consumer ${name}: maxRetryAttempts must be an integer of 0 or more.`,
      );
    }
  }
}

async function loadCheckpoint(file: string, log: StreamPumpLog): Promise<StreamCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    log('warn', 'cannot read the stream checkpoint; reading the stream from its oldest record', {
      checkpointFile: file,
      error: describe(error),
    });
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isCheckpoint(parsed)) return parsed;
  } catch {
    // Reported below with the other unreadable shapes.
  }
  // Dispatching records twice is safe for gwm's consumers; skipping some would lose launches.
  log('warn', 'the stream checkpoint is unreadable; reading the stream from its oldest record', {
    checkpointFile: file,
  });
  return undefined;
}

function isCheckpoint(value: unknown): value is StreamCheckpoint {
  if (!isObject(value) || value.version !== 1 || typeof value.streamArn !== 'string') return false;
  const { consumers } = value;
  return (
    isObject(consumers) &&
    Object.values(consumers).every(
      (positions) =>
        isObject(positions) && Object.values(positions).every((position) => typeof position === 'string'),
    )
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Stream sequence numbers are decimal strings of any length, increasing within a shard. */
export function compareSequenceNumbers(left: string, right: string): number {
  const a = left.replace(/^0+(?=\d)/, '');
  const b = right.replace(/^0+(?=\d)/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A crash mid-write leaves the previous checkpoint in place rather than half a file. */
async function writeFileAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
