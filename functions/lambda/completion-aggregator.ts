import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeCompletionHandler } from '../completion-aggregator.js';
import { makeBase } from '../dependencies/base.js';
import { completionDependencies } from '../dependencies/completion.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.completion, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeCompletionHandler({ ...completionDependencies(makeBase(config)), telemetry }),
);
