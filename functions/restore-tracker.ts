import { restoredObjectsOf } from '../domain/inputs/restore-events.js';
import { METRICS } from '../domain/metrics.js';
import { type TrackRestoreDeps, trackRestore } from '../domain/use-cases/restore-tracker.js';
import type { Telemetry } from './adapters/telemetry.js';

export interface RestoreTrackerHandlerDeps {
  restoreTracker: TrackRestoreDeps;
  telemetry: Telemetry;
}

/** S3's `Object Restore Completed` -> the restore item RESTORED, its waiting launches QUEUED. */
export function makeRestoreTrackerHandler(deps: RestoreTrackerHandlerDeps) {
  const { logger, count } = deps.telemetry;
  return async (event: unknown): Promise<void> => {
    const objects = restoredObjectsOf(event);
    if (objects.length === 0) logger.info('not a restore-completed event');
    for (const object of objects) {
      const outcome = await trackRestore(deps.restoreTracker, object);
      if (outcome.kind === 'not-tracked') {
        logger.info('restore of an object no launch waits for', { uri: object.uri });
        continue;
      }
      count(METRICS.restoresCompleted);
      logger.info('input restored', {
        uri: object.uri,
        expiresAt: outcome.restore.expiresAt,
        launchesQueued: outcome.queued,
        launchesNoted: outcome.noted,
      });
    }
  };
}
