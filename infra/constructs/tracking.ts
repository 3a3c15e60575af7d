import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type EventPattern, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUN_STATUS_RULE } from '../../functions/event-sources.js';
import type { Notifications } from './completion.js';
import { failureQueue } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowManifestReads } from './manifest-access.js';
import {
  allowInputRestores,
  allowInputSizing,
  allowListRuns,
  allowRunReads,
  allowSampleOutputLists,
  allowStartRun,
} from './omics.js';

export interface TrackingProps {
  table: ITableV2;
  environment: Record<string, string>;
  serviceRole: IRole;
  logRetention: RetentionDays;
  reconcileEveryMinutes: number;
  reconcilerTimeoutSeconds: number;
  /** The reconciler sends the batch notifications a stopped aggregator left marked SENDING. */
  notifications: Notifications;
  /** Where QC runs write: a recount that starts QC writes its list of sample outputs there. */
  outputPrefixes: readonly string[];
  /** A registration whose intake stopped for good is resumed from its manifest, read from here. */
  manifestBucket: IBucket;
  /** The key prefix manifests are taken under in that bucket. */
  manifestPrefix: string;
  /** The allowed input prefixes: a resumed registration sizes its inputs as the intake does. */
  inputPrefixes: readonly string[];
}

/** EventBridge invokes the tracker asynchronously: function errors are retried, then kept. */
const ASYNC_RETRY_ATTEMPTS = 2;
const ASYNC_MAX_EVENT_AGE = Duration.hours(6);

/**
 * The status tracker (HealthOmics `Run Status Change` events on the default bus) and the
 * reconciler that repairs what events, stream records or crashed writes left behind.
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
  /** Schedule ticks the rule could not deliver to the reconciler. */
  readonly undeliveredSchedules: Queue;
  /** Reconciler runs that failed (an error or a timeout), and ticks that waited too long to run. */
  readonly reconcilerFailures: Queue;

  constructor(scope: Construct, id: string, props: TrackingProps) {
    super(scope, id);
    this.tracker = new GwmFunction(this, 'Tracker', {
      entry: 'on-run-status-change.ts',
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
      description: 'HealthOmics Run Status Change events to the gwm status tracker',
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
      entry: 'reconciler.ts',
      description:
        'Repairs launches that stopped moving, sends interrupted batch notifications, resumes stopped registrations',
      environment: { ...props.environment, ...props.notifications.environment },
      timeout: Duration.seconds(props.reconcilerTimeoutSeconds),
      // A resumed registration parses its manifest, as the intake does with the same memory.
      memorySize: 1024,
      // One at a time: its engine reads are paced, and a second run would only check the same launches.
      reservedConcurrentExecutions: 1,
      logRetention: props.logRetention,
      table: props.table,
      // Stale launches and batches mid-send (gsi4), their repair (conditional puts), the token
      // buckets, a resent notice's failed samples (the batch's launches by key), the note on an
      // unreadable item (UpdateItem); the recount of
      // quiet open batches (gsi2) and its outcome marks with the batch counters (one transaction).
      // A recount that starts QC writes the QC launch through putMany (BatchGetItem, BatchWriteItem).
      tableAccess: {
        actions: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'],
        indexes: ['gsi2', 'gsi4'],
      },
    });
    props.notifications.grantSend(this.reconciler.role);
    allowSampleOutputLists(this.reconciler.role, props.outputPrefixes);
    allowInputSizing(this.reconciler.role, props.inputPrefixes);
    allowInputRestores(this.reconciler.role, props.inputPrefixes);
    allowRunReads(this.reconciler.role, this);
    allowListRuns(this.reconciler.role);
    // A launch a crash left in SUBMITTING is sent again with the same requestId.
    allowStartRun(this.reconciler.role, this, props.serviceRole);
    // A registration every delivery of its upload event failed on is resumed from its manifest.
    allowManifestReads(this.reconciler.role, props.manifestBucket, props.manifestPrefix, 'the reconciler');
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
    this.reconcilerSchedule = new Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the gwm reconciler',
      schedule: Schedule.rate(Duration.minutes(props.reconcileEveryMinutes)),
    });
    this.reconcilerSchedule.addTarget(
      new LambdaFunction(this.reconciler.fn, {
        retryAttempts: 2,
        maxEventAge: Duration.minutes(props.reconcileEveryMinutes),
        deadLetterQueue: this.undeliveredSchedules,
      }),
    );
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
