import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeRestoreTrackerHandler } from '../restore-tracker.js';
import { SERVICE_NAMES } from '../service-names.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeRestoreTrackerHandler({
  restoreTracker: deps.restoreTracker,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.restoreTracker),
});
