import { randomUUID } from 'node:crypto';
import type { IntakeDeps } from '../../domain/use-cases/intake.js';
import type { RegistrationResumeOptions } from '../../domain/use-cases/resume-registrations.js';
import type { IntakeHandlerDeps } from '../intake.js';
import type { IntakeSweepDeps } from '../intake-sweep.js';
import type { Base } from './base.js';
import { notifierOf } from './notifier.js';
import { inputsOf, manifestsOf, restoresOf } from './objects.js';

/** Registration of a manifest's batch and launches (the intake, and its sweep resuming one). */
export function intakeOf(base: Base): Omit<IntakeDeps, 'owner'> {
  const { config } = base;
  return base.share(intakeOf, () => ({
    batches: base.batches,
    launches: base.launches,
    profiles: base.profiles,
    teams: base.teams,
    defaultTeam: config.DEFAULT_TEAM,
    limits: { maxSamples: config.MAX_SAMPLES, maxBytes: config.MAX_MANIFEST_BYTES },
    allowedReadPrefixes: config.ALLOWED_READ_PREFIXES,
    allowedWritePrefixes: config.ALLOWED_WRITE_PREFIXES,
    now: base.now,
    leaseMs: config.REGISTRATION_LEASE_SECONDS * 1000,
    chunkSize: config.REGISTRATION_CHUNK_SIZE,
    releaseConcurrency: 16,
    inputs: inputsOf(base),
    restores: restoresOf(base),
    historyLaunches: config.ESTIMATE_HISTORY_LAUNCHES,
    budgetDefaultMaxUsd: config.BUDGET_DEFAULT_MAX_USD,
  }));
}

/** The intake function: the table, S3 (manifests, inputs, restores), the notifier. */
export function intakeDependencies(base: Base): Omit<IntakeHandlerDeps, 'telemetry'> {
  return {
    intake: intakeOf(base),
    objects: manifestsOf(base),
    newOwner: randomUUID,
    notifier: notifierOf(base),
    tableName: base.config.TABLE_NAME,
    manifestPrefix: base.config.MANIFEST_PREFIX,
  };
}

export function registrationResumeOf({ config, minutes }: Base): RegistrationResumeOptions {
  return {
    quietForMs: minutes(config.RECONCILE_AFTER_MINUTES_REGISTRATION),
    max: config.RECONCILE_MAX_BATCHES,
  };
}

/** Its scheduled sweep: stopped registrations and settled held batches, with the same clients. */
export function intakeSweepDependencies(base: Base): Omit<IntakeSweepDeps, 'telemetry'> {
  return {
    registrations: {
      intake: intakeOf(base),
      manifests: manifestsOf(base),
      newOwner: randomUUID,
      options: registrationResumeOf(base),
    },
  };
}
