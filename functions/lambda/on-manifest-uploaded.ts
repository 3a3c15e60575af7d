import { randomUUID } from 'node:crypto';
import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';
import { SERVICE_NAMES } from '../service-names.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeManifestUploadedHandler({
  intake: deps.intake,
  objects: deps.manifests,
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.intake),
  newOwner: randomUUID,
  notifier: deps.notifier,
});
