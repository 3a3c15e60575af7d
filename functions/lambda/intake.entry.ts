import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { intakeDependencies, intakeSweepDependencies } from '../dependencies/intake.js';
import { makeIntakeHandler } from '../intake.js';
import { makeIntakeSweep } from '../intake-sweep.js';
import { withScheduledSweep } from '../scheduled-event.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.intake, config.STACK_NAME);
const base = makeBase(config);
export const handler = withPowertools(
  telemetry,
  withScheduledSweep(
    makeIntakeHandler({ ...intakeDependencies(base), telemetry }),
    makeIntakeSweep({ ...intakeSweepDependencies(base), telemetry }),
  ),
);
