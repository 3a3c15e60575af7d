import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeCostCollectorHandler } from '../cost-collector.js';
import { makeBase } from '../dependencies/base.js';
import { costCollectorDependencies } from '../dependencies/cost-collector.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeCostCollectorHandler({
  ...costCollectorDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.costCollector, config.STACK_NAME),
});
