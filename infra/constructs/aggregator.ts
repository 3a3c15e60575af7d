import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AGGREGATOR_EVENT_SOURCE } from '../../functions/event-sources.js';
import { GwmFunction } from './gwm-function.js';
import type { Notifications } from './notifications.js';
import { allowSampleOutputLists } from './omics.js';
import { consumeStream } from './stream-source.js';

export interface AggregatorProps {
  table: ITableV2;
  environment: Record<string, string>;
  notifications: Notifications;
  logRetention: RetentionDays;
  /** Where QC runs write: the QC run's list of sample outputs is written there. */
  outputPrefixes: readonly string[];
}

/**
 * The aggregator: a second consumer of the table's stream that counts outcomes on
 * batches, writes the QC launch once and sends one notification per batch round.
 */
export class Aggregator extends Construct {
  readonly function: GwmFunction;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    this.function = new GwmFunction(this, 'Aggregator', {
      entry: 'aggregator.entry.ts',
      description:
        'Counts launch outcomes on batches, starts QC once, notifies once per round; on schedule, resends interrupted notices and recounts quiet batches',
      environment: { ...props.environment, ...props.notifications.environment },
      timeout: Duration.minutes(3),
      logRetention: props.logRetention,
      table: props.table,
      // Outcome marks and batch counters (one transaction), the QC launch, batch reads by key.
      // The QC launch goes through putMany: a BatchGetItem first, so it never overwrites one that moved on.
      // Its scheduled sweep: batches mid-send (gsi4) and quiet open batches (gsi2).
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'],
        indexes: ['gsi2', 'gsi4'],
      },
    });
    props.notifications.grantSend(this.function.role);
    allowSampleOutputLists(this.function.role, props.outputPrefixes);
    this.failures = consumeStream(this, this.function.fn, props.table, AGGREGATOR_EVENT_SOURCE);
  }
}
