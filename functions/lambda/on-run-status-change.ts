import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeRunStatusHandler } from '../on-run-status-change.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeRunStatusHandler({
  tracker: deps.tracker,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.tracker, config.STACK_NAME),
});
