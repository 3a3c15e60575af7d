import type { SQSRecord } from 'aws-lambda';

/** A message of the cost queue as Lambda's SQS event source hands it to the cost collector. */
export function costQueueRecord(body: string, messageId: string): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body,
    attributes: {} as SQSRecord['attributes'],
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:gwm-cost',
    awsRegion: 'us-east-1',
  };
}
