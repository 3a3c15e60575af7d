import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { restoreTrackerDependencies } from '../dependencies/restore-tracker.js';
import { makeRestoreTrackerHandler } from '../restore-tracker.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.restoreTracker, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeRestoreTrackerHandler({ ...restoreTrackerDependencies(makeBase(config)), telemetry }),
);
