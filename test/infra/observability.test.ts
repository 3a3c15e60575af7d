import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../domain/errors.js';
import { METRIC_NAMESPACE, METRICS, type MetricKey } from '../../domain/metrics.js';
import { TABLE } from '../../functions/adapters/table.js';
import {
  METRIC_EMITTERS,
  SERVICE_DIMENSION,
  SERVICE_NAMES,
  type ServiceKey,
  STACK_DIMENSION,
} from '../../functions/service-names.js';
import { Observability, type ObservabilityProps } from '../../infra/constructs/observability.js';
import { DASHBOARD_WIDGETS } from '../../infra/dashboard-widgets.js';

const FUNCTION_KEYS = Object.keys(SERVICE_NAMES) as ServiceKey[];
const CONSUMERS = ['launcher', 'aggregator'] as const satisfies readonly ServiceKey[];
const QUEUES = ['launcher-failures', 'completion-failures', 'status-rule-dlq', 'intake-failures'];

/** The dimensions of the reconciler's own metrics in the test stack. */
const RECONCILER_DIMENSIONS = [
  { Name: SERVICE_DIMENSION, Value: SERVICE_NAMES.reconciler },
  { Name: STACK_DIMENSION, Value: 'Test' },
];
/** An alarm that fires on anything above zero, in 3 periods in a row. */
const ABOVE_ZERO_3_PERIODS_IN_A_ROW = {
  Threshold: 0,
  ComparisonOperator: 'GreaterThanThreshold',
  EvaluationPeriods: 3,
  DatapointsToAlarm: 3,
};

/** A stack of real stand-ins (inline functions, their log groups, queues, a topic) around the construct. */
function build(
  overrides: Partial<Pick<ObservabilityProps, 'failureRateThreshold' | 'reconcilerSchedule'>> = {},
) {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const standIns: IConstruct[] = [];
  const logGroups: LogGroup[] = [];
  const functions = {} as Record<ServiceKey, LambdaFunction>;
  for (const key of FUNCTION_KEYS) {
    const logGroup = new LogGroup(stack, `${key}-logs`);
    logGroups.push(logGroup);
    functions[key] = new LambdaFunction(stack, key, {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => ({});'),
      logGroup,
    });
    standIns.push(functions[key]);
  }
  const queues = Object.fromEntries(
    QUEUES.map((name) => [name, new Queue(stack, name, { enforceSSL: true })]),
  );
  standIns.push(...Object.values(queues));
  const topic = new Topic(stack, 'alarms', { enforceSSL: true });
  const notices = new Topic(stack, 'notices', { enforceSSL: true });
  const table = new TableV2(stack, 'table', {
    tableName: 'gwm-test-table',
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  standIns.push(notices, table);
  const observability = new Observability(stack, 'Observability', {
    functions,
    // The launcher's stream is the launch queue.
    streamConsumers: CONSUMERS.map((name) => ({
      name,
      fn: functions[name],
      launchQueue: name === 'launcher',
    })),
    deadLetterQueues: queues,
    alarmTopic: topic,
    notificationTopic: notices,
    table,
    launcherConcurrency: 3,
    logGroups,
    reconcilerSchedule: { everyMinutes: 5 },
    ...overrides,
  });
  const template = Template.fromStack(stack);
  const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return {
    app,
    stack,
    functions,
    queues,
    topic,
    notices,
    table,
    logGroups,
    observability,
    template,
    id,
    standIns,
  };
}

/** The dashboard body with each CloudFormation reference written as `ref:<logical id>`. */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const join = dashboard?.Properties.DashboardBody['Fn::Join'];
  expect(join?.[0]).toBe('');
  const text = (join[1] as unknown[])
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `ref:${ref}`;
      const [logicalId, attribute] = (part as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      return `getatt:${logicalId}.${attribute}`;
    })
    .join('');
  return JSON.parse(text);
}

interface Widget {
  type: string;
  properties: {
    title?: string;
    metrics?: unknown[][];
    query?: string;
    alarms?: string[];
    annotations?: { horizontal?: Array<{ value: number; label?: string }> };
    view?: string;
  };
}

interface Series {
  widget: string;
  namespace?: string;
  name?: string;
  dimensions: Record<string, string>;
  options: { id?: string; stat?: string; visible?: boolean; expression?: string; label?: string };
}

/** Every line of every graph: a metric (namespace, name, dimension pairs, options) or an expression. */
function seriesOf(body: { widgets: Widget[] }): Series[] {
  return body.widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).map((line) => {
      const strings = line.filter((part): part is string => typeof part === 'string');
      const options = (line.find((part) => typeof part === 'object') ?? {}) as Series['options'];
      const [namespace, name, ...pairs] = strings;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
      return { widget: widget.properties.title ?? '', namespace, name, dimensions, options };
    }),
  );
}

function gwmSeries(series: Series[], key: MetricKey, service: ServiceKey, widget?: string) {
  return series.filter(
    (line) =>
      line.namespace === METRIC_NAMESPACE &&
      line.name === METRICS[key] &&
      line.dimensions[SERVICE_DIMENSION] === SERVICE_NAMES[service] &&
      // The stack's own series only (the construct's stack is named Test)
      line.dimensions[STACK_DIMENSION] === 'Test' &&
      (widget === undefined || line.widget === widget),
  );
}

type AlarmProperties = Record<string, unknown> & { Metrics?: Array<Record<string, unknown>> };

function alarms(template: Template): AlarmProperties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties as AlarmProperties,
  );
}

/** The gwm metrics an alarm reads (one metric, or those of its metric math), as `<name>@<service>`. */
function metricsRead(alarm: AlarmProperties): string[] {
  const metrics = alarm.Metrics
    ? alarm.Metrics.flatMap((query) => {
        const metric = (query.MetricStat as { Metric?: Record<string, unknown> } | undefined)?.Metric;
        return metric ? [metric] : [];
      })
    : [alarm];
  return metrics
    .flatMap((metric) => {
      if (metric.Namespace !== METRIC_NAMESPACE) return [];
      const [dimension] = metric.Dimensions as Array<{ Name: string; Value: string }>;
      expect(dimension?.Name).toBe(SERVICE_DIMENSION);
      return [`${metric.MetricName}@${dimension?.Value}`];
    })
    .sort();
}

function emitted(...keys: MetricKey[]): string[] {
  return keys.flatMap((key) => METRIC_EMITTERS[key].map((s) => `${METRICS[key]}@${SERVICE_NAMES[s]}`)).sort();
}

function gwmAlarm(template: Template, ...keys: MetricKey[]): AlarmProperties {
  const matches = alarms(template).filter(
    (alarm) => JSON.stringify(metricsRead(alarm)) === JSON.stringify(emitted(...keys)),
  );
  expect(matches).toHaveLength(1);
  return matches[0] as AlarmProperties;
}

describe('the dashboard', () => {
  const built = build();
  const { template, functions, queues, logGroups, id } = built;
  const body = dashboardBody(template);
  const series = seriesOf(body);

  it('graphs every gwm metric under the service dimension of each function that sends it', () => {
    const searched = (key: MetricKey) =>
      series.some((line) => line.options.expression?.includes(`MetricName="${METRICS[key]}"`));
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      // A metric kept per status is found by SEARCH, whichever function sends it.
      if (searched(key)) continue;
      for (const service of METRIC_EMITTERS[key]) {
        expect(gwmSeries(series, key, service).length, `${METRICS[key]} from ${service}`).toBeGreaterThan(0);
      }
    }
  });

  it('holds every widget of the shared list, in its order', () => {
    expect(body.widgets.map((widget) => widget.properties.title)).toEqual(
      DASHBOARD_WIDGETS.map((widget) => widget.title),
    );
  });

  it("shows the launches waiting by status with the oldest's age, and each batch's completion time", () => {
    const waiting = body.widgets.find((widget) => widget.properties.title?.startsWith('Launches waiting'));
    expect(waiting?.properties.view).toBe('bar');
    const searches = seriesOf({ widgets: waiting ? [waiting] : [] }).map((line) => line.options.expression);
    expect(searches).toEqual([
      `SEARCH('{gwm,service,stack,status} MetricName="LaunchesWaiting" stack="Test"', 'Maximum', 300)`,
      `SEARCH('{gwm,service,stack,status} MetricName="OldestWaitingAgeSeconds" stack="Test"', 'Maximum', 300)`,
    ]);
    const completionTime = body.widgets.find((widget) =>
      widget.properties.title?.startsWith('Batch completion'),
    );
    const durations = gwmSeries(series, 'batchDuration', 'aggregator', completionTime?.properties.title);
    // Average is the widget's default statistic: not written out.
    expect(durations.map((line) => line.options.stat)).toEqual(['Maximum', undefined, 'SampleCount']);
  });

  it("shows the launcher's concurrency against its reserved limit, the table's throttles and failed SNS deliveries", () => {
    const { functions: fns, notices, topic, table } = built;
    const concurrency = body.widgets.find((widget) =>
      widget.properties.title?.startsWith('Launcher concurrency'),
    );
    expect(concurrency?.properties.annotations?.horizontal?.[0]).toMatchObject({ value: 3 });
    const running = series.filter((line) => line.widget === concurrency?.properties.title);
    expect(
      running.map((line) => [line.namespace, line.name, line.dimensions.FunctionName, line.options.stat]),
    ).toEqual([['AWS/Lambda', 'ConcurrentExecutions', `ref:${id(fns.launcher)}`, 'Maximum']]);
    const throttled = series.filter((line) => line.widget === 'DynamoDB throttles' && line.name);
    expect(throttled.length).toBeGreaterThan(3);
    for (const line of throttled) {
      expect([line.namespace, line.name, line.dimensions.TableName]).toEqual([
        'AWS/DynamoDB',
        'ThrottledRequests',
        `ref:${id(table)}`,
      ]);
    }
    expect(new Set(throttled.map((line) => line.dimensions.Operation))).toContain('UpdateItem');
    const failed = series.filter((line) => line.widget === 'Notification delivery failures (SNS)');
    expect(
      failed.map((line) => [line.namespace, line.name, line.dimensions.TopicName, line.options.stat]),
    ).toEqual([
      ['AWS/SNS', 'NumberOfNotificationsFailed', `getatt:${id(notices)}.TopicName`, 'Sum'],
      ['AWS/SNS', 'NumberOfNotificationsFailed', `getatt:${id(topic)}.TopicName`, 'Sum'],
    ]);
  });

  it('shows what the issue lists in its own graphs', () => {
    const wanted: Record<string, MetricKey[]> = {
      Launches: ['launchesRegistered', 'runsStarted', 'runsCompleted', 'runsFailed', 'launchFailed'],
      'StartRun throttles and pacing': ['runsStarted', 'startRunThrottled', 'launchesDeferred'],
      'Reconciler backlog': ['reconcilerChecked', 'reconcilerLeft', 'reconcilerErrors'],
      'Run status events': ['statusApplied', 'statusIgnored'],
      Reconciler: [
        'reconcilerRepairs',
        'reconcilerRequeued',
        'reconcilerLeft',
        'reconcilerErrors',
        'notificationsResent',
      ],
      'Manifests and batches': ['batchesCompleted'],
      'Status latency (event time to applied, ms)': ['statusLatency'],
    };
    for (const [widget, keys] of Object.entries(wanted)) {
      for (const key of keys) {
        for (const service of METRIC_EMITTERS[key]) {
          expect(
            gwmSeries(series, key, service, widget).length,
            `${METRICS[key]} in ${widget}`,
          ).toBeGreaterThan(0);
        }
      }
    }
    const latency = gwmSeries(series, 'statusLatency', 'tracker').map((line) => line.options.stat);
    expect(latency).toEqual(['p50', 'p99', 'Maximum']);
  });

  it('adds up a metric sent by several functions into one line, missing points as zero', () => {
    for (const key of ['runsCompleted', 'runsFailed', 'notificationsSent'] as const) {
      expect(METRIC_EMITTERS[key].length).toBeGreaterThan(1);
      const parts = METRIC_EMITTERS[key].map((service) => {
        const [part] = gwmSeries(series, key, service);
        expect(part?.options.visible).toBe(false);
        return part?.options.id;
      });
      const sum = series.find(
        (line) =>
          line.options.expression === parts.map((partId) => `FILL(${partId}, 0)`).join(' + ') &&
          line.options.visible !== false,
      );
      expect(sum, METRICS[key]).toBeDefined();
    }
  });

  it('graphs errors, duration and throttles of every function', () => {
    for (const [metric, widget, stat] of [
      ['Errors', 'Lambda errors', 'Sum'],
      ['Duration', 'Lambda duration (p99)', 'p99'],
      ['Throttles', 'Lambda throttles', 'Sum'],
    ] as const) {
      const lines = series.filter((line) => line.widget === widget);
      expect(lines.map((line) => line.dimensions.FunctionName).sort()).toEqual(
        FUNCTION_KEYS.map((key) => `ref:${id(functions[key])}`).sort(),
      );
      for (const line of lines) {
        expect([line.namespace, line.name, line.options.stat]).toEqual(['AWS/Lambda', metric, stat]);
      }
    }
  });

  it("graphs each stream consumer's iterator age and each dead-letter queue's depth", () => {
    const ages = series.filter((line) => line.widget === 'Stream iterator age (max)');
    expect(ages.map((line) => [line.name, line.dimensions.FunctionName, line.options.stat])).toEqual(
      CONSUMERS.map((name) => ['IteratorAge', `ref:${id(functions[name])}`, 'Maximum']),
    );
    const depths = series.filter((line) => line.widget === 'Dead-letter queue depth');
    expect(depths.map((line) => [line.name, line.dimensions.QueueName, line.options.label])).toEqual(
      QUEUES.map((name) => [
        'ApproximateNumberOfMessagesVisible',
        `getatt:${id(queues[name] as Queue)}.QueueName`,
        name,
      ]),
    );
  });

  it('lists recent failures with their reasons from every function log group', () => {
    const logWidgets = body.widgets.filter((widget) => widget.type === 'log');
    expect(logWidgets).toHaveLength(1);
    const query = logWidgets[0]?.properties.query ?? '';
    for (const group of logGroups) expect(query).toContain(`SOURCE 'ref:${id(group)}'`);
    expect(query).toContain('filter level in ["ERROR", "WARN"]');
    expect(query).toContain('to in ["FAILED", "CANCELLED", "DELETED", "LAUNCH_FAILED"]');
    expect(query).toMatch(/coalesce\(failureReason, statusMessage, reason, error\.message, .*\) as why/);
    expect(query).toContain('sort @timestamp desc');
  });

  it("finds each workflow's cost among this stack's series only", () => {
    const searches = series.filter((line) => line.options.expression?.startsWith('SEARCH('));
    for (const search of searches) expect(search.options.expression).toContain(`${STACK_DIMENSION}="Test"`);
    const costs = searches.filter((line) => line.widget === 'Cost per workflow per day (USD)');
    expect(costs).toHaveLength(1);
    expect(costs[0]?.options.expression).toContain(
      `{${METRIC_NAMESPACE},${SERVICE_DIMENSION},${STACK_DIMENSION},workflow}`,
    );
    expect(costs[0]?.options.expression).toContain(`MetricName="RunCostUsd"`);
  });

  it("shows every alarm's state and the failure-rate threshold", () => {
    const [status] = body.widgets.filter((widget) => widget.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(alarms(template).length);
    const rate = body.widgets.find((widget) => widget.properties.title?.startsWith('Failure rate'));
    expect(rate?.properties.annotations?.horizontal?.[0]?.value).toBe(0.2);
  });
});

describe('the alarms', () => {
  const built = build();
  const { template, functions, queues, topic, observability, id, table } = built;
  const topicRef = { Ref: id(topic) };

  it('tell the alarm topic when they fire and when they clear, and say what to do', () => {
    const all = alarms(template);
    // Each failure queue, the age of each stream consumer but the launch queue's, launches overdue,
    // table throttles (reads, writes), failure rate, repairs, stuck launches, the reconciler's
    // heartbeat, and Errors and Throttles of each function
    expect(all).toHaveLength(QUEUES.length + (CONSUMERS.length - 1) + 1 + 2 + 4 + 2 * FUNCTION_KEYS.length);
    expect(observability.alarms).toHaveLength(all.length);
    for (const alarm of all) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
      expect(String(alarm.AlarmDescription).length).toBeGreaterThan(100);
      // Only the heartbeat counts silence as trouble
      expect(alarm.TreatMissingData).toBe(
        alarm.MetricName === METRICS.reconcilerLeft ? 'breaching' : 'notBreaching',
      );
    }
  });

  it("read gwm's metrics of this stack only: every one carries the stack's name", () => {
    const gwmMetrics = alarms(template).flatMap((alarm) =>
      (alarm.Metrics
        ? alarm.Metrics.flatMap((query) => {
            const metric = (query.MetricStat as { Metric?: Record<string, unknown> } | undefined)?.Metric;
            return metric ? [metric] : [];
          })
        : [alarm]
      ).filter((metric) => metric.Namespace === METRIC_NAMESPACE),
    );
    expect(gwmMetrics.length).toBeGreaterThan(5);
    for (const metric of gwmMetrics)
      expect(metric.Dimensions).toContainEqual({ Name: STACK_DIMENSION, Value: 'Test' });
  });

  it('fire when any function fails or is throttled, each on its own alarm', () => {
    for (const key of FUNCTION_KEYS) {
      for (const metricName of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(functions[key]) } }],
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          AlarmDescription: Match.stringLikeRegexp(SERVICE_NAMES[key]),
        });
      }
    }
  });

  it('fire when the reconciler has not reported for 3 of its periods (no data is breaching)', () => {
    const [heartbeat] = alarms(template).filter(
      (alarm) => alarm.MetricName === METRICS.reconcilerLeft && alarm.Statistic === 'SampleCount',
    );
    expect(heartbeat).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: RECONCILER_DIMENSIONS,
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  it('roll up into one composite "gwm healthy" alarm over every alarm, told to the alarm topic', () => {
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composites).toHaveLength(1);
    const composite = composites[0]?.Properties as Record<string, unknown>;
    expect(composite.AlarmActions).toEqual([topicRef]);
    expect(composite.OKActions).toEqual([topicRef]);
    const rule = JSON.stringify(built.stack.resolve(composite.AlarmRule));
    for (const alarm of observability.alarms) {
      const logicalId = built.stack.getLogicalId(alarm.node.defaultChild as CfnElement);
      expect(rule).toContain(logicalId);
    }
    expect(rule.match(/ALARM\(/g)).toHaveLength(observability.alarms.length);
  });

  it('fire on any message in each dead-letter queue', () => {
    for (const name of QUEUES) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [id(queues[name] as Queue), 'QueueName'] } },
        ],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        EvaluationPeriods: 1,
        AlarmDescription: Match.stringLikeRegexp(name),
      });
    }
  });

  it("fire when a stream consumer reads records older than 5 minutes, but not on the launch queue's", () => {
    const ages = alarms(template).filter((alarm) => alarm.MetricName === 'IteratorAge');
    // The launcher's records wait for their turn at the StartRun pace: LaunchesOverdue watches it.
    expect(ages.map((alarm) => alarm.Dimensions)).toEqual([
      [{ Name: 'FunctionName', Value: { Ref: id(functions.aggregator) } }],
    ]);
    for (const alarm of ages) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 300_000,
      });
    }
  });

  it('fire when the share of failed launch attempts over an hour passes the threshold', () => {
    const alarm = gwmAlarm(template, 'runsFailed', 'launchFailed', 'runsCompleted');
    expect(alarm).toMatchObject({
      Threshold: 0.2,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const returned = alarm.Metrics?.filter((query) => query.ReturnData !== false);
    expect(returned?.map((query) => query.Expression)).toEqual(['failed / (failed + FILL(completed, 0))']);
    const failed = alarm.Metrics?.find((query) => query.Id === 'failed');
    expect(failed?.Expression).toBe('FILL(runsFailed, 0) + FILL(startRunRefused, 0)');
    const periods = alarm.Metrics?.flatMap((query) =>
      query.MetricStat ? [(query.MetricStat as { Period: number }).Period] : [],
    );
    expect(new Set(periods)).toEqual(new Set([3600]));

    const custom = build({ failureRateThreshold: 0.35 });
    expect(gwmAlarm(custom.template, 'runsFailed', 'launchFailed', 'runsCompleted').Threshold).toBe(0.35);
  });

  it('fire when the oldest startable launch is overdue in 2 reconciler runs in a row', () => {
    const alarm = gwmAlarm(template, 'launchesOverdue');
    expect(alarm).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: 'LaunchesOverdueSeconds',
      Dimensions: RECONCILER_DIMENSIONS,
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(String(alarm.AlarmDescription)).toContain('STARTRUN_RATE_PER_SECOND');
  });

  it('fire on DynamoDB throttling of the table or any index, reads and writes, in 3 periods in a row', () => {
    for (const metricName of ['ReadThrottleEvents', 'WriteThrottleEvents']) {
      const [alarm] = alarms(template).filter((candidate) =>
        candidate.Metrics?.some(
          (query) =>
            (query.MetricStat as { Metric?: { MetricName?: string } } | undefined)?.Metric?.MetricName ===
            metricName,
        ),
      );
      expect(alarm).toMatchObject(ABOVE_ZERO_3_PERIODS_IN_A_ROW);
      const read = (alarm?.Metrics ?? []).flatMap((query) => {
        const stat = query.MetricStat as
          | {
              Metric: { Namespace: string; Dimensions: Array<{ Name: string; Value: string }> };
              Stat: string;
            }
          | undefined;
        if (!stat) return [];
        expect(stat.Metric.Namespace).toBe('AWS/DynamoDB');
        expect(stat.Stat).toBe('Sum');
        const dimensions = Object.fromEntries(stat.Metric.Dimensions.map(({ Name, Value }) => [Name, Value]));
        expect(dimensions.TableName).toEqual({ Ref: id(table) });
        return [dimensions.GlobalSecondaryIndexName ?? '(table)'];
      });
      expect(read.sort()).toEqual(['(table)', ...TABLE.globalIndexes.map((index) => index.indexName)].sort());
      const [sum] = (alarm?.Metrics ?? []).filter((query) => query.ReturnData !== false);
      expect(String(sum?.Expression).split(' + ')).toHaveLength(read.length);
    }
  });

  it('fire when the reconciler repairs launches in 3 schedule periods in a row', () => {
    const alarm = gwmAlarm(template, 'reconcilerRepairs');
    expect(alarm).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: METRICS.reconcilerRepairs,
      Dimensions: RECONCILER_DIMENSIONS,
      Statistic: 'Sum',
      Period: 300,
      ...ABOVE_ZERO_3_PERIODS_IN_A_ROW,
    });
    const hourly = build({ reconcilerSchedule: { everyMinutes: 15 } });
    expect(gwmAlarm(hourly.template, 'reconcilerRepairs').Period).toBe(900);
  });

  it('fire when stale launches are left or not reconciled in 3 reconciler runs in a row', () => {
    const alarm = gwmAlarm(template, 'reconcilerLeft', 'reconcilerErrors');
    expect(alarm).toMatchObject(ABOVE_ZERO_3_PERIODS_IN_A_ROW);
    const periods = alarm.Metrics?.flatMap((query) =>
      query.MetricStat ? [(query.MetricStat as { Period: number }).Period] : [],
    );
    // The launches left, and what the reconciler and the three sweeps could not reconcile
    expect(periods).toEqual([300, 300, 300, 300, 300]);
    expect(String(alarm.AlarmDescription)).toContain('RECONCILE_AFTER_MINUTES_');
  });

  it('refuse a failure-rate threshold outside (0, 1) and a schedule they cannot watch', () => {
    expect(() => build({ failureRateThreshold: 1.5 })).toThrow(ConfigError);
    expect(() => build({ failureRateThreshold: 0 })).toThrow(ConfigError);
    expect(() => build({ reconcilerSchedule: { everyMinutes: 2.5 } })).toThrow(ConfigError);
    // Three periods of 10 hours is more than the one day CloudWatch evaluates.
    expect(() => build({ reconcilerSchedule: { everyMinutes: 600 } })).toThrow(ConfigError);
  });

  it('give the console address of the dashboard', () => {
    const { stack, observability: built } = build();
    expect(stack.resolve(built.dashboardUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: 'AWS::Region' },
          '.console.aws.amazon.com/cloudwatch/home?region=',
          { Ref: 'AWS::Region' },
          '#dashboards/dashboard/',
          { Ref: stack.getLogicalId(built.dashboard.node.defaultChild as CfnElement) },
        ],
      ],
    });
  });
});

describe('synthesis', () => {
  it('raises no warning or error on the construct', () => {
    const { stack } = build();
    const annotations = Annotations.fromStack(stack);
    const messages = [
      ...annotations.findWarning('*', Match.anyValue()),
      ...annotations.findError('*', Match.anyValue()),
    ];
    expect(messages.filter((message) => message.id.startsWith('/Test/Observability/'))).toEqual([]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing in the dashboard and alarms', () => {
    const { app, stack, standIns, functions } = build();
    const before = new AwsSolutionsChecks(app).validateScope(stack);
    const paths = before.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
    );
    // The stand-ins have findings of their own (below); none is inside the construct.
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((path) => path.includes('/Observability/'))).toEqual([]);

    for (const fn of Object.values(functions)) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-L1',
        reason: 'Inline stand-in for a gwm function: the real stack chooses the runtime.',
      });
      Validations.of(fn).acknowledge({
        id:
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/' +
          'service-role/AWSLambdaBasicExecutionRole]',
        reason: 'Inline stand-in for a gwm function: the real stack defines its role.',
      });
    }
    for (const construct of standIns.filter((standIn) => standIn instanceof Queue)) {
      Validations.of(construct).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'Stands in for a dead-letter queue: the real stack sends failed records to it.',
      });
    }
    const after = new AwsSolutionsChecks(app).validateScope(stack);
    expect(after.violations).toEqual([]);
    expect(after.success).toBe(true);
  });
});
