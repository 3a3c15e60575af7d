import {
  effectiveStatus,
  historyEntry,
  isTerminal,
  type Launch,
  type LaunchStatus,
  touchLaunch,
  withHistory,
} from './launch.js';
import type { LaunchDecision } from './launch-transitions.js';
import { clip } from './text.js';

/**
 * What gwm does with what people type into a launch's `status` in the console, other than RETRY
 * (domain/launch-transitions.ts): CANCEL, and anything it does not accept. Nothing here writes.
 */

const TYPED_SHOWN_MAX = 60;
const NOTE_MAX = 2_000;

const WHAT_TO_DO =
  'To retry a FAILED, CANCELLED, DELETED or LAUNCH_FAILED launch set status to RETRY; ' +
  'to stop a launch that has not finished set status to CANCEL. gwm sets every other status itself.';

/** The recorded status goes back in place of what was typed, with a note saying why and what to do. */
export function refuseEdit(launch: Launch, typed: string, now: Date): Launch {
  const was = effectiveStatus(launch);
  const shown = clip(typed, TYPED_SHOWN_MAX, { markOutside: true });
  const note = `Status "${shown}" refused at ${now.toISOString()}: the launch is ${was}. ${WHAT_TO_DO}`;
  return touchLaunch(launch, now, { status: was, note: note.slice(0, NOTE_MAX) });
}

/**
 * A cancel, asked by typing CANCEL or kept from one (`cancelRequestedAt`). A launch with no run
 * yet ends CANCELLED here; one with a run keeps its status and the engine's CANCELLED event ends
 * it like any run; one whose StartRun is in progress keeps the request until its run id is known
 * (undefined: nothing for the cancel to do yet, decide the launch as usual).
 */
export function decideCancel(launch: Launch, now: Date): LaunchDecision | undefined {
  const at = now.toISOString();
  const was = effectiveStatus(launch);
  const typed = launch.status === 'CANCEL';
  const requestedAt = launch.cancelRequestedAt ?? at;
  const history = typed
    ? withHistory(launch.statusHistory, historyEntry('CANCEL', now, 'console'))
    : launch.statusHistory;
  /** The launch as it was, with the request noted (and kept pending, while StartRun is in progress). */
  const noted = (note: string, pending?: string) =>
    touchLaunch(launch, now, { status: was, cancelRequestedAt: pending, note, statusHistory: history });

  if (isTerminal(was)) {
    const note =
      `CANCEL refused at ${at}: the launch is already ${was}, there is nothing to cancel. ` +
      'To run it again, set status to RETRY.';
    return { kind: 'refuse-cancel', next: noted(note) };
  }
  if (was === 'REGISTERED' || was === 'WAITING_FOR_INPUTS' || was === 'QUEUED' || was === 'THROTTLED') {
    return { kind: 'cancel', next: endCancelled(launch, was, requestedAt, now, history) };
  }
  if (launch.runId) {
    const note =
      `Cancel requested at ${requestedAt}: CancelRun sent for run ${launch.runId} at ${at}; ` +
      'the launch ends CANCELLED when HealthOmics reports it.';
    return { kind: 'cancel', runId: launch.runId, next: noted(note) };
  }
  // SUBMITTING: a launcher is between its claim and StartRun's answer; the run id it records
  // brings the request back to the launcher (its stream filter sees `cancelRequestedAt`). With the
  // request recorded, the launch is decided as any SUBMITTING one: a dead launcher's claim is taken
  // over (same requestId), so the run it may have made is found and then cancelled.
  if (!typed) return undefined;
  const note =
    `Cancel requested at ${requestedAt}: StartRun is in progress; the run is cancelled as soon as ` +
    'its id is known.';
  return { kind: 'cancel', next: noted(note, requestedAt) };
}

function endCancelled(
  launch: Launch,
  was: LaunchStatus,
  requestedAt: string,
  now: Date,
  history: Launch['statusHistory'],
): Launch {
  const at = now.toISOString();
  return touchLaunch(launch, now, {
    status: 'CANCELLED',
    cancelRequestedAt: undefined,
    claimToken: undefined,
    claimExpiresAt: undefined,
    finishedAt: at,
    failureReason: `Cancelled on request (asked at ${requestedAt}) before a run was started; the launch was ${was}.`,
    note: `Cancelled at ${at}: no run had been started. To run it after all, set status to RETRY.`,
    statusHistory: withHistory(history, historyEntry('CANCELLED', now, 'gwm')),
  });
}

/** HealthOmics refused CancelRun for good (the run already ended, or is unknown): say so. */
export function cancelRefusedByEngine(launch: Launch, code: string, message: string, now: Date): Launch {
  const was = effectiveStatus(launch);
  const note =
    `CANCEL at ${now.toISOString()}: HealthOmics refused to cancel run ${launch.runId ?? '-'} ` +
    `(${code}: ${message}); the launch stays ${was} and follows its run's events.`;
  const typed = launch.status === 'CANCEL';
  return touchLaunch(launch, now, {
    status: was,
    cancelRequestedAt: undefined,
    note: note.slice(0, NOTE_MAX),
    statusHistory: typed
      ? withHistory(launch.statusHistory, historyEntry('CANCEL', now, 'console'))
      : launch.statusHistory,
  });
}
