import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeAggregatorHandler } from '../aggregator.js';
import { makeAggregatorSweep } from '../aggregator-sweep.js';
import { aggregatorDependencies, aggregatorSweepDependencies } from '../dependencies/aggregator.js';
import { makeBase } from '../dependencies/base.js';
import { withScheduledSweep } from '../scheduled-event.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.aggregator, config.STACK_NAME);
const base = makeBase(config);
export const handler = withPowertools(
  telemetry,
  withScheduledSweep(
    makeAggregatorHandler({ ...aggregatorDependencies(base), telemetry }),
    makeAggregatorSweep({ ...aggregatorSweepDependencies(base), telemetry }),
  ),
);
