import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { intakeDependencies } from '../dependencies/intake.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
export const handler = makeManifestUploadedHandler({
  ...intakeDependencies(makeBase(config)),
  telemetry: makePowertoolsTelemetry(SERVICE_NAMES.intake, config.STACK_NAME),
});
