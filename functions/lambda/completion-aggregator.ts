import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeCompletionHandler } from '../completion-aggregator.js';
import { makeCompletionSweep } from '../completion-sweep.js';
import { makeBase } from '../dependencies/base.js';
import { completionDependencies, completionSweepDependencies } from '../dependencies/completion.js';
import { withScheduledSweep } from '../scheduled-event.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.completion, config.STACK_NAME);
const base = makeBase(config);
export const handler = withPowertools(
  telemetry,
  withScheduledSweep(
    makeCompletionHandler({ ...completionDependencies(base), telemetry }),
    makeCompletionSweep({ ...completionSweepDependencies(base), telemetry }),
  ),
);
