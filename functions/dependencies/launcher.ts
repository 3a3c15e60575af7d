import { randomUUID } from 'node:crypto';
import { type LaunchScheduler, makeLaunchScheduler } from '../../domain/use-cases/launch-scheduler.js';
import type { LauncherDeps } from '../../domain/use-cases/launcher.js';
import { makePacer } from '../../domain/use-cases/pace.js';
import { makeRegistrationGate } from '../../domain/use-cases/registration-gate.js';
import { makeLaunchQueueStore } from '../adapters/launch-queue-store.js';
import { makeRateLimitStore } from '../adapters/rate-limit-store.js';
import type { LauncherHandlerDeps } from '../launcher.js';
import type { Base } from './base.js';
import { engineOf } from './engine.js';
import { restoresOf } from './objects.js';

export const STARTRUN_BUCKET = 'startRun';
/** How often a launcher looks again at a batch still being registered. */
const REGISTRATION_POLL_MS = 250;
/** How old the launch queue view may be when a launcher chooses the next launch (open batches, in-flight runs). */
const SCHEDULER_REFRESH_MS = 250;
/** Team settings (weight, maxInFlight) are read again after this long. */
const SCHEDULER_TEAMS_REFRESH_MS = 5_000;
/** Waiting launch ids read per batch at a time. */
const SCHEDULER_CANDIDATES_PER_READ = 16;

/** Starting runs (the launcher, and the reconciler putting a stale launch back). */
export function launcherOf(base: Base): LauncherDeps {
  const { config, now, sleep } = base;
  return base.share(launcherOf, () => ({
    launches: base.launches,
    engine: engineOf(base),
    pacer: makePacer({
      store: makeRateLimitStore(base.entities),
      name: STARTRUN_BUCKET,
      settings: { ratePerSecond: config.STARTRUN_RATE_PER_SECOND, burst: config.STARTRUN_BURST },
      now,
      sleep,
    }),
    roleArn: config.OMICS_ROLE_ARN,
    leaseMs: config.CLAIM_LEASE_SECONDS * 1000,
    retry: {
      attempts: config.STARTRUN_CALLS_PER_CLAIM,
      baseDelayMs: config.STARTRUN_BACKOFF_BASE_MS,
      maxDelayMs: config.STARTRUN_BACKOFF_MAX_MS,
    },
    now,
    sleep,
    newClaimToken: randomUUID,
    random: base.overrides.random ?? Math.random,
    restores: restoresOf(base),
    registration: makeRegistrationGate({
      batches: base.batches,
      now,
      sleep,
      waitMs: config.REGISTRATION_WAIT_SECONDS * 1000,
      pollMs: REGISTRATION_POLL_MS,
    }),
  }));
}

/** Fair share: the launcher's view of the queue (one per process; the claim keeps launches once-only). */
export function schedulerOf(base: Base): LaunchScheduler | undefined {
  if (base.config.LAUNCH_ORDER !== 'fair-share') return undefined;
  return base.share(schedulerOf, () =>
    makeLaunchScheduler({
      queue: makeLaunchQueueStore(base.entities),
      teams: base.teams,
      now: base.now,
      refreshMs: SCHEDULER_REFRESH_MS,
      teamsRefreshMs: SCHEDULER_TEAMS_REFRESH_MS,
      candidatesPerRead: SCHEDULER_CANDIDATES_PER_READ,
    }),
  );
}

/** The launcher function: the table, HealthOmics, S3 (restores of archived inputs). */
export function launcherDependencies(base: Base): Omit<LauncherHandlerDeps, 'telemetry'> {
  return {
    launcher: launcherOf(base),
    scheduler: schedulerOf(base),
    parallelLaunches: base.config.LAUNCHER_PARALLEL_LAUNCHES,
  };
}
