import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { launcherDependencies } from '../dependencies/launcher.js';
import { makeLauncherHandler } from '../launcher.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeLauncherHandler({
  ...launcherDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.launcher, config.STACK_NAME),
});
