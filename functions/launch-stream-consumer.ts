import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { forEachConcurrently } from '../domain/concurrency.js';
import { METRICS } from '../domain/metrics.js';
import { CorruptItemError } from './adapters/records.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface LaunchRef {
  batchId: string;
  launchId: string;
  /** The launch as this record's new image saw it (consumers that act on that moment, not on the item now). */
  image?: LaunchImage;
}

export interface LaunchImage {
  status?: string;
  attempt?: number;
  runId?: string;
  /** The attempt whose cost `cost` holds, when the image has one. */
  pricedAttempt?: number;
  team?: string;
}

export interface LaunchStreamConsumerOptions {
  /**
   * Launches handled at the same time (default 1). Records of one launch are always handled one
   * after the other, in stream order; only different launches overlap. The launcher uses this so
   * one slow StartRun or table round trip does not hold back the rest of the batch (the shared
   * token bucket still sets the pace).
   */
  parallelLaunches?: number;
}

/** Handles one launch's record; `telemetry` logs with that launch's ids on every line. */
export type LaunchRecordHandler<T> = (ref: LaunchRef, telemetry: Telemetry) => Promise<T>;

/**
 * A DynamoDB Streams consumer of launch records: each record's launch is handled in order (two
 * records of one launch in a batch must be handled as they happened), with the batch and launch
 * ids on every log line, and a failing record is reported alone (partial batch response) so the
 * event source retries it without its neighbours.
 */
export function makeLaunchStreamConsumer<T>(
  telemetry: Telemetry,
  handle: LaunchRecordHandler<T>,
  options: LaunchStreamConsumerOptions = {},
) {
  const parallel = Math.max(1, Math.floor(options.parallelLaunches ?? 1));
  return parallel === 1
    ? sequentialConsumer(telemetry, handle)
    : parallelConsumer(telemetry, handle, parallel);
}

export function launchRefOf(record: DynamoDBRecord): LaunchRef | undefined {
  const image = record.dynamodb?.NewImage;
  const batchId = image?.batchId?.S;
  const launchId = image?.launchId?.S;
  if (!batchId || !launchId) return undefined;
  const attempt = Number(image?.attempt?.N);
  const priced = Number(image?.cost?.M?.attempt?.N);
  return {
    batchId,
    launchId,
    image: {
      status: image?.status?.S,
      attempt: Number.isInteger(attempt) ? attempt : undefined,
      runId: image?.runId?.S,
      pricedAttempt: Number.isInteger(priced) ? priced : undefined,
      team: image?.team?.S,
    },
  };
}

/**
 * A launch item a console edit made unreadable: its record is done with (retrying cannot fix it,
 * and it must not hold back the records after it). The repository left a note on the item; the fix
 * is a new change, hence a new record.
 */
function skipUnreadable<T>(handle: LaunchRecordHandler<T>): LaunchRecordHandler<T | undefined> {
  return async (ref, telemetry) => {
    try {
      return await handle(ref, telemetry);
    } catch (error) {
      if (!(error instanceof CorruptItemError)) throw error;
      telemetry.count(METRICS.itemsUnreadable);
      telemetry.logger.warn('unreadable launch skipped', { issues: error.issues, code: error.code });
      return undefined;
    }
  };
}

function sequentialConsumer<T>(telemetry: Telemetry, handleLaunch: LaunchRecordHandler<T>) {
  const { logger } = telemetry;
  const handle = skipUnreadable(handleLaunch);
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  const handleRecord = async (record: DynamoDBRecord): Promise<T | undefined> => {
    const ref = launchRefOf(record);
    if (!ref) {
      logger.warn('stream record without a launch', { eventID: record.eventID });
      return undefined;
    }
    logger.appendKeys({ batchId: ref.batchId, launchId: ref.launchId });
    try {
      return await handle(ref, telemetry);
    } finally {
      logger.removeKeys(['batchId', 'launchId', 'runId']);
    }
  };

  return async (event: DynamoDBStreamEvent, context?: Context) =>
    processPartialResponse(event, handleRecord, processor, { context, processInParallel: false });
}

/**
 * Launches in parallel, each launch's records in order. A failed record and the records of the
 * same launch after it are reported failed (they must not run ahead of it); the event source
 * resumes from the lowest one reported, as with the sequential consumer.
 */
function parallelConsumer<T>(telemetry: Telemetry, handleLaunch: LaunchRecordHandler<T>, parallel: number) {
  const handle = skipUnreadable(handleLaunch);
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records = event.Records;
    const lanes = new Map<string, number[]>();
    records.forEach((record, index) => {
      const ref = launchRefOf(record);
      const lane = ref ? `${ref.batchId}\n${ref.launchId}` : `record\n${index}`;
      const indexes = lanes.get(lane) ?? [];
      indexes.push(index);
      lanes.set(lane, indexes);
    });
    const failed = new Set<number>();

    const runLane = async (indexes: number[]) => {
      for (const [position, index] of indexes.entries()) {
        const record = records[index] as DynamoDBRecord;
        const ref = launchRefOf(record);
        if (!ref) {
          telemetry.logger.warn('stream record without a launch', { eventID: record.eventID });
          continue;
        }
        const logger = telemetry.logger.createChild({
          persistentKeys: { batchId: ref.batchId, launchId: ref.launchId },
        });
        try {
          await handle(ref, { ...telemetry, logger });
        } catch (error) {
          logger.error('launch record failed; it is retried with the ones after it', {
            error: error as Error,
            eventID: record.eventID,
          });
          for (const later of indexes.slice(position)) failed.add(later);
          return;
        }
      }
    };
    await forEachConcurrently([...lanes.values()], parallel, runLane);
    return {
      batchItemFailures: [...failed]
        .sort((a, b) => a - b)
        .map((index) => ({ itemIdentifier: records[index]?.dynamodb?.SequenceNumber ?? '' })),
    };
  };
}
