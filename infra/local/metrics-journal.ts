import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePowertoolsTelemetry, type Telemetry } from '../../functions/adapters/telemetry.js';
import { SERVICE_NAMES, type ServiceKey } from '../../functions/service-names.js';

/** The handlers' EMF records, one JSON object a line, in the state folder: `gwm dashboard` reads them. */
export const METRICS_JOURNAL = 'metrics.jsonl';

/**
 * Each handler's telemetry as a Lambda function has it (Powertools Metrics under its own service
 * name), its EMF records appended to the journal instead of written to standard output. Logs are
 * silenced: the local stack reports what people need through its own log.
 */
export function makeLocalTelemetry(stateDir: string, stackName: string): (service: ServiceKey) => Telemetry {
  const file = join(stateDir, METRICS_JOURNAL);
  // Appended whole and at once: a record is one invocation's metrics, never half of one.
  const writeEmf = (record: string) => appendFileSync(file, `${record}\n`);
  return (service) =>
    makePowertoolsTelemetry(SERVICE_NAMES[service], stackName, { writeEmf, logLevel: 'SILENT' });
}
