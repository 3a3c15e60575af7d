import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import {
  restoreTrackerDependencies,
  restoreTrackerSweepDependencies,
} from '../dependencies/restore-tracker.js';
import { makeRestoreTrackerHandler } from '../restore-tracker.js';
import { makeRestoreTrackerSweep } from '../restore-tracker-sweep.js';
import { withScheduledSweep } from '../scheduled-event.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.restoreTracker, config.STACK_NAME);
const base = makeBase(config);
export const handler = withPowertools(
  telemetry,
  withScheduledSweep(
    makeRestoreTrackerHandler({ ...restoreTrackerDependencies(base), telemetry }),
    makeRestoreTrackerSweep({ ...restoreTrackerSweepDependencies(base), telemetry }),
  ),
);
