import type { DynamoDBRecord } from 'aws-lambda';
import { describeError } from '../../../domain/errors.js';
import type { StreamSourceSettings } from '../../../functions/event-sources.js';
import type { LocalLog } from '../local-log.js';
import { compareSequenceNumbers } from './stream-checkpoint.js';
import type { DeadLetterSink } from './stream-dead-letters.js';
import { createRecordFilter, dispatchStreamRecords, type StreamHandler } from './stream-dispatch.js';

/**
 * One consumer's event source mapping: its own queue of the records that pass its filters, in
 * stream order, handed to its handler a batch at a time with the mapping's retries, bisect and
 * record age; what it gives up on goes to its dead-letter sink. It keeps, per shard, the position
 * of the last record before its first unsettled one: what the checkpoint saves for it.
 */

/** A record as read, with its place in the order records were read (from 0 since the pump started). */
export interface Entry {
  index: number;
  shardId: string;
  sequenceNumber: string | undefined;
  record: DynamoDBRecord;
}

export interface ConsumerStats {
  /** Calls of the handler, retries included. */
  invocations: number;
  /** Records written to the consumer's dead-letter file. */
  deadLettered: number;
  /** Records read that passed the consumer's filters and are not settled yet (in flight included). */
  pending: number;
}

export interface ConsumerLane {
  name: string;
  /** Every record read, in order; the lane keeps those for it. */
  offer(entry: Entry): void;
  /** Records were offered: move the positions on and let the loop see them. */
  offered(): void;
  /** Every record read before this index is settled for the consumer (or was not for it). */
  frontier(): number;
  /** Per shard, the sequence number of the last record settled. */
  positions(): Record<string, string>;
  /** Positions from the checkpoint: records up to them were dispatched before the restart. */
  restore(positions: Map<string, string>): void;
  stats(): ConsumerStats;
  /** Hands records to the handler until `stop`. */
  run(): Promise<void>;
  stop(): void;
}

export interface LaneOptions {
  name: string;
  handler: StreamHandler;
  source: StreamSourceSettings;
  deadLetters: DeadLetterSink;
  signal: AbortSignal;
  retryDelayMs: (retry: number) => number;
  /** After a batch settled and after positions moved. */
  onProgress: () => void;
  log: LocalLog;
}

/** Pause after a fault of the pump itself, so it does not spin. */
const FAULT_PAUSE_MS = 1_000;

export function createConsumerLane(options: LaneOptions): ConsumerLane {
  const { name, source, deadLetters, signal, retryDelayMs, log } = options;
  const matches = createRecordFilter(source);
  // The filters are applied when records are queued.
  const dispatchSettings: StreamSourceSettings = { ...source, filterPatterns: [] };
  // Each call gets records of its own, as each Lambda invocation parses its own JSON.
  const handle: StreamHandler = (event) => options.handler({ Records: structuredClone(event.Records) });
  /** Records that passed the filters and are not settled yet; the batch in flight is at the front. */
  let queue: Entry[] = [];
  /** Every record offered and not yet reflected in `positions`, from `pendingStart`. */
  let pending: Entry[] = [];
  let pendingStart = 0;
  let offeredCount = 0;
  let positions = new Map<string, string>();
  let restored = new Map<string, string>();
  let invocations = 0;
  let deadLettered = 0;
  let stopped = false;
  let wake: (() => void) | undefined;

  function dispatchedBeforeRestart(entry: Entry): boolean {
    const position = restored.get(entry.shardId);
    return (
      position !== undefined &&
      entry.sequenceNumber !== undefined &&
      compareSequenceNumbers(entry.sequenceNumber, position) <= 0
    );
  }

  function frontier(): number {
    return queue[0]?.index ?? offeredCount;
  }

  /** Moves the positions over every record before the first unsettled one. */
  function advance(): void {
    const limit = frontier();
    let moved = false;
    while (pendingStart < pending.length) {
      const entry = pending[pendingStart];
      if (entry === undefined || entry.index >= limit) break;
      if (entry.sequenceNumber !== undefined) positions.set(entry.shardId, entry.sequenceNumber);
      pendingStart += 1;
      moved = true;
    }
    if (pendingStart > 1024 || pendingStart === pending.length) {
      pending = pending.slice(pendingStart);
      pendingStart = 0;
    }
    if (moved) options.onProgress();
  }

  async function run(): Promise<void> {
    while (!stopped) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const batch = queue.slice(0, source.batchSize);
      let settled = 0;
      try {
        const result = await dispatchStreamRecords(
          batch.map((entry) => entry.record),
          handle,
          dispatchSettings,
          { signal, retryDelayMs },
        );
        invocations += result.calls;
        if (result.failures.length > 0) {
          deadLettered += result.failures.length;
          const shardOf = new Map(batch.map((entry) => [entry.record, entry.shardId]));
          await deadLetters.write(result.failures, (record) => shardOf.get(record));
        }
        settled = result.settled;
      } catch (error) {
        log('error', 'the stream pump failed to dispatch a batch; it will be dispatched again', {
          consumer: name,
          error: describeError(error),
        });
        await new Promise((resolve) => setTimeout(resolve, FAULT_PAUSE_MS));
      }
      queue = queue.slice(settled);
      advance();
      options.onProgress();
    }
  }

  return {
    name,
    offer(entry) {
      offeredCount = entry.index + 1;
      pending.push(entry);
      if (matches(entry.record) && !dispatchedBeforeRestart(entry)) queue.push(entry);
    },
    offered() {
      advance();
      wake?.();
    },
    frontier,
    positions: () => Object.fromEntries(positions),
    restore(saved) {
      restored = saved;
      positions = new Map(saved);
    },
    stats: () => ({ invocations, deadLettered, pending: queue.length }),
    run,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
