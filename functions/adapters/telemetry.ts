import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { METRIC_NAMESPACE, type MetricName } from '../../domain/metrics.js';
import { STACK_DIMENSION } from '../service-names.js';

/**
 * Structured logs, counters and timings. Handlers talk to this, not to Powertools directly; the
 * metrics are written at the end of each invocation by `withPowertools`, not by the handlers.
 */
export interface Telemetry {
  logger: Logger;
  count(name: MetricName, value?: number): void;
  /** A duration in milliseconds (the dashboard reads its percentiles). */
  timing(name: MetricName, ms: number): void;
  /** A duration in seconds (a batch's, from registration to finish). */
  seconds(name: MetricName, seconds: number): void;
  /**
   * A value (no unit) published twice: under `service` alone, with the invocation's other metrics
   * (the sum over everything), and at once as its own EMF record with `dimensions` added
   * (RunCostUsd by `workflow`), so those dimensions never mix with the other metrics.
   */
  measure(name: MetricName, value: number, dimensions: Record<string, string>): void;
}

export interface PowertoolsTelemetryOptions {
  /**
   * Where each EMF record goes, as one line of JSON (the embedded runtime keeps them in its state
   * folder). Absent: standard output, where Lambda hands them to CloudWatch.
   */
  writeEmf?: (record: string) => void;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/** Telemetry published by Powertools: logs as JSON lines, metrics as EMF records on stdout. */
export interface PowertoolsTelemetry extends Telemetry {
  metrics: Metrics;
  /**
   * Writes the metrics stored so far as one EMF record, to `writeEmf` when given: the embedded
   * runtime calls it after each invocation, as `withPowertools` publishes them on Lambda.
   */
  writeStoredMetrics(): void;
}

export function makePowertoolsTelemetry(
  serviceName: string,
  stackName: string,
  options: PowertoolsTelemetryOptions = {},
): PowertoolsTelemetry {
  const logger = new Logger({ serviceName, ...(options.logLevel && { logLevel: options.logLevel }) });
  const metricsWith = (dimensions: Record<string, string>) =>
    new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName,
      defaultDimensions: { [STACK_DIMENSION]: stackName, ...dimensions },
    });
  const metrics = metricsWith({});
  const { writeEmf } = options;
  // Powertools publishes to standard output by itself when a record reaches 100 metrics or 100
  // values of one: with writeEmf, the record is written there first.
  let valuesStored = 0;
  const writeStored = (write: (record: string) => void) => {
    if (metrics.hasStoredMetrics()) write(JSON.stringify(metrics.serializeMetrics()));
    metrics.clearMetrics();
    valuesStored = 0;
  };
  const add = (name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    if (writeEmf && valuesStored >= EMF_VALUES_PER_RECORD) writeStored(writeEmf);
    metrics.addMetric(name, unit, value);
    valuesStored += 1;
  };
  return {
    logger,
    metrics,
    count(name, value = 1) {
      add(name, MetricUnit.Count, value);
    },
    timing(name, ms) {
      add(name, MetricUnit.Milliseconds, ms);
    },
    seconds(name, seconds) {
      add(name, MetricUnit.Seconds, seconds);
    },
    measure(name, value, dimensions) {
      add(name, MetricUnit.NoUnit, value);
      if (writeEmf) {
        const single = metricsWith(dimensions);
        single.addMetric(name, MetricUnit.NoUnit, value);
        writeEmf(JSON.stringify(single.serializeMetrics()));
        return;
      }
      const single = metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions))
        single.addDimension(dimension, dimensionValue);
      single.addMetric(name, MetricUnit.NoUnit, value);
    },
    writeStoredMetrics() {
      if (writeEmf) writeStored(writeEmf);
      else metrics.publishStoredMetrics();
    },
  };
}

/** Fewer values than either of Powertools' limits per record (100 metrics, 100 values of one). */
const EMF_VALUES_PER_RECORD = 99;

/**
 * A Lambda entry point's handler, wrapped as Powertools' users expect (middy with its
 * middlewares): the Lambda context (request id, function name, cold start) on every log line, the
 * ColdStart metric on the first invocation of an execution environment, and the invocation's
 * metrics written after it, whether the handler returned or threw.
 */
export function withPowertools<Event, Result>(
  telemetry: PowertoolsTelemetry,
  handler: (event: Event, context: Context) => Promise<Result>,
) {
  return middy(handler)
    .use(injectLambdaContext(telemetry.logger))
    .use(logMetrics(telemetry.metrics, { captureColdStartMetric: true }));
}

/**
 * Counters and timings kept in memory (tests, and the embedded runtime's summaries); logs silenced
 * by default.
 */
export function makeMemoryTelemetry(
  options: { logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {},
) {
  const counters = new Map<MetricName, number>();
  /** Durations as sent: milliseconds (timing) or seconds (seconds), as the metric's name says. */
  const timings = new Map<MetricName, number[]>();
  const measures: { name: MetricName; value: number; dimensions: Record<string, string> }[] = [];
  const logger = new Logger({ serviceName: 'gwm', logLevel: options.logLevel ?? 'SILENT' });
  const telemetry: Telemetry & {
    counters: Map<MetricName, number>;
    timings: Map<MetricName, number[]>;
    measures: typeof measures;
    get(name: MetricName): number;
  } = {
    logger,
    counters,
    timings,
    measures,
    count(name, value = 1) {
      counters.set(name, (counters.get(name) ?? 0) + value);
    },
    timing(name, ms) {
      timings.set(name, [...(timings.get(name) ?? []), ms]);
    },
    seconds(name, seconds) {
      timings.set(name, [...(timings.get(name) ?? []), seconds]);
    },
    measure(name, value, dimensions) {
      measures.push({ name, value, dimensions });
    },
    get(name) {
      return counters.get(name) ?? 0;
    },
  };
  return telemetry;
}
