import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
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

/** SQS-managed encryption, or the deployment's queue key (deploy setting `encryption.queueKeyArn`). */
export function queueEncryption(scope: Construct) {
  const key = StackEncryption.of(scope).queues;
  return key === undefined
    ? { encryption: QueueEncryption.SQS_MANAGED }
    : { encryption: QueueEncryption.KMS, encryptionMasterKey: key };
}
