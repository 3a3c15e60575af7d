import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeLauncherHandler } from '../launcher.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeLauncherHandler({
  launcher: deps.launcher,
  scheduler: deps.scheduler,
  parallelLaunches: config.LAUNCHER_PARALLEL_LAUNCHES,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.launcher, config.STACK_NAME),
});
