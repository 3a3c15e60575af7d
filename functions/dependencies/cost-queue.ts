import { SQSClient } from '@aws-sdk/client-sqs';
import type { CostQueue } from '../../domain/ports.js';
import { makeSqsCostQueue } from '../adapters/sqs-cost-queue.js';
import type { Base } from './base.js';

/** Where finished run attempts are sent to be priced (SQS); none without COST_QUEUE_URL. */
export function costQueueOf(base: Base): CostQueue | undefined {
  const { config, overrides } = base;
  return base.share(
    costQueueOf,
    () =>
      overrides.costQueue ??
      (config.COST_QUEUE_URL
        ? makeSqsCostQueue({
            client: new SQSClient({ region: base.region, endpoint: config.SQS_ENDPOINT }),
            queueUrl: config.COST_QUEUE_URL,
          })
        : undefined),
  );
}
