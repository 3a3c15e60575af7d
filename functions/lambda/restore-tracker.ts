import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeRestoreTrackerHandler } from '../restore-tracker.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeRestoreTrackerHandler({
  restoreTracker: deps.restoreTracker,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.restoreTracker, config.STACK_NAME),
});
