import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../../domain/errors.js';
import { COST_DIMENSIONS, METRIC_NAMESPACE, METRICS } from '../../domain/metrics.js';
import {
  METRIC_EMITTERS,
  SERVICE_DIMENSION,
  SERVICE_NAMES,
  type ServiceKey,
} from '../../functions/service-names.js';

export interface ObservabilityProps {
  functions: Record<ServiceKey, IFunction>;
  /** The DynamoDB stream consumers (launcher, completion aggregator): their iterator age is watched. */
  streamConsumers: Array<{ name: string; fn: IFunction }>;
  /** Every dead-letter queue and on-failure destination, by name. */
  deadLetterQueues: Record<string, IQueue>;
  alarmTopic: ITopic;
  /** The functions' log groups: the recent-failures table reads them. */
  logGroups: ILogGroup[];
  reconcilerSchedule: { everyMinutes: number };
  /** Share of finished launch attempts that failed, above which the failure-rate alarm fires. */
  failureRateThreshold?: number;
}

type MetricKey = keyof typeof METRICS;

export const DEFAULT_FAILURE_RATE_THRESHOLD = 0.2;
/** Records older than this when a stream consumer reads them mean it is falling behind. */
export const ITERATOR_AGE_LIMIT = Duration.minutes(5);
/** Reconciler runs in a row with repairs (or stuck launches) before anyone is told. */
export const SUSTAINED_RECONCILER_RUNS = 3;
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
  private readonly notify: SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
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
          'picks up launches the launcher or the status tracker missed, and finishes a registration the ' +
          'intake gave up on while its manifest is still there (otherwise upload it again). Then purge ' +
          'the queue so the alarm clears.',
      });
    }

    for (const { name, fn } of props.streamConsumers) {
      this.alarm(`IteratorAge-${name}`, {
        metric: iteratorAge(fn),
        threshold: ITERATOR_AGE_LIMIT.toMilliseconds(),
        evaluationPeriods: 1,
        description:
          `The ${name} function is more than ${ITERATOR_AGE_LIMIT.toMinutes()} minutes behind the ` +
          "table's stream: launches wait to start or batches to be counted. On the dashboard, check its " +
          'errors (a record failing again and again holds its shard until its retries run out), its ' +
          'throttles (raise its reserved concurrency) and its duration (a slow engine or table).',
      });
    }

    const failureRate = failureRateExpression();
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
      metric: gwmMetric('reconcilerRepairs', { period: reconcilerPeriod }),
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
        left: gwmMetric('reconcilerLeft', { period: reconcilerPeriod }),
        unreconciled: gwmMetric('reconcilerErrors', { period: reconcilerPeriod }),
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
        'or table error for each. A backlog larger than RECONCILE_MAX_LAUNCHES per run drains faster ' +
        'with a higher limit or a shorter schedule.',
    });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(24) });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph('Launches', 12, [
        gwmMetric('launchesRegistered', { label: 'registered' }),
        gwmMetric('runsStarted', { label: 'runs started' }),
        gwmMetric('runsCompleted', { label: 'runs completed' }),
        gwmMetric('runsFailed', { label: 'runs failed' }),
        gwmMetric('launchFailed', { label: 'StartRun refused' }),
        gwmMetric('retriesStarted', { label: 'retries started' }),
        gwmMetric('retriesRefused', { label: 'retries refused' }),
      ]),
      new GraphWidget({
        title: `Failure rate (per ${FAILURE_RATE_PERIOD.toHumanString()})`,
        width: 12,
        left: [failureRate],
        leftYAxis: { min: 0, max: 1, showUnits: false },
        leftAnnotations: [{ value: threshold, label: 'alarm' }],
      }),
    );
    this.dashboard.addWidgets(
      graph('Console edits', 24, [
        gwmMetric('editsRefused', { label: 'edits put back' }),
        gwmMetric('cancelsApplied', { label: 'cancels carried out' }),
        gwmMetric('cancelsRefused', { label: 'cancels refused' }),
        gwmMetric('itemsUnreadable', { label: 'unreadable items skipped' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('StartRun', 8, [
        gwmMetric('startRunThrottled', { label: 'throttled' }),
        gwmMetric('launchesDeferred', { label: 'deferred (queued again)' }),
      ]),
      graph('Run status events', 8, [
        gwmMetric('statusApplied', { label: 'applied' }),
        gwmMetric('statusIgnored', { label: 'ignored' }),
        gwmMetric('eventsNotOurs', { label: 'not ours' }),
      ]),
      graph('Status latency (event time to applied)', 8, [
        gwmMetric('statusLatency', { statistic: Stats.p(50), label: 'p50' }),
        gwmMetric('statusLatency', { statistic: Stats.p(99), label: 'p99' }),
        gwmMetric('statusLatency', { statistic: Stats.MAXIMUM, label: 'max' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Reconciler', 12, [
        gwmMetric('reconcilerChecked', { label: 'stale launches checked' }),
        gwmMetric('reconcilerRepairs', { label: 'repairs' }),
        gwmMetric('reconcilerLeft', { label: 'left for the next run' }),
        gwmMetric('reconcilerErrors', { label: 'not reconciled' }),
        gwmMetric('notificationsResent', { label: 'batch notifications sent again' }),
        gwmMetric('batchesRecounted', { label: 'batches recounted' }),
        gwmMetric('registrationsResumed', { label: 'registrations resumed' }),
      ]),
      graph('Manifests and batches', 12, [
        gwmMetric('manifestsAccepted', { label: 'manifests accepted' }),
        gwmMetric('manifestsRejected', { label: 'manifests rejected' }),
        gwmMetric('manifestsDuplicate', { label: 'manifests already handled' }),
        gwmMetric('outcomesCounted', { label: 'outcomes counted' }),
        gwmMetric('batchesCompleted', { label: 'batches completed' }),
        gwmMetric('batchesReopened', { label: 'batches reopened' }),
        gwmMetric('qcStarted', { label: 'QC started' }),
        gwmMetric('qcSkipped', { label: 'QC skipped' }),
        gwmMetric('notificationsSent', { label: 'notifications sent' }),
      ]),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Cost per workflow per day (USD)',
        width: 12,
        period: COST_PERIOD,
        left: [
          new MathExpression({
            // One line per workflow id that has been priced: RunCostUsd carries it as a dimension.
            expression:
              `SEARCH('{${METRIC_NAMESPACE},${SERVICE_DIMENSION},${COST_DIMENSIONS.workflow}} ` +
              `MetricName="${METRICS.runCostUsd}"', 'Sum', ${COST_PERIOD.toSeconds()})`,
            usingMetrics: {},
            period: COST_PERIOD,
            label: '',
          }),
          gwmMetric('runCostUsd', { period: COST_PERIOD, label: 'all workflows' }),
        ],
      }),
      graph('Cost collection', 12, [
        gwmMetric('runsPriced', { label: 'run attempts priced' }),
        gwmMetric('runsNotPriced', { label: 'not priced (no run, or removed)' }),
        gwmMetric('costCollectionErrors', { label: 'collection errors (retried)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Archived inputs being restored', 24, [
        gwmMetric('restoresRequested', { label: 'restores asked of S3' }),
        gwmMetric('restoresCompleted', { label: 'restored' }),
        gwmMetric('restoresFailed', { label: 'could not be restored (launches failed)' }),
      ]),
    );
    const functions = Object.entries(props.functions) as Array<[ServiceKey, IFunction]>;
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        8,
        functions.map(([name, fn]) => fn.metricErrors({ label: name, period: GRAPH_PERIOD })),
      ),
      graph(
        'Lambda duration (p99)',
        8,
        functions.map(([name, fn]) =>
          fn.metricDuration({ label: name, statistic: Stats.p(99), period: GRAPH_PERIOD }),
        ),
      ),
      graph(
        'Lambda throttles',
        8,
        functions.map(([name, fn]) => fn.metricThrottles({ label: name, period: GRAPH_PERIOD })),
      ),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Stream iterator age (max)',
        width: 12,
        left: props.streamConsumers.map(({ name, fn }) => iteratorAge(fn).with({ label: name })),
        leftAnnotations: [{ value: ITERATOR_AGE_LIMIT.toMilliseconds(), label: 'alarm' }],
      }),
      graph(
        'Dead-letter queue depth',
        12,
        Object.entries(props.deadLetterQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            label: name,
            statistic: Stats.MAXIMUM,
            period: GRAPH_PERIOD,
          }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Recent failures and their reasons',
        logGroupNames: props.logGroups.map((group) => group.logGroupName),
        view: LogQueryVisualizationType.TABLE,
        width: 24,
        height: 8,
        queryLines: RECENT_FAILURES_QUERY,
      }),
    );

    const region = Stack.of(this).region;
    this.dashboardUrl =
      `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
      `#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  private alarm(
    id: string,
    options: { metric: IMetric; threshold: number; evaluationPeriods: number; description: string },
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods,
      datapointsToAlarm: options.evaluationPeriods,
      // No data means nothing happened: no failed work, no stream traffic, no finished launches.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    alarm.addAlarmAction(this.notify);
    alarm.addOkAction(this.notify);
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * Powertools logs are JSON: failures are the WARN and ERROR lines (refusals, deferrals, rejected
 * manifests, launches not reconciled, errors with their `error.message`), the status changes to a
 * failed state (with the run's `failureReason` and `statusMessage`), and the runtime's own errors
 * (an unhandled exception, a timeout).
 */
const RECENT_FAILURES_QUERY = [
  'filter level in ["ERROR", "WARN"] or to in ["FAILED", "CANCELLED", "DELETED", "LAUNCH_FAILED"]' +
    ' or ispresent(errorMessage) or @message like /Task timed out/',
  'fields @timestamp, service, message, to,' +
    ' coalesce(failureReason, statusMessage, reason, error.message, errorMessage, note, @message) as why,' +
    ' batchId, launchId, runId',
  'sort @timestamp desc',
  'limit 100',
];

/**
 * One gwm metric as one series: the function that sends it, or the sum over every function that
 * does (missing points count as zero, so one quiet function does not blank the sum).
 */
export function gwmMetric(
  key: MetricKey,
  options: { label?: string; statistic?: string; period?: Duration } = {},
): IMetric {
  const statistic = options.statistic ?? Stats.SUM;
  const period = options.period ?? GRAPH_PERIOD;
  const metricOf = (service: ServiceKey, label: string | undefined) =>
    new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS[key],
      dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAMES[service] },
      statistic,
      period,
      label,
    });
  const [only, ...others] = METRIC_EMITTERS[key];
  if (only && others.length === 0) return metricOf(only, options.label);
  if (statistic !== Stats.SUM) {
    // A percentile or maximum of two functions' series is not the sum of theirs.
    throw new ConfigError(`${METRICS[key]} is sent by several functions: only its Sum can be combined`);
  }
  const label = options.label ?? METRICS[key];
  const series = METRIC_EMITTERS[key].map((service) => ({
    id: `${key}_${service}`,
    metric: metricOf(service, `${label} (${service})`),
  }));
  return new MathExpression({
    expression: series.map(({ id }) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(series.map(({ id, metric }) => [id, metric])),
    period,
    label,
  });
}

/**
 * Failed launch attempts (the run FAILED, or StartRun refused it) over all that finished. When
 * nothing finished the division has no value: missing data, never an alarm.
 */
function failureRateExpression(): MathExpression {
  const period = FAILURE_RATE_PERIOD;
  const failed = new MathExpression({
    expression: 'FILL(runsFailed, 0) + FILL(startRunRefused, 0)',
    usingMetrics: {
      runsFailed: gwmMetric('runsFailed', { period }),
      startRunRefused: gwmMetric('launchFailed', { period }),
    },
    period,
  });
  return new MathExpression({
    expression: 'failed / (failed + FILL(completed, 0))',
    usingMetrics: { failed, completed: gwmMetric('runsCompleted', { period }) },
    period,
    label: 'failed / finished',
  });
}

function iteratorAge(fn: IFunction): Metric {
  return fn.metric('IteratorAge', { statistic: Stats.MAXIMUM, period: GRAPH_PERIOD });
}

function graph(title: string, width: number, metrics: IMetric[]): IWidget {
  return new GraphWidget({ title, width, left: metrics });
}
