import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { reconcilerDependencies } from '../dependencies/reconciler.js';
import { makeReconcilerHandler } from '../reconciler.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.reconciler, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeReconcilerHandler({ ...reconcilerDependencies(makeBase(config)), telemetry }),
);
