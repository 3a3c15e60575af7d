import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePowertoolsTelemetry, type Telemetry } from '../../functions/adapters/telemetry.js';
import { SERVICE_NAMES, type ServiceKey } from '../../functions/service-names.js';

/** The handlers' EMF records, one JSON object a line, in the state folder: `gwm dashboard` reads them. */
export const METRICS_JOURNAL = 'metrics.jsonl';

/** Builds a handler with its function's telemetry; the handler's calls are journaled. */
export type JournaledHandler = <A extends unknown[], R>(
  service: ServiceKey,
  make: (telemetry: Telemetry) => (...args: A) => Promise<R>,
) => (...args: A) => Promise<R>;

/**
 * Each handler's telemetry as a Lambda function has it (Powertools Metrics under its own service
 * name), each invocation's EMF record appended to the journal after the call, returned or thrown,
 * where on Lambda `withPowertools` writes it to standard output. Logs are silenced: the local
 * stack reports what people need through its own log.
 */
export function makeLocalTelemetry(stateDir: string, stackName: string): JournaledHandler {
  const file = join(stateDir, METRICS_JOURNAL);
  // Appended whole and at once: a record is one invocation's metrics, never half of one.
  const writeEmf = (record: string) => appendFileSync(file, `${record}\n`);
  return (service, make) => {
    const telemetry = makePowertoolsTelemetry(SERVICE_NAMES[service], stackName, {
      writeEmf,
      logLevel: 'SILENT',
    });
    const handler = make(telemetry);
    return async (...args) => {
      try {
        return await handler(...args);
      } finally {
        telemetry.writeStoredMetrics();
      }
    };
  };
}
