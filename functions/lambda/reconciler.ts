import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeReconcilerHandler } from '../reconciler.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeReconcilerHandler({
  reconciler: deps.reconciler,
  telemetry: makePowertoolsTelemetry('gwm-reconciler'),
});
