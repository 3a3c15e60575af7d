import { loadConfig } from '../adapters/config.js';
import { makePowertoolsTelemetry, withPowertools } from '../adapters/telemetry.js';
import { makeBase } from '../dependencies/base.js';
import { intakeDependencies, registrationSweepDependencies } from '../dependencies/intake.js';
import { makeManifestUploadedHandler } from '../on-manifest-uploaded.js';
import { makeRegistrationSweep } from '../registration-sweep.js';
import { withScheduledSweep } from '../scheduled-event.js';
import { SERVICE_NAMES } from '../service-names.js';

const config = loadConfig(process.env);
const telemetry = makePowertoolsTelemetry(SERVICE_NAMES.intake, config.STACK_NAME);
const base = makeBase(config);
export const handler = withPowertools(
  telemetry,
  withScheduledSweep(
    makeManifestUploadedHandler({ ...intakeDependencies(base), telemetry }),
    makeRegistrationSweep({ ...registrationSweepDependencies(base), telemetry }),
  ),
);
