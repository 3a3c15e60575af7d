import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CostQueue, CostRequest } from '../../domain/ports.js';

/** The cost queue on AWS: one SQS message per run attempt to price (the body is the request). */
export function makeSqsCostQueue(options: { client: SQSClient; queueUrl: string }): CostQueue {
  return {
    async send(request: CostRequest) {
      await options.client.send(
        new SendMessageCommand({ QueueUrl: options.queueUrl, MessageBody: JSON.stringify(request) }),
      );
    },
  };
}
