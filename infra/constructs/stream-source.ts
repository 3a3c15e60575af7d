import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  FilterCriteria,
  type IEventSourceDlq,
  type IFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, type DynamoEventSourceProps, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StreamSourceSettings } from '../../functions/event-sources.js';
import { failureQueue } from './failure-queue.js';

/**
 * Makes the function a consumer of the table's stream with the shared settings; the records it
 * gives up on are kept in the failure queue `Failures` of `scope`, which is returned.
 */
export function consumeStream(
  scope: Construct,
  fn: IFunction,
  table: ITableV2,
  source: Required<StreamSourceSettings>,
): Queue {
  const failures = failureQueue(scope, 'Failures');
  fn.addEventSource(new DynamoEventSource(table, streamEventSourceProps(source, new SqsDlq(failures))));
  return failures;
}

/**
 * The event source mapping of a table stream consumer, from the shared settings object: its
 * filter patterns are that object's patterns, not copies, so the local stream pump and the
 * deployed mapping match the same records.
 */
export function streamEventSourceProps(
  source: Required<StreamSourceSettings>,
  onFailure: IEventSourceDlq,
): DynamoEventSourceProps {
  return {
    startingPosition: StartingPosition[source.startingPosition],
    batchSize: source.batchSize,
    bisectBatchOnError: source.bisectBatchOnError,
    retryAttempts: source.maxRetryAttempts,
    maxRecordAge: Duration.seconds(source.maxRecordAgeSeconds),
    reportBatchItemFailures: source.reportBatchItemFailures,
    filters: source.filterPatterns.map((pattern) => FilterCriteria.filter(pattern)),
    onFailure,
  };
}
