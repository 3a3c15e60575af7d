import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeCompletionHandler } from '../completion-aggregator.js';
import { makeBase } from '../dependencies/base.js';
import { completionDependencies } from '../dependencies/completion.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeCompletionHandler({
  ...completionDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.completion, config.STACK_NAME),
});
