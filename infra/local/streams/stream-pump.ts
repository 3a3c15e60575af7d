import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { backoffMs } from '../../../domain/backoff.js';
import { describeError, GwmError } from '../../../domain/errors.js';
import type { StreamSourceSettings } from '../../../functions/event-sources.js';
import type { LocalLog } from '../local-log.js';
import { createCheckpointStore } from './stream-checkpoint.js';
import { createDeadLetterSink } from './stream-dead-letters.js';
import type { StreamHandler } from './stream-dispatch.js';
import { type ConsumerLane, type ConsumerStats, createConsumerLane, type Entry } from './stream-lane.js';
import { createStreamPoller } from './stream-poller.js';

export { compareSequenceNumbers, type StreamCheckpoint } from './stream-checkpoint.js';
export type { DeadLetter } from './stream-dead-letters.js';
export type { ConsumerStats } from './stream-lane.js';

/**
 * The embedded runtime's event source mappings: one reader polls the table's stream, and each
 * consumer gets every record in stream order through its own queue and loop, with the filters,
 * batch size, partial batch responses, retries, bisect and record age of its deployed mapping.
 * A slow consumer (the launcher waits on StartRun pacing) holds back only itself. The pieces:
 * the poller (stream-poller.ts), a lane per consumer (stream-lane.ts), the checkpoint store
 * (stream-checkpoint.ts) and the dead-letter sink (stream-dead-letters.ts).
 */

export interface StreamConsumer {
  /** Also the dead-letter file's name: letters, digits, '.', '_' and '-'. */
  name: string;
  handler: StreamHandler;
  source: StreamSourceSettings;
}

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
  log?: LocalLog;
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

export type StreamPumpErrorCode = 'INVALID_CONSUMERS' | 'SETTLE_TIMEOUT' | 'PUMP_STOPPED';

export class StreamPumpError extends GwmError {
  constructor(code: StreamPumpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StreamPumpError';
  }
}

export function defaultRetryDelayMs(retry: number): number {
  return backoffMs(retry, { baseMs: 100, maxMs: 5_000 });
}

const DEFAULT_POLL_INTERVAL_MS = 100;
const DEFAULT_SETTLE_TIMEOUT_MS = 60_000;
const CONSUMER_NAME = /^[A-Za-z0-9._-]+$/;

export function startStreamPump(options: StreamPumpOptions): StreamPump {
  validateConsumers(options.consumers);
  const { pollIntervalMs = DEFAULT_POLL_INTERVAL_MS, retryDelayMs = defaultRetryDelayMs } = options;
  const log: LocalLog = options.log ?? (() => {});
  const stopController = new AbortController();
  let stopRequested = false;
  let stopping: Promise<void> | undefined;

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

  const lanes: ConsumerLane[] = options.consumers.map((consumer) =>
    createConsumerLane({
      name: consumer.name,
      handler: consumer.handler,
      source: consumer.source,
      deadLetters: createDeadLetterSink({
        dir: options.deadLetterDir,
        consumer: consumer.name,
        streamArn: options.streamArn,
        log,
      }),
      signal: stopController.signal,
      retryDelayMs,
      onProgress: () => {
        checkpoint.schedule();
        notifyProgress();
      },
      log,
    }),
  );
  const checkpoint = createCheckpointStore({
    file: options.checkpointFile,
    streamArn: options.streamArn,
    positions: () => Object.fromEntries(lanes.map((lane) => [lane.name, lane.positions()])),
    log,
  });
  const poller = createStreamPoller({
    client: options.client,
    streamArn: options.streamArn,
    region: options.region,
    signal: stopController.signal,
    pollIntervalMs,
    async startAfter() {
      const restored = await checkpoint.restore(lanes.map((lane) => lane.name));
      for (const lane of lanes) {
        const positions = restored.consumers.get(lane.name);
        if (positions) lane.restore(positions);
      }
      return restored.startAfter;
    },
    onRecords(records) {
      for (const { shardId, record, index } of records) {
        const entry: Entry = { index, shardId, sequenceNumber: record.dynamodb?.SequenceNumber, record };
        for (const lane of lanes) lane.offer(entry);
      }
      for (const lane of lanes) lane.offered();
    },
    onRead: notifyProgress,
    log,
  });

  async function settle({
    timeoutMs = DEFAULT_SETTLE_TIMEOUT_MS,
    untilQuiet = false,
  }: SettleOptions = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let previousMark: number | undefined;
    for (;;) {
      // A read that starts after this point sees every record written before it.
      const after = poller.readsStarted();
      poller.requestRead();
      await waitFor(
        () => poller.lastCaughtUp().read > after,
        deadline,
        timeoutMs,
        'read the stream to its end',
      );
      const mark = poller.lastCaughtUp().recordsRead;
      await waitFor(
        () => lanes.every((lane) => lane.frontier() >= mark),
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
        const pending = lanes.map((lane) => `${lane.name} ${lane.stats().pending}`).join(', ');
        const lastError = poller.lastError();
        const streamError =
          lastError === undefined ? '' : ` The stream cannot be read: ${describeError(lastError)}.`;
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
      recordsRead: poller.recordsRead(),
      consumers: Object.fromEntries(lanes.map((lane) => [lane.name, lane.stats()])),
    };
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      stopRequested = true;
      stopController.abort();
      checkpoint.cancelScheduled();
      poller.stop();
      for (const lane of lanes) lane.stop();
      notifyProgress();
      await Promise.all([reading, ...consuming]);
      await checkpoint.save();
    })();
    return stopping;
  }

  // Started last: the loops use everything above.
  const reading = poller.run().catch((error: unknown) => {
    log('error', 'the stream pump stopped reading after a fault of its own', { error: describeError(error) });
  });
  const consuming = lanes.map((lane) =>
    lane.run().catch((error: unknown) => {
      log('error', 'a stream consumer stopped after a fault of the pump', {
        consumer: lane.name,
        error: describeError(error),
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
