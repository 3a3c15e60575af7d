import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CostQueue, CostRequest } from '../../domain/ports.js';
import { COST_EVENT_SOURCE } from '../../functions/event-sources.js';
import { createEventRouter, type LocalLog } from './event-router.js';
import { LOCAL_NAMES } from './stack-settings.js';

type CostHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const SOURCE = 'gwm.cost';

/**
 * The embedded runtime's cost queue: what SQS and its event source do for the deployed cost
 * collector. Each request is handed to the collector as a one-message SQS event, a few at a time
 * (COST_EVENT_SOURCE); a failed one comes back with backoff and, after `maxReceiveCount`
 * deliveries, goes to the dead-letter file. Built on the local event router, which has exactly
 * those semantics. Requests in the queue when the stack stops are not kept: the launches keep no
 * cost until their records come again.
 */
export function createLocalCostQueue(options: { deadLetterFile: string; log?: LocalLog }) {
  let handler: CostHandler | undefined;
  let sequence = 0;
  const router = createEventRouter({
    rules: [
      {
        name: 'cost-collector',
        pattern: { source: [SOURCE] },
        retryAttempts: COST_EVENT_SOURCE.maxReceiveCount - 1,
        target: async (message) => {
          if (!handler) throw new Error('the cost collector is not ready');
          const { request } = (message as { detail: { request: CostRequest } }).detail;
          const result = await handler(sqsEvent(request, `local-${++sequence}`));
          if (result.batchItemFailures.length > 0) throw new Error('the cost collector failed the request');
        },
      },
    ],
    deadLetterFile: options.deadLetterFile,
    maxConcurrency: COST_EVENT_SOURCE.maxConcurrency,
    log: options.log,
  });
  const queue: CostQueue = {
    async send(request) {
      router.put({ source: SOURCE, 'detail-type': 'Cost Request', detail: { request } });
    },
  };
  return {
    queue,
    /** The collector that consumes the queue (built with the queue, to send paused requests again). */
    consumeWith(next: CostHandler) {
      handler = next;
    },
    settle: () => router.settle(),
    stats: () => router.stats(),
    stop: () => router.stop(),
  };
}

function sqsEvent(request: CostRequest, messageId: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: messageId,
        body: JSON.stringify(request),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: LOCAL_NAMES.accountId,
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_NAMES.region}:${LOCAL_NAMES.accountId}:gwm-cost`,
        awsRegion: LOCAL_NAMES.region,
      },
    ],
  };
}
