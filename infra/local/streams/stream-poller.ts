import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { backoffMs } from '../../../domain/backoff.js';
import { describeError } from '../../../domain/errors.js';
import type { LocalLog } from '../local-log.js';
import { createStreamReader, type ShardRecord } from './stream-reader.js';

/**
 * Reads the table's stream in a loop: as fast as records come, a pause once caught up (skipped
 * when someone is waiting for a read), a growing backoff while the stream cannot be read.
 */

export interface StreamPoller {
  run(): Promise<void>;
  /** A read soon: the pause between reads of a caught-up stream is skipped. */
  requestRead(): void;
  /** Reads started so far. */
  readsStarted(): number;
  /** The last read that reached the end of every shard, and how many records had been read when it did. */
  lastCaughtUp(): { read: number; recordsRead: number };
  recordsRead(): number;
  lastError(): unknown;
  stop(): void;
}

export interface PollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  region?: string;
  signal: AbortSignal;
  pollIntervalMs: number;
  /** Where each shard is read from (the checkpoint), resolved when the loop starts. */
  startAfter: () => Promise<Record<string, string>>;
  /** Records of one read, in order, each with its index in the order read. */
  onRecords: (records: Array<ShardRecord & { index: number }>) => void;
  /** After every read, whatever it found. */
  onRead: () => void;
  log: LocalLog;
}

const STREAM_BACKOFF_MAX_MS = 2_000;
/** While the stream stays unreadable, one warning per this many failed reads. */
const STREAM_FAILURE_LOG_EVERY = 10;

export function createStreamPoller(options: PollerOptions): StreamPoller {
  const { pollIntervalMs, log } = options;
  let stopped = false;
  let recordsRead = 0;
  let readsStarted = 0;
  let lastCaughtUp = { read: 0, recordsRead: 0 };
  let streamFailures = 0;
  let lastStreamError: unknown;

  let wakeReader: (() => void) | undefined;
  let backingOff = false;
  let readRequested = false;
  function pause(ms: number, backoff: boolean): Promise<void> {
    if (ms <= 0 || stopped || (readRequested && !backoff)) return Promise.resolve();
    backingOff = backoff;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeReader = undefined;
        backingOff = false;
        resolve();
      }
      wakeReader = done;
    });
  }

  async function run(): Promise<void> {
    const reader = createStreamReader({
      client: options.client,
      streamArn: options.streamArn,
      region: options.region,
      startAfter: await options.startAfter(),
      signal: options.signal,
    });
    while (!stopped) {
      const read = ++readsStarted;
      readRequested = false;
      const { records, caughtUp, error } = await reader.read().catch((fault: unknown) => ({
        records: [],
        caughtUp: false,
        error: fault,
      }));
      if (records.length > 0) {
        options.onRecords(records.map((record, offset) => ({ ...record, index: recordsRead + offset })));
        recordsRead += records.length;
      }
      if (stopped) break;
      if (error !== undefined) {
        streamFailures += 1;
        lastStreamError = error;
        if (streamFailures % STREAM_FAILURE_LOG_EVERY === 1) {
          log('warn', 'cannot read the DynamoDB stream; retrying', {
            failedReads: streamFailures,
            error: describeError(error),
          });
        }
      } else if (streamFailures > 0) {
        log('info', 'reading the DynamoDB stream again', { failedReads: streamFailures });
        streamFailures = 0;
        lastStreamError = undefined;
      }
      if (caughtUp) lastCaughtUp = { read, recordsRead };
      options.onRead();
      if (error !== undefined) {
        const base = Math.max(pollIntervalMs, 100);
        await pause(backoffMs(streamFailures, { baseMs: base, maxMs: STREAM_BACKOFF_MAX_MS }), true);
      } else if (caughtUp) {
        await pause(pollIntervalMs, false);
      }
    }
  }

  return {
    run,
    requestRead() {
      readRequested = true;
      if (!backingOff) wakeReader?.();
    },
    readsStarted: () => readsStarted,
    lastCaughtUp: () => lastCaughtUp,
    recordsRead: () => recordsRead,
    lastError: () => lastStreamError,
    stop() {
      stopped = true;
      wakeReader?.();
    },
  };
}
