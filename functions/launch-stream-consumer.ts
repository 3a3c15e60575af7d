import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Telemetry } from './adapters/telemetry.js';

export interface LaunchRef {
  batchId: string;
  launchId: string;
}

/**
 * A DynamoDB Streams consumer of launch records: each record's launch is handled in order (two
 * records of one launch in a batch must be handled as they happened), with the batch and launch
 * ids on every log line, and a failing record is reported alone (partial batch response) so the
 * event source retries it without its neighbours.
 */
export function makeLaunchStreamConsumer<T>(telemetry: Telemetry, handle: (ref: LaunchRef) => Promise<T>) {
  const { logger } = telemetry;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  const handleRecord = async (record: DynamoDBRecord): Promise<T | undefined> => {
    const image = record.dynamodb?.NewImage;
    const batchId = image?.batchId?.S;
    const launchId = image?.launchId?.S;
    if (!batchId || !launchId) {
      logger.warn('stream record without a launch', { eventID: record.eventID });
      return undefined;
    }
    logger.appendKeys({ batchId, launchId });
    try {
      return await handle({ batchId, launchId });
    } finally {
      logger.removeKeys(['batchId', 'launchId', 'runId']);
    }
  };

  return async (event: DynamoDBStreamEvent, context?: Context) => {
    try {
      return await processPartialResponse(event, handleRecord, processor, {
        context,
        processInParallel: false,
      });
    } finally {
      telemetry.flush();
    }
  };
}
