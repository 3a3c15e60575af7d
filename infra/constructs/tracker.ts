import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUN_STATUS_RULE } from '../../functions/event-sources.js';
import { failureQueue } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowRunReads } from './omics.js';
import { eventPatternOf } from './rule-pattern.js';

export interface TrackerProps {
  table: ITableV2;
  environment: Record<string, string>;
  logRetention: RetentionDays;
}

/** EventBridge invokes the tracker asynchronously: function errors are retried, then kept. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/** The tracker: HealthOmics `Run Status Change` events on the default bus, applied to launches. */
export class Tracker extends Construct {
  readonly function: GwmFunction;
  readonly rule: Rule;
  /** Events the rule could not deliver to the tracker. */
  readonly undeliveredEvents: Queue;
  /** Events the tracker failed on, after its retries. */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: TrackerProps) {
    super(scope, id);
    this.function = new GwmFunction(this, 'Tracker', {
      entry: 'tracker.entry.ts',
      description: 'Applies HealthOmics run status changes to launches, forward only',
      environment: props.environment,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      table: props.table,
      // The launch by run id (gsi1), by key, and its conditional rewrite.
      // UpdateItem: the note on an item a console edit made unreadable (nothing else).
      tableAccess: { actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem'], indexes: ['gsi1'] },
    });
    // GetRun for an event that overtook the launcher's write, and for a failed run's reason and log.
    allowRunReads(this.function.role, this);
    this.failures = failureQueue(this, 'TrackerFailures');
    this.function.fn.configureAsyncInvoke({
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.failures),
    });

    this.undeliveredEvents = failureQueue(this, 'UndeliveredRunEvents');
    this.rule = new Rule(this, 'RunStatusChanges', {
      description: 'HealthOmics Run Status Change events to the gwm tracker',
      eventPattern: eventPatternOf(RUN_STATUS_RULE.eventPattern),
    });
    this.rule.addTarget(
      new LambdaFunction(this.function.fn, {
        retryAttempts: RUN_STATUS_RULE.retryAttempts,
        maxEventAge: Duration.seconds(RUN_STATUS_RULE.maxEventAgeSeconds),
        deadLetterQueue: this.undeliveredEvents,
      }),
    );
  }
}
