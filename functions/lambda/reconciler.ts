import { randomUUID } from 'node:crypto';
import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeReconcilerHandler } from '../reconciler.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeReconcilerHandler({
  reconciler: deps.reconciler,
  completion: deps.completion,
  notificationResume: deps.notificationResume,
  batchRecount: deps.batchRecount,
  registrations: {
    intake: deps.intake,
    manifests: deps.manifests,
    newOwner: randomUUID,
    options: deps.registrationResume,
  },
  restores: deps.restoreSweep,
  waiting: deps.waiting,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.reconciler, config.STACK_NAME),
});
