import type { Launch } from '../launch.js';
import type { IgnoreReason, RunObservation } from '../launch-transitions.js';
import type { RunDetails } from '../ports.js';
import { parseRunStatusEvent, type RunStatusEvent } from '../run-events.js';
import { attemptFromTags, RUN_TAGS } from '../run-request.js';
import { applyObservation, type ObservationDeps } from './apply-observation.js';

export type TrackerDeps = ObservationDeps;

export type TrackOutcome =
  | { kind: 'applied'; launch: Launch; from: string; to: string; event: RunStatusEvent }
  | { kind: 'ignored'; reason: IgnoreReason; detail: string; launch: Launch; event: RunStatusEvent }
  | { kind: 'not-ours'; event: RunStatusEvent }
  /** An early status of a run no launch records yet: the launcher's own write will say as much. */
  | { kind: 'not-yet-recorded'; event: RunStatusEvent }
  | { kind: 'not-a-run-event'; reason: string };

/**
 * PENDING and STARTING say no more than StartRun's answer, which the launcher records. When such
 * an event arrives before that write (or for a run gwm did not start), it is let go instead of
 * spending a GetRun of the engine's read quota to find out whose run it is.
 */
const EARLY_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'STARTING']);

/**
 * Applies one `Run Status Change` event to its launch, forward only. Failure details (reason,
 * status message, log tail) are fetched only when the event really changes the launch.
 */
export async function trackRunStatus(deps: TrackerDeps, raw: unknown): Promise<TrackOutcome> {
  const parsed = parseRunStatusEvent(raw);
  if (!parsed.ok) return { kind: 'not-a-run-event', reason: parsed.reason };
  const { event } = parsed;

  const found = await findLaunch(deps, event);
  if (found === 'early') return { kind: 'not-yet-recorded', event };
  if (!found) return { kind: 'not-ours', event };
  const { launch, attempt } = found;

  const observation: RunObservation = {
    runId: event.runId,
    runUuid: event.runUuid ?? found.details?.runUuid,
    runArn: event.runArn,
    status: event.status,
    at: event.time,
    source: 'event',
    attempt,
    runOutputUri: event.runOutputUri,
  };
  const saved = await applyObservation(deps, launch, observation, found.details);
  if (saved.kind === 'gone') return { kind: 'not-ours', event };
  if (saved.kind === 'changed') {
    return { kind: 'applied', launch: saved.next, from: saved.previous.status, to: saved.next.status, event };
  }
  return { kind: 'ignored', reason: saved.reason, detail: saved.detail, launch: saved.launch, event };
}

interface Found {
  launch: Launch;
  attempt?: number;
  details?: RunDetails;
}

async function findLaunch(deps: TrackerDeps, event: RunStatusEvent): Promise<Found | 'early' | undefined> {
  const candidates = await deps.launches.findByRunId(event.runId);
  // Run ids are reused after a run is deleted; the uuid tells runs apart when the event has one.
  const match = event.runUuid
    ? candidates.find((launch) => launch.runUuid === event.runUuid || !launch.runUuid)
    : candidates[0];
  if (match) return { launch: match };
  if (EARLY_STATUSES.has(event.status)) return 'early';

  // The event can overtake the launcher's write of the run id (or name a run of an earlier
  // attempt): the run's own tags say which launch and attempt it belongs to.
  const details = await deps.engine.getRun(event.runId);
  const launchId = details?.tags[RUN_TAGS.launchId];
  const batchId = details?.tags[RUN_TAGS.batchId];
  if (!details || !launchId || !batchId) return undefined;
  if (event.runUuid && details.runUuid && event.runUuid !== details.runUuid) return undefined;
  const launch = await deps.launches.get(batchId, launchId);
  if (!launch) return undefined;
  return { launch, attempt: attemptFromTags(details.tags), details };
}
