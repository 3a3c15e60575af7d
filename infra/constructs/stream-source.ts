import { Duration } from 'aws-cdk-lib';
import { FilterCriteria, type IEventSourceDlq, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { DynamoEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';

/** A stream consumer's settings as functions/event-sources.ts declares them. */
export interface StreamSourceSettings {
  filterPatterns: ReadonlyArray<Record<string, unknown>>;
  batchSize: number;
  maxRetryAttempts: number;
  maxRecordAgeSeconds: number;
  bisectBatchOnError: boolean;
  reportBatchItemFailures: boolean;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

/**
 * The event source mapping of a table stream consumer, from the shared settings object: its
 * filter patterns are that object's patterns, not copies, so the local stream pump and the
 * deployed mapping match the same records.
 */
export function streamEventSourceProps(
  source: StreamSourceSettings,
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
