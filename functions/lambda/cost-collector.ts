import { ConfigError } from '../../domain/errors.js';
import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeCostCollectorHandler } from '../cost-collector.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
if (!deps.costQueue)
  throw new ConfigError('gwm configuration is invalid: COST_QUEUE_URL: required by the cost collector');
export const handler = makeCostCollectorHandler({
  collector: deps.costCollector(),
  queue: deps.costQueue,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.costCollector, config.STACK_NAME),
});
