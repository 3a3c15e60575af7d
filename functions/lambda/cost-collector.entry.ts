import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeCostCollectorHandler } from '../cost-collector.js';
import { makeBase } from '../dependencies/base.js';
import { costCollectorDependencies } from '../dependencies/cost-collector.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.costCollector, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeCostCollectorHandler({ ...costCollectorDependencies(makeBase(config)), telemetry }),
);
