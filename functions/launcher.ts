import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import { type LauncherDeps, type LaunchOutcome, startLaunch } from '../domain/use-cases/start-launch.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface LauncherHandlerDeps {
  launcher: LauncherDeps;
  telemetry: Telemetry;
}

/**
 * DynamoDB Streams -> start runs for launches that became launchable (QUEUED, THROTTLED, RETRY).
 * A failing record is reported alone (partial batch response) and retried by the event source.
 */
export function makeLauncherHandler(deps: LauncherHandlerDeps) {
  const { logger } = deps.telemetry;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  const handleRecord = async (record: DynamoDBRecord): Promise<LaunchOutcome | undefined> => {
    const image = record.dynamodb?.NewImage;
    const batchId = image?.batchId?.S;
    const launchId = image?.launchId?.S;
    if (!batchId || !launchId) {
      logger.warn('stream record without a launch', { eventID: record.eventID });
      return undefined;
    }
    logger.appendKeys({ batchId, launchId });
    try {
      const outcome = await startLaunch(deps.launcher, { batchId, launchId });
      report(deps.telemetry, outcome);
      return outcome;
    } finally {
      logger.removeKeys(['batchId', 'launchId', 'runId']);
    }
  };

  return async (event: DynamoDBStreamEvent, context?: Context) => {
    try {
      // In order: two records of one launch in a batch must be handled as they happened.
      return await processPartialResponse(event, handleRecord, processor, {
        context,
        processInParallel: false,
      });
    } finally {
      deps.telemetry.flush();
    }
  };
}

function report(telemetry: Telemetry, outcome: LaunchOutcome): void {
  const { logger } = telemetry;
  if ('throttles' in outcome && outcome.throttles > 0)
    telemetry.count(METRICS.startRunThrottled, outcome.throttles);
  switch (outcome.kind) {
    case 'started':
      logger.appendKeys({ runId: outcome.runId });
      telemetry.count(METRICS.runsStarted);
      if (outcome.retry) telemetry.count(METRICS.retriesStarted);
      logger.info('run started', { attempt: outcome.launch.attempt, status: outcome.launch.status });
      break;
    case 'deferred':
      telemetry.count(METRICS.launchesDeferred);
      logger.warn('StartRun deferred; the launch is queued again', { reason: outcome.reason });
      break;
    case 'launch-failed':
      telemetry.count(METRICS.launchFailed);
      logger.warn('StartRun refused', { code: outcome.code, reason: outcome.message });
      break;
    case 'retry-refused':
      telemetry.count(METRICS.retriesRefused);
      logger.info('RETRY refused', { note: outcome.launch.note });
      break;
    case 'skipped':
      logger.debug('nothing to launch', { reason: outcome.reason });
      break;
  }
}
