import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type EventPattern, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUN_STATUS_RULE } from '../../functions/event-sources.js';
import { failureQueue } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowInputRestores, allowListRuns, allowRunReads, allowStartRun } from './omics.js';

export interface TrackingProps {
  table: ITableV2;
  environment: Record<string, string>;
  serviceRole: IRole;
  logRetention: RetentionDays;
  reconcileEveryMinutes: number;
  reconcilerTimeoutSeconds: number;
  /** The allowed input prefixes: a launch the reconciler starts again may restore its inputs. */
  inputPrefixes: readonly string[];
}

/** EventBridge invokes the tracker asynchronously: function errors are retried, then kept. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/**
 * The tracker (HealthOmics `Run Status Change` events on the default bus), the reconciler
 * that repairs launches events, stream records or crashed writes left behind, and the schedule
 * that runs it and the other functions' sweeps (`runOnSchedule`).
 */
export class Tracking extends Construct {
  readonly tracker: GwmFunction;
  readonly reconciler: GwmFunction;
  readonly runStatusRule: Rule;
  readonly reconcilerSchedule: Rule;
  /** Events the rule could not deliver to the tracker. */
  readonly undeliveredRunEvents: Queue;
  /** Events the tracker failed on, after its retries. */
  readonly trackerFailures: Queue;
  /** Schedule ticks the rule could not deliver to the reconciler or a sweep. */
  readonly undeliveredSchedules: Queue;
  /**
   * Reconciler runs (and completion sweeps) that failed, an error or a timeout, and ticks that
   * waited too long to run.
   */
  readonly reconcilerFailures: Queue;
  private readonly everyMinutes: number;

  constructor(scope: Construct, id: string, props: TrackingProps) {
    super(scope, id);
    this.tracker = new GwmFunction(this, 'Tracker', {
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
    allowRunReads(this.tracker.role, this);
    this.trackerFailures = failureQueue(this, 'TrackerFailures');
    this.tracker.fn.configureAsyncInvoke({
      retryAttempts: ASYNC_RETRY_ATTEMPTS,
      maxEventAge: ASYNC_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.trackerFailures),
    });

    this.undeliveredRunEvents = failureQueue(this, 'UndeliveredRunEvents');
    this.runStatusRule = new Rule(this, 'RunStatusChanges', {
      description: 'HealthOmics Run Status Change events to the gwm tracker',
      eventPattern: eventPatternOf(RUN_STATUS_RULE.eventPattern),
    });
    this.runStatusRule.addTarget(
      new LambdaFunction(this.tracker.fn, {
        retryAttempts: RUN_STATUS_RULE.retryAttempts,
        maxEventAge: Duration.seconds(RUN_STATUS_RULE.maxEventAgeSeconds),
        deadLetterQueue: this.undeliveredRunEvents,
      }),
    );

    this.reconciler = new GwmFunction(this, 'Reconciler', {
      entry: 'reconciler.entry.ts',
      description: 'Repairs launches that stopped moving, measures the launches waiting to start',
      environment: props.environment,
      timeout: Duration.seconds(props.reconcilerTimeoutSeconds),
      // One at a time: its engine reads are paced, and a second run would only check the same launches.
      reservedConcurrentExecutions: 1,
      logRetention: props.logRetention,
      table: props.table,
      // Stale launches (gsi4, whole items by BatchGetItem), their repair (conditional puts), the
      // token buckets and the note on an unreadable item (UpdateItem); launches waiting to start
      // (gsi4) and the teams' runs in flight (queue).
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem'],
        indexes: ['gsi4', 'queue'],
      },
    });
    // A launch it starts again whose archived input's copy expired is restored again first.
    allowInputRestores(this.reconciler.role, props.inputPrefixes);
    allowRunReads(this.reconciler.role, this);
    allowListRuns(this.reconciler.role);
    // A launch a crash left in SUBMITTING is sent again with the same requestId.
    allowStartRun(this.reconciler.role, this, props.serviceRole);
    // A failed run is not retried: the next scheduled run does the same work. A tick that waited
    // longer than one period is dropped (the next is due), so ticks do not pile up behind a slow
    // run; both are recorded in the reconciler's failure queue, which an alarm watches.
    this.reconcilerFailures = failureQueue(this, 'ReconcilerFailures');
    this.reconciler.fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.max(1, props.reconcileEveryMinutes)),
      onFailure: new SqsDestination(this.reconcilerFailures),
    });

    this.undeliveredSchedules = failureQueue(this, 'UndeliveredSchedules');
    this.everyMinutes = props.reconcileEveryMinutes;
    this.reconcilerSchedule = new Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the gwm reconciler and the sweeps of the intake, restore tracker and aggregator',
      schedule: Schedule.rate(Duration.minutes(props.reconcileEveryMinutes)),
    });
    this.runOnSchedule(this.reconciler.fn);
  }

  /**
   * Sends the schedule's ticks to a function too: its handler runs its sweep on them
   * (functions/scheduled-event.ts). A tick it cannot take within one period is dropped: the next
   * one is due.
   */
  runOnSchedule(fn: IFunction): void {
    this.reconcilerSchedule.addTarget(
      new LambdaFunction(fn, {
        retryAttempts: 2,
        maxEventAge: Duration.minutes(this.everyMinutes),
        deadLetterQueue: this.undeliveredSchedules,
      }),
    );
  }

  /**
   * Async invocation settings for a function that takes only the schedule's ticks that way (the
   * aggregator's other events come from its stream): as the reconciler's.
   */
  scheduledOnly(fn: IFunction): void {
    fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.max(1, this.everyMinutes)),
      onFailure: new SqsDestination(this.reconcilerFailures),
    });
  }
}

/**
 * The shared pattern object in CDK's shape: CDK spells `detail-type` as `detailType` and
 * renders it back; every other key is passed through as it is.
 */
export function eventPatternOf(pattern: Readonly<Record<string, unknown>>): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType === undefined ? {} : { detailType }) } as EventPattern;
}
