import type { EventBridgeEvent } from 'aws-lambda';
import { METRICS } from '../domain/metrics.js';
import { type TrackerDeps, type TrackOutcome, trackRunStatus } from '../domain/use-cases/track-run-status.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface RunStatusHandlerDeps {
  tracker: TrackerDeps;
  telemetry: Telemetry;
}

/** EventBridge `Run Status Change` -> the launch's status, forward only. */
export function makeRunStatusHandler(deps: RunStatusHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (event: EventBridgeEvent<string, unknown>): Promise<TrackOutcome> => {
    try {
      const outcome = await trackRunStatus(deps.tracker, event);
      switch (outcome.kind) {
        case 'applied':
          count(METRICS.statusApplied);
          logger.info(
            'status applied',
            ids(outcome.launch, outcome.event.runId, { from: outcome.from, to: outcome.to }),
          );
          break;
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
        case 'not-a-run-event':
          count(METRICS.statusIgnored);
          logger.info('not a run status event', { reason: outcome.reason });
          break;
      }
      return outcome;
    } finally {
      deps.telemetry.flush();
    }
  };
}

function ids(launch: { batchId: string; launchId: string }, runId: string, extra: Record<string, unknown>) {
  return { batchId: launch.batchId, launchId: launch.launchId, runId, ...extra };
}
