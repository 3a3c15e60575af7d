import type { Duration } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
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

/**
 * One gwm metric as one series: the function that sends it, or the sum over every function that
 * does (missing points count as zero, so one quiet function does not blank the sum).
 */
export function gwmMetric(
  key: MetricKey,
  options: { label?: string; statistic?: string; period: Duration; stack: string },
): IMetric {
  const statistic = options.statistic ?? Stats.SUM;
  const { period } = options;
  const metricOf = (service: ServiceKey, label: string | undefined) =>
    new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS[key],
      dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAMES[service], [STACK_DIMENSION]: options.stack },
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
export function failureRateExpression(period: Duration, stack: string): MathExpression {
  const failed = new MathExpression({
    expression: 'FILL(runsFailed, 0) + FILL(startRunRefused, 0)',
    usingMetrics: {
      runsFailed: gwmMetric('runsFailed', { period, stack }),
      startRunRefused: gwmMetric('launchFailed', { period, stack }),
    },
    period,
  });
  return new MathExpression({
    expression: 'failed / (failed + FILL(completed, 0))',
    usingMetrics: { failed, completed: gwmMetric('runsCompleted', { period, stack }) },
    period,
    label: 'failed / finished',
  });
}

export function iteratorAge(fn: IFunction, period: Duration): Metric {
  return fn.metric('IteratorAge', { statistic: Stats.MAXIMUM, period });
}

/**
 * DynamoDB throttle events of gwm's table and every one of its indexes, summed (missing points as
 * zero). Seven metrics: an alarm's expression reads at most 10, so reads and writes are apart.
 */
export function tableThrottleExpression(
  tableName: string,
  metricName: 'ReadThrottleEvents' | 'WriteThrottleEvents',
  period: Duration,
): MathExpression {
  const dynamo = (dimensionsMap: Record<string, string>) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: { TableName: tableName, ...dimensionsMap },
      statistic: Stats.SUM,
      period,
    });
  const usingMetrics: Record<string, IMetric> = { table: dynamo({}) };
  for (const index of TABLE.globalIndexes) {
    usingMetrics[`index_${index.indexName}`] = dynamo({ GlobalSecondaryIndexName: index.indexName });
  }
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((key) => `FILL(${key}, 0)`)
      .join(' + '),
    usingMetrics,
    period,
    label: `${metricName}, table and indexes`,
  });
}
