import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMESPACE, type MetricName } from '../../domain/metrics.js';

/** Structured logs and counters. Handlers talk to this, not to Powertools directly. */
export interface Telemetry {
  logger: Logger;
  count(name: MetricName, value?: number): void;
  /** Writes the counters (EMF) at the end of an invocation. */
  flush(): void;
}

export function makePowertoolsTelemetry(serviceName: string): Telemetry {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName });
  return {
    logger,
    count(name, value = 1) {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}

/** Counters kept in memory (tests, and the embedded runtime's summaries); logs silenced by default. */
export function makeMemoryTelemetry(
  options: { logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {},
) {
  const counters = new Map<MetricName, number>();
  const logger = new Logger({ serviceName: 'gwm', logLevel: options.logLevel ?? 'SILENT' });
  const telemetry: Telemetry & { counters: Map<MetricName, number>; get(name: MetricName): number } = {
    logger,
    counters,
    count(name, value = 1) {
      counters.set(name, (counters.get(name) ?? 0) + value);
    },
    flush() {},
    get(name) {
      return counters.get(name) ?? 0;
    },
  };
  return telemetry;
}
