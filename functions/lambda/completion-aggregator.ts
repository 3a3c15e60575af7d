import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeCompletionHandler } from '../completion-aggregator.js';
import { SERVICE_NAMES } from '../service-names.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeCompletionHandler({
  completion: deps.completion,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.completion),
});
