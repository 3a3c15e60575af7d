import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeCompletionHandler } from '../completion-aggregator.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeCompletionHandler({
  completion: deps.completion,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.completion, config.STACK_NAME),
});
