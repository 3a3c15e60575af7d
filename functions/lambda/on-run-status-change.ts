import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { trackerDependencies } from '../dependencies/tracker.js';
import { makeRunStatusHandler } from '../on-run-status-change.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeRunStatusHandler({
  ...trackerDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.tracker, config.STACK_NAME),
});
