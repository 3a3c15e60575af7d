import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { trackerDependencies } from '../dependencies/tracker.js';
import { SERVICE_NAMES } from '../service-names.js';
import { makeTrackerHandler } from '../tracker.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.tracker, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeTrackerHandler({ ...trackerDependencies(makeBase(config)), telemetry }),
);
