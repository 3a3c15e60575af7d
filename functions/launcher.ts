import { TERMINAL_STATUSES } from '../domain/launch.js';
import { METRICS } from '../domain/metrics.js';
import { WAITING_STATUSES } from '../domain/scheduling/launch-queue.js';
import { dispatchLaunch } from '../domain/use-cases/dispatch-launch.js';
import type { LaunchScheduler } from '../domain/use-cases/launch-scheduler.js';
import { type LauncherDeps, type LaunchOutcome, startLaunch } from '../domain/use-cases/launcher.js';
import type { Telemetry } from './adapters/telemetry.js';
import { makeLaunchStreamConsumer } from './launch-stream-consumer.js';

export interface LauncherHandlerDeps {
  launcher: LauncherDeps;
  telemetry: Telemetry;
  /** Launches of one stream batch handled at the same time (LAUNCHER_PARALLEL_LAUNCHES). */
  parallelLaunches?: number;
  /**
   * The launch queue (LAUNCH_ORDER fair-share): a waiting launch's record starts whichever launch
   * should go next, and a run that ended frees a turn. Absent: launches start in stream order.
   */
  scheduler?: LaunchScheduler;
}

/**
 * DynamoDB Streams -> start runs for launches that became launchable (QUEUED, THROTTLED, RETRY),
 * carry out CANCEL, and put back any other status a person typed, with a note.
 */
export function makeLauncherHandler(deps: LauncherHandlerDeps) {
  const restores: LauncherDeps['restores'] = {
    ...deps.launcher.restores,
    onRequested: () => deps.telemetry.count(METRICS.restoresRequested),
    onFailed: () => deps.telemetry.count(METRICS.restoresFailed),
  };
  return makeLaunchStreamConsumer(
    deps.telemetry,
    async (ref, telemetry) => {
      // Read at each call: the launcher's dependencies may be swapped while it runs (tests do).
      const launcher = { ...deps.launcher, restores };
      const { scheduler } = deps;
      const status = ref.image?.status;
      if (scheduler && status !== undefined && WAITING_STATUSES.has(status as never)) {
        const outcome = await dispatchLaunch({ ...launcher, scheduler }, ref);
        report(telemetry, outcome);
        return outcome;
      }
      const outcome = await startLaunch(launcher, ref);
      report(telemetry, outcome);
      if (scheduler && outcome.kind === 'skipped' && TERMINAL_STATUSES.has(status as never)) {
        // A run ended: its team has a slot again, which a launch held at the team's limit may take.
        const next = await dispatchLaunch(
          { ...launcher, scheduler },
          { ...ref, team: ref.image?.team, ended: true },
        );
        report(telemetry, next);
      }
      return outcome;
    },
    { parallelLaunches: deps.parallelLaunches },
  );
}

function report(telemetry: Telemetry, outcome: LaunchOutcome): void {
  const { logger } = telemetry;
  if ('throttles' in outcome && outcome.throttles > 0)
    telemetry.count(METRICS.startRunThrottled, outcome.throttles);
  switch (outcome.kind) {
    case 'started':
      logger.appendKeys({ runId: outcome.runId });
      telemetry.count(METRICS.runsStarted);
      if (outcome.retry) telemetry.count(METRICS.retriesStarted);
      logger.info('run started', { attempt: outcome.launch.attempt, status: outcome.launch.status });
      break;
    case 'deferred':
      telemetry.count(METRICS.launchesDeferred);
      logger.warn('StartRun deferred; the launch is queued again', { reason: outcome.reason });
      break;
    case 'launch-failed':
      telemetry.count(METRICS.launchFailed);
      logger.warn('StartRun refused', { code: outcome.code, reason: outcome.message });
      break;
    case 'retry-refused':
      telemetry.count(METRICS.retriesRefused);
      logger.info('RETRY refused', { note: outcome.launch.note });
      break;
    case 'edit-refused':
      telemetry.count(METRICS.editsRefused);
      logger.warn('console edit refused and put back', { typed: outcome.typed, note: outcome.launch.note });
      break;
    case 'cancelled':
      telemetry.count(METRICS.cancelsApplied);
      if (outcome.runId) logger.appendKeys({ runId: outcome.runId });
      logger.info(outcome.ended ? 'launch cancelled before a run' : 'cancel requested', {
        status: outcome.launch.status,
        note: outcome.launch.note,
      });
      break;
    case 'cancel-refused':
      telemetry.count(METRICS.cancelsRefused);
      logger.info('CANCEL refused', { note: outcome.launch.note });
      break;
    case 'waiting':
      logger.info('archived inputs restored again before the run', {
        inputs: outcome.inputs,
        status: outcome.launch.status,
        note: outcome.launch.note,
      });
      break;
    case 'skipped':
      logger.debug('nothing to launch', { reason: outcome.reason });
      break;
  }
}
