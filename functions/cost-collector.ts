import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { COST_DIMENSIONS, METRICS } from '../domain/metrics.js';
import type { CostQueue, CostRequest } from '../domain/ports.js';
import {
  type CostCollection,
  type CostCollectorDeps,
  collectRunCost,
} from '../domain/use-cases/cost-collector.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface CostCollectorHandlerDeps {
  collector: CostCollectorDeps;
  /** The cost queue itself: a request paused at its time box is sent again to go on from its progress. */
  queue: CostQueue;
  telemetry: Telemetry;
  /**
   * Time kept back from the invocation's remaining time for the last writes (settling the batch
   * totals, the launch), and the time box where there is no Lambda context (the embedded runtime).
   */
  reserveMs?: number;
  timeBoxMs?: number;
}

const requestSchema = z.object({
  batchId: z.string().min(1),
  launchId: z.string().min(1),
  attempt: z.number().int().positive(),
  runId: z.string().min(1).optional(),
}) satisfies z.ZodType<CostRequest, unknown>;

/** A message that is not a cost request can never succeed: reported, and left to the dead-letter queue. */
export class CostRequestError extends Error {
  readonly code = 'COST_REQUEST_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CostRequestError';
  }
}

/**
 * The cost queue (SQS) -> each finished run attempt priced once: the run's tasks read under the
 * shared engine-reads quota, the cost added to the batch and stored on the launch. A failed record
 * is reported alone (partial batch response) and comes back after the visibility timeout.
 */
export function makeCostCollectorHandler(deps: CostCollectorHandlerDeps) {
  const { telemetry } = deps;
  const { logger } = telemetry;
  const reserveMs = deps.reserveMs ?? 30_000;
  const timeBoxMs = deps.timeBoxMs ?? 60_000;
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord, context?: Context): Promise<CostCollection> => {
    let request: CostRequest | undefined;
    try {
      request = parseRequest(record.body);
      logger.appendKeys({ batchId: request.batchId, launchId: request.launchId, runId: request.runId });
      const remaining = context ? context.getRemainingTimeInMillis() - reserveMs : timeBoxMs;
      const deadline = new Date(deps.collector.now().getTime() + Math.max(0, remaining));
      const result = await collectRunCost(deps.collector, request, deadline);
      report(telemetry, request, result);
      if (result.kind === 'paused') await deps.queue.send(request);
      return result;
    } catch (error) {
      telemetry.count(METRICS.costCollectionErrors);
      logger.error('run cost not collected; the request comes back from the queue', {
        error: error as Error,
        attempt: request?.attempt,
        messageId: record.messageId,
      });
      throw error;
    } finally {
      logger.removeKeys(['batchId', 'launchId', 'runId']);
    }
  };

  return async (event: SQSEvent, context?: Context) =>
    processPartialResponse(event, (record: SQSRecord) => handleRecord(record, context), processor, {
      context,
    });
}

function parseRequest(body: string): CostRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new CostRequestError(`not a cost request (not JSON): ${body.slice(0, 200)}`);
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) throw new CostRequestError(`not a cost request: ${parsed.error.message}`);
  return parsed.data;
}

function report(telemetry: Telemetry, request: CostRequest, result: CostCollection): void {
  const { logger } = telemetry;
  const attempt = request.attempt;
  if (result.kind === 'not-priced') {
    telemetry.count(METRICS.runsNotPriced);
    logger.info('run not priced', { attempt, reason: result.reason });
    return;
  }
  if (result.kind === 'paused') {
    logger.info('run cost collection paused at its time box; sent again to go on', {
      attempt,
      tasksSoFar: result.tasksSoFar,
    });
    return;
  }
  const { cost } = result;
  if (result.already) {
    logger.info('run already priced', { attempt, totalUsd: cost.totalUsd, storedOn: result.storedOn });
    return;
  }
  telemetry.count(METRICS.runsPriced);
  telemetry.measure(METRICS.runCostUsd, cost.totalUsd, {
    [COST_DIMENSIONS.workflow]: result.workflowId ?? 'unknown',
  });
  logger.info('run priced', {
    attempt,
    totalUsd: cost.totalUsd,
    computeUsd: cost.computeUsd,
    storageUsd: cost.storageUsd,
    taskCount: cost.taskCount,
    ...(cost.cachedTaskCount ? { cachedTaskCount: cost.cachedTaskCount } : {}),
    storedOn: result.storedOn,
    ...(cost.estimated ? { missingPrices: cost.missingPrices } : {}),
  });
}
