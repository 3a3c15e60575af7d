import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeLauncherHandler } from '../launcher.js';
import { SERVICE_NAMES } from '../service-names.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeLauncherHandler({
  launcher: deps.launcher,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.launcher),
});
