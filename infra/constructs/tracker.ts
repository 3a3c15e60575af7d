import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUN_STATUS_RULE } from '../../functions/event-sources.js';
import { asyncFailureQueue, EVENT_RETRIES } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowRunReads } from './omics.js';
import { eventPatternOf, functionRule } from './rule-pattern.js';

export interface TrackerProps {
  table: ITableV2;
  environment: Record<string, string>;
  logRetention: RetentionDays;
}

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
    // EventBridge invokes the tracker asynchronously: function errors are retried, then kept.
    this.failures = asyncFailureQueue(this, 'TrackerFailures', this.function.fn, EVENT_RETRIES);
    const { rule, undelivered } = functionRule(this, {
      ruleId: 'RunStatusChanges',
      undeliveredId: 'UndeliveredRunEvents',
      description: 'HealthOmics Run Status Change events to the gwm tracker',
      eventPattern: eventPatternOf(RUN_STATUS_RULE.eventPattern),
      fn: this.function.fn,
      delivery: RUN_STATUS_RULE,
    });
    this.rule = rule;
    this.undeliveredEvents = undelivered;
  }
}
