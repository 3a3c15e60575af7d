import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Rule } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RESTORE_COMPLETED_RULE } from '../../functions/event-sources.js';
import { asyncFailureQueue, EVENT_RETRIES } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowInputRestores, allowInputSizing, inputBuckets } from './omics.js';
import { eventPatternOf, functionRule } from './rule-pattern.js';

export interface RestoreTrackerProps {
  table: ITableV2;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** The allowed input prefixes: their buckets' restore-completed events are listened to. */
  inputPrefixes: readonly string[];
}

/**
 * The restore tracker: S3's `Object Restore Completed` events of the input buckets (EventBridge
 * notifications must be on for each: docs/deploy.md) mark archived inputs restored and queue the
 * launches that waited for them.
 */
export class RestoreTracker extends Construct {
  readonly function: GwmFunction;
  readonly rule: Rule;
  /** Events the rule could not deliver to the restore tracker. */
  readonly undeliveredEvents: Queue;
  /** Events the restore tracker failed on, after its retries. */
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: RestoreTrackerProps) {
    super(scope, id);
    this.function = new GwmFunction(this, 'RestoreTracker', {
      entry: 'restore-tracker.entry.ts',
      description:
        'Marks archived inputs restored and queues the launches that waited for them; on schedule, checks restores past due',
      environment: props.environment,
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      table: props.table,
      // The restore item and its waiters (by key), each waiting launch and its conditional rewrite;
      // UpdateItem: the note on a launch a console edit made unreadable. Its scheduled sweep:
      // restores past due (gsi4), launches waiting for inputs (gsi4, whole items by BatchGetItem).
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem'],
        indexes: ['gsi4'],
      },
    });
    // Its sweep asks S3 what became of a restore past due, and asks again for one that lapsed.
    allowInputSizing(this.function.role, props.inputPrefixes);
    allowInputRestores(this.function.role, props.inputPrefixes);
    this.failures = asyncFailureQueue(this, 'RestoreTrackerFailures', this.function.fn, EVENT_RETRIES);
    const pattern = eventPatternOf(RESTORE_COMPLETED_RULE.eventPattern);
    const { rule, undelivered } = functionRule(this, {
      ruleId: 'RestoreCompleted',
      undeliveredId: 'UndeliveredRestoreEvents',
      description: 'S3 Object Restore Completed events of the input buckets to the gwm restore tracker',
      eventPattern: { ...pattern, detail: { bucket: { name: inputBuckets(props.inputPrefixes) } } },
      fn: this.function.fn,
      delivery: RESTORE_COMPLETED_RULE,
    });
    this.rule = rule;
    this.undeliveredEvents = undelivered;
  }
}
