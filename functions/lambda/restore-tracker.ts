import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { restoreTrackerDependencies } from '../dependencies/restore-tracker.js';
import { makeRestoreTrackerHandler } from '../restore-tracker.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeRestoreTrackerHandler({
  ...restoreTrackerDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.restoreTracker, config.STACK_NAME),
});
