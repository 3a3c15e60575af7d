import { randomUUID } from 'node:crypto';
import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const deps = buildDependencies(config);
export const handler = makeManifestUploadedHandler({
  intake: deps.intake,
  objects: deps.manifests,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.intake, config.STACK_NAME),
  newOwner: randomUUID,
  notifier: deps.notifier,
  tableName: config.TABLE_NAME,
  manifestPrefix: config.MANIFEST_PREFIX,
});
