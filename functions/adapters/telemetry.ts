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
  /**
   * A value (no unit) published twice: under `service` alone, with the invocation's other metrics
   * (the sum over everything), and at once as its own EMF record with `dimensions` added
   * (RunCostUsd by `workflow`), so those dimensions never mix with the other metrics.
   */
  measure(name: MetricName, value: number, dimensions: Record<string, string>): void;
}

/** Telemetry published by Powertools: logs as JSON lines, metrics as EMF records on stdout. */
export interface PowertoolsTelemetry extends Telemetry {
  metrics: Metrics;
}

export function makePowertoolsTelemetry(serviceName: string, stackName: string): PowertoolsTelemetry {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    namespace: METRIC_NAMESPACE,
    serviceName,
    defaultDimensions: { [STACK_DIMENSION]: stackName },
  });
  return {
    logger,
    metrics,
    count(name, value = 1) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    timing(name, ms) {
      metrics.addMetric(name, MetricUnit.Milliseconds, ms);
    },
    measure(name, value, dimensions) {
      metrics.addMetric(name, MetricUnit.NoUnit, value);
      const single = metrics.singleMetric();
      for (const [dimension, dimensionValue] of Object.entries(dimensions))
        single.addDimension(dimension, dimensionValue);
      single.addMetric(name, MetricUnit.NoUnit, value);
    },
  };
}

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
    measure(name, value, dimensions) {
      measures.push({ name, value, dimensions });
    },
    get(name) {
      return counters.get(name) ?? 0;
    },
  };
  return telemetry;
}
