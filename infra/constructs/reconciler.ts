import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type AsyncRetries, asyncFailureQueue, failureQueue, keepAsyncFailures } from './failure-queue.js';
import { GwmFunction } from './gwm-function.js';
import { allowInputRestores, allowListRuns, allowRunReads, allowStartRun } from './omics.js';

export interface ReconcilerProps {
  table: ITableV2;
  environment: Record<string, string>;
  serviceRole: IRole;
  logRetention: RetentionDays;
  reconcileEveryMinutes: number;
  reconcilerTimeoutSeconds: number;
  /** The allowed input prefixes: a launch the reconciler starts again may restore its inputs. */
  inputPrefixes: readonly string[];
}

/**
 * The reconciler, which repairs launches that events, stream records or crashed writes left
 * behind, and the schedule that runs it and the other functions' sweeps (`runOnSchedule`).
 */
export class Reconciler extends Construct {
  readonly function: GwmFunction;
  readonly schedule: Rule;
  /** Schedule ticks the rule could not deliver to the reconciler or a sweep. */
  readonly undeliveredSchedules: Queue;
  /**
   * Reconciler runs (and aggregator sweeps) that failed, an error or a timeout, and ticks that
   * waited too long to run.
   */
  readonly failures: Queue;
  private readonly everyMinutes: number;
  /**
   * A failed run is not retried: the next scheduled run does the same work. A tick that waited
   * longer than one period is dropped (the next is due), so ticks do not pile up behind a slow run.
   */
  private readonly scheduleRetries: AsyncRetries;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    this.function = new GwmFunction(this, 'Reconciler', {
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
    allowInputRestores(this.function.role, props.inputPrefixes);
    allowRunReads(this.function.role, this);
    allowListRuns(this.function.role);
    // A launch a crash left in SUBMITTING is sent again with the same requestId.
    allowStartRun(this.function.role, this, props.serviceRole);
    // Failed runs and dropped ticks are recorded in the reconciler's failure queue, which an alarm watches.
    this.scheduleRetries = {
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.max(1, props.reconcileEveryMinutes)),
    };
    this.failures = asyncFailureQueue(this, 'ReconcilerFailures', this.function.fn, this.scheduleRetries);

    this.undeliveredSchedules = failureQueue(this, 'UndeliveredSchedules');
    this.everyMinutes = props.reconcileEveryMinutes;
    this.schedule = new Rule(this, 'ReconcilerSchedule', {
      description: 'Runs the gwm reconciler and the sweeps of the intake, restore tracker and aggregator',
      schedule: Schedule.rate(Duration.minutes(props.reconcileEveryMinutes)),
    });
    this.runOnSchedule(this.function.fn);
  }

  /**
   * Sends the schedule's ticks to a function too: its handler runs its sweep on them
   * (functions/scheduled-event.ts). A tick it cannot take within one period is dropped: the next
   * one is due.
   */
  runOnSchedule(fn: IFunction): void {
    this.schedule.addTarget(
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
    keepAsyncFailures(fn, this.failures, this.scheduleRetries);
  }
}
