import { Duration } from 'aws-cdk-lib';
import { FilterCriteria, type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { DynamoEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { StreamSourceSettings } from '../../functions/event-sources.js';

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
