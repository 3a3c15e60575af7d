import { backoffCeilingMs } from '../domain/use-cases/launcher.js';
import { type Config, loadConfig } from '../functions/adapters/config.js';
import { OMICS_REQUEST_TIMEOUT_MS } from '../functions/adapters/healthomics-engine.js';
import { DeployConfigError, type DeploySettings, settingsEnvironment } from './config.js';

/** Lambda's longest timeout. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * Allowances for what the settings do not bound: one StartRun round trip (the client makes a
 * single attempt per call and gives up after OMICS_REQUEST_TIMEOUT_MS; gwm retries itself), the
 * table reads and writes around one launch (claim, record), and a cold start.
 */
export const STARTRUN_CALL_ALLOWANCE_MS = OMICS_REQUEST_TIMEOUT_MS;
export const TABLE_WORK_PER_LAUNCH_MS = 5_000;
export const COLD_START_MS = 10_000;

/** Engine reads per stale launch at most: GetRun, or ListRuns then GetRun for a launch without a run id. */
export const ENGINE_READS_PER_RECONCILED_LAUNCH = 2;
export const RECONCILER_TABLE_WORK_MS = 60_000;

/** The intake's timeout: the longest one manifest's registration may take. */
export const INTAKE_TIMEOUT_SECONDS = 300;

/** Values deploy-time references stand for when the functions' own schema checks the settings. */
const SAMPLE_DEPLOY_VALUES = {
  TABLE_NAME: 'gwm-table',
  OMICS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gwm-omics',
} as const;

/**
 * The configuration the deployed functions will load, defaults included: the settings go
 * through the functions' own `loadConfig`, so a value they would refuse at cold start is refused
 * here, before anything is deployed.
 */
export function effectiveFunctionConfig(settings: DeploySettings): Config {
  try {
    return loadConfig({ ...SAMPLE_DEPLOY_VALUES, ...settingsEnvironment(settings) });
  } catch (error) {
    throw new DeployConfigError(`the functions would refuse these settings: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export interface LauncherBudget {
  /** Longest time one launch can take: every StartRun call, its pacing wait and backoff. */
  perLaunchMs: number;
  /** Launches one lane of a launcher handles one after another in a stream batch. */
  launchesPerLane: number;
  /** Lanes of every launcher and the reconciler: each may take a StartRun token before any given call. */
  contenders: number;
  /** Lambda timeout covering a whole stream batch of launches. */
  timeoutSeconds: number;
}

export interface LauncherBudgetOptions {
  /** Launches in one stream batch (LAUNCHER_EVENT_SOURCE.batchSize). */
  batchSize: number;
  /** Launchers that may run at once (the reserved concurrency). */
  concurrentLaunchers: number;
}

/**
 * The launcher handles a stream batch in `LAUNCHER_PARALLEL_LAUNCHES` lanes: the batch's launches
 * are shared out between them and each lane starts its share one after another, so the batch
 * takes as long as its busiest lane, ceil(batch / lanes) launches. Each launch may use its whole
 * StartRun budget: `callsPerClaim` calls with backoff between them, each after a wait for a
 * token. The token bucket is shared by every lane of every launcher and by the reconciler, so in
 * the worst case all of those take a token before a given call: more lanes make a batch shorter
 * but each call's wait longer.
 */
export function launcherBudget(config: Config, options: LauncherBudgetOptions): LauncherBudget {
  const retry = {
    attempts: config.STARTRUN_CALLS_PER_CLAIM,
    baseDelayMs: config.STARTRUN_BACKOFF_BASE_MS,
    maxDelayMs: config.STARTRUN_BACKOFF_MAX_MS,
  };
  // Lanes beyond the batch size would have nothing to do.
  const lanes = Math.min(config.LAUNCHER_PARALLEL_LAUNCHES, options.batchSize);
  // The reconciler also sends StartRun (a launch a crash left in SUBMITTING).
  const contenders = options.concurrentLaunchers * lanes + 1;
  const pacingWaitMs = Math.ceil((contenders / config.STARTRUN_RATE_PER_SECOND) * 1000);
  let backoffMs = 0;
  for (let call = 1; call < retry.attempts; call++) backoffMs += backoffCeilingMs(retry, call);
  const perLaunchMs =
    retry.attempts * (pacingWaitMs + STARTRUN_CALL_ALLOWANCE_MS) + backoffMs + TABLE_WORK_PER_LAUNCH_MS;
  const launchesPerLane = Math.ceil(options.batchSize / lanes);
  // Launches of a batch still being registered wait for it once per stream batch.
  const registrationWaitMs = config.REGISTRATION_WAIT_SECONDS * 1000;
  const timeoutSeconds = Math.ceil(
    (launchesPerLane * perLaunchMs + registrationWaitMs + COLD_START_MS) / 1000,
  );
  return { perLaunchMs, launchesPerLane, contenders, timeoutSeconds };
}

/** The launcher's budget, refused when Lambda cannot give it or the claim lease would not cover a launch. */
export function checkedLauncherBudget(config: Config, options: LauncherBudgetOptions): LauncherBudget {
  const budget = launcherBudget(config, options);
  const perLaunchSeconds = Math.ceil(budget.perLaunchMs / 1000);
  if (budget.timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    throw new DeployConfigError(
      `the launcher would need ${budget.timeoutSeconds} s for a batch of ${options.batchSize} launches ` +
        `(${budget.launchesPerLane} per lane, ${perLaunchSeconds} s each at most among ${budget.contenders} ` +
        `lanes sharing the StartRun rate), above Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s: lower ` +
        'startRun.callsPerClaim or startRun.backoffMaxMs, raise startRun.ratePerSecond, or lower ' +
        'launcherConcurrency or launcherParallelLaunches',
    );
  }
  if (budget.perLaunchMs > config.CLAIM_LEASE_SECONDS * 1000) {
    throw new DeployConfigError(
      `claimLeaseSeconds (${config.CLAIM_LEASE_SECONDS}) is shorter than one launch's StartRun budget ` +
        `(${perLaunchSeconds} s among ${budget.contenders} lanes sharing the StartRun rate): another ` +
        'launcher could take over a launch that is still being started; raise it, or lower ' +
        'launcherConcurrency or launcherParallelLaunches',
    );
  }
  return budget;
}

/**
 * The reconciler's timeout: its engine reads are paced, so a full run of `RECONCILE_MAX_LAUNCHES`
 * takes about that many reads at the configured rate. A run cut short loses nothing: every repair
 * is a conditional write, and the next run starts over.
 */
export function reconcilerTimeoutSeconds(config: Config): number {
  const readsMs =
    ((config.RECONCILE_MAX_LAUNCHES * ENGINE_READS_PER_RECONCILED_LAUNCH) /
      config.RECONCILE_ENGINE_READS_PER_SECOND) *
    1000;
  const workMs = readsMs + RECONCILER_TABLE_WORK_MS;
  return Math.min(LAMBDA_MAX_TIMEOUT_SECONDS, Math.ceil(workMs / 1000));
}
