import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { intakeDependencies } from '../dependencies/intake.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.intake, config.STACK_NAME);
export const handler = withPowertools(
  telemetry,
  makeManifestUploadedHandler({ ...intakeDependencies(makeBase(config)), telemetry }),
);
