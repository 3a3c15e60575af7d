import type { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  GraphWidget,
  GraphWidgetView,
  type HorizontalAnnotation,
  type IAlarm,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  SingleValueWidget,
  Stats,
  TableWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { METRIC_NAMESPACE, METRICS } from '../../domain/metrics.js';
import { SERVICE_DIMENSION, type ServiceKey, STACK_DIMENSION } from '../../functions/service-names.js';
import type { AwsSeries, DashboardWidget, GwmSeries, Statistic, WidgetSeries } from '../dashboard-widgets.js';
import { gwmMetric, iteratorAge } from './gwm-metrics.js';

/** What the widgets of the shared list read in a deployed stack. */
export interface DashboardResources {
  stack: string;
  functions: Record<ServiceKey, IFunction>;
  streamConsumers: Array<{ name: string; fn: IFunction }>;
  deadLetterQueues: Record<string, IQueue>;
  table: ITableV2;
  /** The topics gwm publishes to (notices for the lab, alarms for operators), by name. */
  topics: Record<string, ITopic>;
  alarms: IAlarm[];
  logGroups: ILogGroup[];
  /** The launcher's reserved concurrency. */
  launcherConcurrency: number;
  failureRate: { metric: IMetric; threshold: number };
  iteratorAgeLimit: Duration;
  graphPeriod: Duration;
  costPeriod: Duration;
}

/** The CloudWatch widgets of the shared list, in rows of at most 24 columns. */
export function dashboardRows(
  widgets: readonly DashboardWidget[],
  resources: DashboardResources,
): IWidget[][] {
  const rows: IWidget[][] = [];
  let row: IWidget[] = [];
  let used = 0;
  for (const widget of widgets) {
    if (used + widget.width > 24) {
      rows.push(row);
      row = [];
      used = 0;
    }
    row.push(cloudWatchWidget(widget, resources));
    used += widget.width;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function cloudWatchWidget(widget: DashboardWidget, resources: DashboardResources): IWidget {
  const { title, width } = widget;
  switch (widget.kind) {
    case 'alarms':
      return new AlarmStatusWidget({ title, alarms: resources.alarms, width, height: 3 });
    case 'log-table':
      return new LogQueryWidget({
        title,
        logGroupNames: resources.logGroups.map((group) => group.logGroupName),
        view: LogQueryVisualizationType.TABLE,
        width,
        height: 8,
        queryLines: RECENT_FAILURES_QUERY,
      });
    case 'number':
      return new SingleValueWidget({ title, width, metrics: metricsOf(widget, resources) });
    case 'table':
      return new TableWidget({ title, width, metrics: metricsOf(widget, resources) });
    case 'line':
    case 'bar': {
      const annotations = annotationOf(widget, resources);
      return new GraphWidget({
        title,
        width,
        left: metricsOf(widget, resources),
        ...(widget.kind === 'bar' && { view: GraphWidgetView.BAR }),
        ...(annotations && { leftAnnotations: annotations }),
        ...(widget.series[0]?.source === 'failure rate' && {
          leftYAxis: { min: 0, max: 1, showUnits: false },
        }),
        ...(widget.period === 'day' && { period: resources.costPeriod }),
      });
    }
  }
}

function metricsOf(widget: DashboardWidget, resources: DashboardResources): IMetric[] {
  const period = widget.period === 'day' ? resources.costPeriod : resources.graphPeriod;
  return widget.series.flatMap((series) => metricsOfSeries(series, resources, period));
}

function metricsOfSeries(series: WidgetSeries, resources: DashboardResources, period: Duration): IMetric[] {
  switch (series.source) {
    case 'failure rate':
      return [resources.failureRate.metric];
    case 'gwm':
      return [gwmSeries(series, resources.stack, period)];
    case 'aws':
      return awsSeries(series, resources, period);
  }
}

function statistic(stat: Statistic | undefined): string {
  if (stat === 'p50') return Stats.p(50);
  if (stat === 'p99') return Stats.p(99);
  return stat ?? Stats.SUM;
}

/** One line, or with `by` one line per value of that dimension (found by SEARCH among this stack's series). */
function gwmSeries(series: GwmSeries, stack: string, period: Duration): IMetric {
  const stat = statistic(series.stat);
  if (series.by === undefined)
    return gwmMetric(series.key, { stack, period, label: series.label, statistic: stat });
  return new MathExpression({
    expression:
      `SEARCH('{${METRIC_NAMESPACE},${SERVICE_DIMENSION},${STACK_DIMENSION},${series.by}} ` +
      `MetricName="${METRICS[series.key]}" ${STACK_DIMENSION}="${stack}"', '${stat}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    // Empty: each line is named by its dimension's value.
    label: '',
  });
}

function awsSeries(series: AwsSeries, resources: DashboardResources, period: Duration): IMetric[] {
  const options = { statistic: statistic(series.stat), period };
  const labelled = (label: string) => ({ ...options, label: series.label ?? label });
  switch (series.of) {
    case 'functions':
      return (Object.entries(resources.functions) as Array<[ServiceKey, IFunction]>).map(([name, fn]) =>
        fn.metric(series.metricName, { ...options, label: name }),
      );
    case 'launcher':
      return [resources.functions.launcher.metric(series.metricName, labelled('launcher'))];
    case 'stream consumers':
      return resources.streamConsumers.map(({ name, fn }) =>
        series.metricName === 'IteratorAge'
          ? iteratorAge(fn, period).with({ label: name })
          : fn.metric(series.metricName, { ...options, label: name }),
      );
    case 'table':
      // ThrottledRequests is kept per operation: the sum over every operation gwm uses.
      return [
        series.metricName === 'ThrottledRequests'
          ? resources.table.metricThrottledRequestsForOperations(labelled('table'))
          : resources.table.metric(series.metricName, labelled('table')),
      ];
    case 'topics':
      return Object.entries(resources.topics).map(([name, topic]) =>
        topic.metric(series.metricName, { ...options, label: name }),
      );
    case 'failure queues':
      return Object.entries(resources.deadLetterQueues).map(([name, queue]) =>
        queue.metric(series.metricName, { ...options, label: name }),
      );
  }
}

function annotationOf(
  widget: DashboardWidget,
  resources: DashboardResources,
): HorizontalAnnotation[] | undefined {
  switch (widget.annotation) {
    case 'failure rate threshold':
      return [{ value: resources.failureRate.threshold, label: 'alarm' }];
    case 'iterator age limit':
      return [{ value: resources.iteratorAgeLimit.toMilliseconds(), label: 'alarm' }];
    case 'launcher reserved concurrency':
      return [{ value: resources.launcherConcurrency, label: 'reserved concurrency' }];
    case undefined:
      return undefined;
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
