import { randomUUID } from 'node:crypto';
import { loadConfig } from '../adapters/config.js';
import { buildDependencies } from '../adapters/dependencies.js';
import { makeS3ManifestReader } from '../adapters/s3-manifest-reader.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';

const deps = buildDependencies(loadConfig(process.env));
export const handler = makeManifestUploadedHandler({
  intake: deps.intake,
  objects: makeS3ManifestReader(deps.s3),
  telemetry: makePowertoolsTelemetry('gwm-intake'),
  newOwner: randomUUID,
  notifier: deps.notifier,
});
