import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  ComparisonOperator,
  CompositeAlarm,
  Dashboard,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../../domain/errors.js';
import { SERVICE_NAMES, type ServiceKey } from '../../functions/service-names.js';
import { DASHBOARD_WIDGETS } from '../dashboard-widgets.js';
import { dashboardRows } from './dashboard.js';
import { failureRateExpression, gwmMetric, iteratorAge, tableThrottleExpression } from './gwm-metrics.js';

export interface ObservabilityProps {
  functions: Record<ServiceKey, IFunction>;
  /**
   * The DynamoDB stream consumers (launcher, aggregator): their iterator age is watched,
   * except the launch queue's consumer (`launchQueue`): its records wait their turn at the StartRun
   * pace by design, so the launches-overdue alarm watches it instead.
   */
  streamConsumers: Array<{ name: string; fn: IFunction; launchQueue?: boolean }>;
  /** Every dead-letter queue and on-failure destination, by name. */
  deadLetterQueues: Record<string, IQueue>;
  alarmTopic: ITopic;
  /** gwm's table: its throttled requests are graphed, and throttling on it or any index is watched. */
  table: ITableV2;
  /** The topic of the lab's notices: its failed deliveries are graphed (with the alarm topic's). */
  notificationTopic: ITopic;
  /** The launcher's reserved concurrency, drawn on its concurrency graph. */
  launcherConcurrency: number;
  /** The functions' log groups: the recent-failures table reads them. */
  logGroups: ILogGroup[];
  reconcilerSchedule: { everyMinutes: number };
  /** Share of finished launch attempts that failed, above which the failure-rate alarm fires. */
  failureRateThreshold?: number;
}

export const DEFAULT_FAILURE_RATE_THRESHOLD = 0.2;
/** Records older than this when a stream consumer reads them mean it is falling behind. */
export const ITERATOR_AGE_LIMIT = Duration.minutes(5);
/** Reconciler runs in a row with repairs (or stuck launches) before anyone is told. */
export const SUSTAINED_RECONCILER_RUNS = 3;
/** Reconciler runs in a row that find launches overdue before anyone is told. */
export const OVERDUE_RECONCILER_RUNS = 2;
/** Five-minute periods in a row with DynamoDB throttling before anyone is told (the SDK retries a few). */
export const SUSTAINED_THROTTLE_PERIODS = 3;
/** The failure rate is judged over this much finished work. */
export const FAILURE_RATE_PERIOD = Duration.hours(1);

const GRAPH_PERIOD = Duration.minutes(5);
/** Run costs are read per day. */
const COST_PERIOD = Duration.days(1);
// CloudWatch evaluates an alarm over at most one day of periods.
const MAX_ALARM_WINDOW_MINUTES = 24 * 60;

/**
 * gwm's dashboard and alarms. Its own metrics are read under the `service` dimension of every
 * function that sends them (see METRIC_EMITTERS), so a metric counted by two functions is one
 * series, their sum. Every alarm tells the alarm topic when it fires and when it clears, and its
 * description says what to look at.
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly dashboardUrl: string;
  readonly alarms: Alarm[] = [];
  /** In ALARM when any of `alarms` is: the one alarm to page on. */
  readonly healthy: CompositeAlarm;
  private readonly notify: SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    // Every gwm metric carries the stack's name (STACK_DIMENSION), as the functions send it.
    const stack = Stack.of(this).stackName;
    this.notify = new SnsAction(props.alarmTopic);
    const threshold = props.failureRateThreshold ?? DEFAULT_FAILURE_RATE_THRESHOLD;
    if (!(threshold > 0 && threshold < 1)) {
      throw new ConfigError(`failureRateThreshold must be between 0 and 1 (exclusive), got ${threshold}`);
    }
    const everyMinutes = props.reconcilerSchedule.everyMinutes;
    if (
      !Number.isInteger(everyMinutes) ||
      everyMinutes < 1 ||
      everyMinutes * SUSTAINED_RECONCILER_RUNS > MAX_ALARM_WINDOW_MINUTES
    ) {
      throw new ConfigError(
        `reconcilerSchedule.everyMinutes must be a whole number of minutes from 1 to ` +
          `${MAX_ALARM_WINDOW_MINUTES / SUSTAINED_RECONCILER_RUNS}, got ${everyMinutes}`,
      );
    }
    const reconcilerPeriod = Duration.minutes(everyMinutes);

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(`DeadLetters-${name}`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({
          statistic: Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
        threshold: 0,
        evaluationPeriods: 1,
        description:
          `gwm gave up on work: ${name} holds messages (a stream batch or an event that failed all ` +
          'its retries); each message says which records or which event. Find the error in the ' +
          "dashboard's recent-failures table or the function's log and fix the cause. The reconciler " +
          'picks up launches the launcher or the tracker missed, and finishes a registration the ' +
          'intake gave up on while its manifest is still there (otherwise upload it again). Then purge ' +
          'the queue so the alarm clears.',
      });
    }

    for (const { name, fn, launchQueue } of props.streamConsumers) {
      if (launchQueue) continue;
      this.alarm(`IteratorAge-${name}`, {
        metric: iteratorAge(fn, GRAPH_PERIOD),
        threshold: ITERATOR_AGE_LIMIT.toMilliseconds(),
        evaluationPeriods: 1,
        description:
          `The ${name} function is more than ${ITERATOR_AGE_LIMIT.toMinutes()} minutes behind the ` +
          "table's stream: launches wait to start or batches to be counted. On the dashboard, check its " +
          'errors (a record failing again and again holds its shard until its retries run out), its ' +
          'throttles (raise its reserved concurrency) and its duration (a slow engine or table).',
      });
    }

    this.alarm('LaunchesOverdue', {
      metric: gwmMetric('launchesOverdue', { stack, period: reconcilerPeriod, statistic: Stats.MAXIMUM }),
      threshold: 0,
      evaluationPeriods: OVERDUE_RECONCILER_RUNS,
      description:
        `In ${OVERDUE_RECONCILER_RUNS} reconciler runs in a row, the oldest launch the launcher could ` +
        'start (QUEUED or THROTTLED, its team not at its maxInFlight) had waited longer than starting ' +
        'every such launch at STARTRUN_RATE_PER_SECOND takes, plus a margin: the launch queue is not ' +
        'draining. Check the launcher: its errors, throttles and failure queue, StartRunThrottled ' +
        '(the HealthOmics StartRun quota is lower than the configured rate) and its "launch deferred" ' +
        "log lines. The reconciler's log line 'launches wait longer than the launch rate explains' " +
        'gives the figures. See docs/runbooks.md.',
    });

    this.tableThrottleAlarms(props.table.tableName);

    const failureRate = failureRateExpression(FAILURE_RATE_PERIOD, stack);
    this.alarm('FailureRate', {
      metric: failureRate,
      threshold,
      evaluationPeriods: 1,
      description:
        `More than ${Math.round(threshold * 100)}% of the launch attempts that finished in the last ` +
        `${FAILURE_RATE_PERIOD.toHumanString()} failed (the run FAILED, or StartRun refused it). The ` +
        "dashboard's recent-failures table lists each with its reason: a workflow, an input path, " +
        'the service role or a quota. Fix the cause, then retry the samples (status RETRY on the launch).',
    });

    this.alarm('ReconcilerRepairs', {
      metric: gwmMetric('reconcilerRepairs', { stack, period: reconcilerPeriod }),
      threshold: 0,
      evaluationPeriods: SUSTAINED_RECONCILER_RUNS,
      description:
        `The reconciler repaired launches in ${SUSTAINED_RECONCILER_RUNS} runs in a row: events, ` +
        'stream records or writes are being lost, not just now and then. Its "launch repaired" log ' +
        'lines say which launches and what it did. Check that the EventBridge rule for HealthOmics ' +
        "Run Status Change is enabled and delivering, and the stream consumers' errors and " +
        'dead-letter queues.',
    });

    const stuck = new MathExpression({
      expression: 'FILL(left, 0) + FILL(unreconciled, 0)',
      usingMetrics: {
        left: gwmMetric('reconcilerLeft', { stack, period: reconcilerPeriod }),
        unreconciled: gwmMetric('reconcilerErrors', { stack, period: reconcilerPeriod }),
      },
      period: reconcilerPeriod,
      label: 'stale launches left or not reconciled',
    });
    this.alarm('StuckLaunches', {
      metric: stuck,
      threshold: 0,
      evaluationPeriods: SUSTAINED_RECONCILER_RUNS,
      description:
        `For ${SUSTAINED_RECONCILER_RUNS} reconciler runs in a row, launches past their ` +
        'RECONCILE_AFTER_MINUTES_* threshold were left for a later run or could not be reconciled: ' +
        'they are not moving. The reconciler\'s "launch not reconciled" log lines give the engine ' +
        "or table error for each. The sweeps on the same schedule count here too: the intake's " +
        '("registration not resumed", "held batch not settled"), the restore tracker\'s ("restore not ' +
        'reconciled") and the aggregator\'s ("batch notification not sent", "batch not recounted"). ' +
        'A backlog larger than RECONCILE_MAX_LAUNCHES per run drains faster with a higher limit or a ' +
        'shorter schedule.',
    });

    for (const [key, fn] of Object.entries(props.functions) as Array<[ServiceKey, IFunction]>) {
      const name = SERVICE_NAMES[key];
      this.alarm(`Errors-${key}`, {
        metric: fn.metricErrors({ statistic: Stats.SUM, period: GRAPH_PERIOD }),
        threshold: 0,
        evaluationPeriods: 1,
        description:
          `The ${name} function failed (an unhandled error or a timeout), not a refusal it reported. ` +
          "Its log group has the error (the dashboard's recent-failures table lists it). A stream or " +
          'SQS batch it failed comes again and, after its retries, goes to its failure queue (see ' +
          'docs/runbooks.md); a scheduled run of the reconciler goes to its own.',
      });
      this.alarm(`Throttles-${key}`, {
        metric: fn.metricThrottles({ statistic: Stats.SUM, period: GRAPH_PERIOD }),
        threshold: 0,
        evaluationPeriods: 1,
        description:
          `Lambda refused invocations of the ${name} function: it is at its reserved concurrency ` +
          "or the account's. Work waits (stream records and queued messages are tried again) but " +
          'falls behind. Compare its concurrency with its limit on the dashboard, and raise the ' +
          "limit or the account's quota.",
      });
    }

    // The reconciler sends its count of launches left on every run, zero included: no data for
    // three periods means it is not running (disabled schedule, failing before it counts).
    this.alarm('ReconcilerHeartbeat', {
      metric: gwmMetric('reconcilerLeft', { stack, statistic: Stats.SAMPLE_COUNT, period: reconcilerPeriod }),
      threshold: 1,
      comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SUSTAINED_RECONCILER_RUNS,
      missingData: TreatMissingData.BREACHING,
      description:
        `The reconciler has not reported for ${SUSTAINED_RECONCILER_RUNS} of its schedule periods: ` +
        'lost events and stream records are not being repaired, nor notices resent. Check that its ' +
        'EventBridge schedule rule is enabled, its Errors alarm and its failure queue, and its log group.',
    });

    this.healthy = new CompositeAlarm(this, 'Healthy', {
      compositeAlarmName: `${Stack.of(this).stackName}-gwm-healthy`,
      alarmRule: AlarmRule.anyOf(...this.alarms),
      alarmDescription:
        'gwm healthy: in ALARM when any gwm alarm is. Its description and docs/runbooks.md say what to do.',
    });
    this.healthy.addAlarmAction(this.notify);
    this.healthy.addOkAction(this.notify);

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    const rows = dashboardRows(DASHBOARD_WIDGETS, {
      stack,
      functions: props.functions,
      streamConsumers: props.streamConsumers,
      deadLetterQueues: props.deadLetterQueues,
      table: props.table,
      topics: { notifications: props.notificationTopic, alarms: props.alarmTopic },
      alarms: this.alarms,
      logGroups: props.logGroups,
      launcherConcurrency: props.launcherConcurrency,
      failureRate: { metric: failureRate, threshold },
      iteratorAgeLimit: ITERATOR_AGE_LIMIT,
      graphPeriod: GRAPH_PERIOD,
      costPeriod: COST_PERIOD,
    });
    for (const row of rows) this.dashboard.addWidgets(...row);

    const region = Stack.of(this).region;
    this.dashboardUrl =
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  /** DynamoDB throttling of the table or any index; a throttled index write throttles the table write. */
  private tableThrottleAlarms(tableName: string): void {
    const kinds = [
      ['reads', 'ReadThrottleEvents'],
      ['writes', 'WriteThrottleEvents'],
    ] as const;
    for (const [kind, metricName] of kinds) {
      this.alarm(`TableThrottles-${kind}`, {
        metric: tableThrottleExpression(tableName, metricName, GRAPH_PERIOD),
        threshold: 0,
        evaluationPeriods: SUSTAINED_THROTTLE_PERIODS,
        description:
          `DynamoDB throttled ${kind} on gwm's table or its indexes in ${SUSTAINED_THROTTLE_PERIODS} ` +
          'five-minute periods in a row. The SDK retries, so work slows before it fails. The per-index ' +
          `${metricName} metric and CloudWatch Contributor Insights show which index and key: a hot ` +
          "partition (one key over about 1,000 writes or 3,000 reads a second) or the table's " +
          'throughput quota. See docs/runbooks.md.',
      });
    }
  }

  private alarm(
    id: string,
    options: {
      metric: IMetric;
      threshold: number;
      evaluationPeriods: number;
      description: string;
      comparison?: ComparisonOperator;
      missingData?: TreatMissingData;
    },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods,
      datapointsToAlarm: options.evaluationPeriods,
      // No data means nothing happened (no failed work, no stream traffic, no finished launches),
      // except for a heartbeat.
      treatMissingData: options.missingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.notify);
    alarm.addOkAction(this.notify);
    this.alarms.push(alarm);
    return alarm;
  }
}
