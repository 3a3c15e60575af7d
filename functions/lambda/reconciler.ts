import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { reconcilerDependencies } from '../dependencies/reconciler.js';
import { makeReconcilerHandler } from '../reconciler.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeReconcilerHandler({
  ...reconcilerDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.reconciler, config.STACK_NAME),
});
