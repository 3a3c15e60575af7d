import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { launcherDependencies } from '../dependencies/launcher.js';
import { makeLauncherHandler } from '../launcher.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.launcher, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeLauncherHandler({ ...launcherDependencies(makeBase(config)), telemetry }),
);
