import { Duration, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { StackEncryption } from './encryption.js';

/**
 * A queue where events or stream records that could not be handled end up, kept for two weeks
 * for a person to look at and redrive. Encrypted (with the deployment's queue key when it names
 * one), TLS only.
 */
export function failureQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, {
    ...queueEncryption(scope),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue (on-failure destination) of a gwm event source; nothing consumes it automatically, so a further DLQ would never receive anything.',
  });
  return queue;
}

/** How often, and for how long, a function's asynchronous invocations are retried before they are kept. */
export interface AsyncRetries {
  retryAttempts: number;
  maxEventAge: Duration;
}

/**
 * Events a service invokes a function with asynchronously (S3 notifications, EventBridge rules):
 * a failed one is retried twice, within six hours, then kept.
 */
export const EVENT_RETRIES: AsyncRetries = { retryAttempts: 2, maxEventAge: Duration.hours(6) };

/** The function's asynchronous invocations that failed after their retries are kept in `failures`. */
export function keepAsyncFailures(fn: IFunction, failures: IQueue, retries: AsyncRetries): void {
  fn.configureAsyncInvoke({ ...retries, onFailure: new SqsDestination(failures) });
}

/** A failure queue that keeps the function's failed asynchronous invocations, after their retries. */
export function asyncFailureQueue(scope: Construct, id: string, fn: IFunction, retries: AsyncRetries): Queue {
  const queue = failureQueue(scope, id);
  keepAsyncFailures(fn, queue, retries);
  return queue;
}

/** SQS-managed encryption, or the deployment's queue key (deploy setting `encryption.queueKeyArn`). */
export function queueEncryption(scope: Construct) {
  const key = StackEncryption.of(scope).queues;
  return key === undefined
    ? { encryption: QueueEncryption.SQS_MANAGED }
    : { encryption: QueueEncryption.KMS, encryptionMasterKey: key };
}
