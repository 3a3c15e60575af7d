import type { EventBridgeEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import { type TrackerDeps, type TrackOutcome, trackRunStatus } from '../domain/use-cases/tracker.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface TrackerHandlerDeps {
  tracker: TrackerDeps;
  telemetry: Telemetry;
}

/** EventBridge `Run Status Change` -> the launch's status, forward only. */
export function makeTrackerHandler(deps: TrackerHandlerDeps) {
  const { logger, count, timing } = deps.telemetry;
  return async (event: EventBridgeEvent<string, unknown>): Promise<TrackOutcome> => {
    const outcome = await trackRunStatus(deps.tracker, event);
    switch (outcome.kind) {
      case 'applied': {
        count(METRICS.statusApplied);
        if (outcome.to === 'COMPLETED') count(METRICS.runsCompleted);
        if (outcome.to === 'FAILED') count(METRICS.runsFailed);
        // How far the launches lag behind HealthOmics: EventBridge delivery, retries, the write.
        const latency = deps.tracker.now().getTime() - Date.parse(outcome.event.time);
        if (Number.isFinite(latency)) timing(METRICS.statusLatency, Math.max(0, latency));
        logger.info(
          'status applied',
          ids(outcome.launch, outcome.event.runId, {
            from: outcome.from,
            to: outcome.to,
            // The run's own explanation, so the failures dashboard can list it beside the launch.
            ...(outcome.to === 'FAILED' || outcome.to === 'CANCELLED'
              ? { failureReason: outcome.launch.failureReason, statusMessage: outcome.launch.statusMessage }
              : {}),
          }),
        );
        break;
      }
      case 'ignored':
        count(METRICS.statusIgnored);
        logger.info(
          'status ignored',
          ids(outcome.launch, outcome.event.runId, { reason: outcome.reason, detail: outcome.detail }),
        );
        break;
      case 'not-ours':
        count(METRICS.eventsNotOurs);
        logger.info('event for a run gwm did not start', {
          runId: outcome.event.runId,
          status: outcome.event.status,
        });
        break;
      case 'not-yet-recorded':
        count(METRICS.statusIgnored);
        logger.info('early status of a run no launch records yet; the launcher records it', {
          runId: outcome.event.runId,
          status: outcome.event.status,
        });
        break;
      case 'not-a-run-event':
        count(METRICS.statusIgnored);
        logger.info('not a run status event', { reason: outcome.reason });
        break;
    }
    return outcome;
  };
}

function ids(launch: { batchId: string; launchId: string }, runId: string, extra: Record<string, unknown>) {
  return { batchId: launch.batchId, launchId: launch.launchId, runId, ...extra };
}
