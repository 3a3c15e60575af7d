import { errorMessage } from '../errors.js';
import { availabilityOf } from '../inputs/input-state.js';
import {
  dueAt,
  inputRestored,
  inputRestoreFailed,
  requestedRestore,
  waitingInputs,
} from '../inputs/restore.js';
import type { InputInspector } from '../ports.js';
import { persistTransition } from './persist.js';
import { ask, type RestoreDeps } from './request-restores.js';
import { failRestore, type TrackRestoreDeps, trackRestore } from './restore-tracker.js';

export interface RestoreSweepDeps {
  tracker: TrackRestoreDeps;
  request: RestoreDeps;
  inputs: InputInspector;
  /** Launches WAITING_FOR_INPUTS unchanged for this long are checked against their restore items. */
  waitingQuietMs: number;
  /** Restores and waiting launches checked per run at most. */
  max: number;
}

export interface RestoreSweepReport {
  checked: number;
  /** Found restored by HeadObject: the event was lost or late. */
  restored: string[];
  /** Archived again with nothing under way (the request was lost, or the copy expired): asked again. */
  requestedAgain: string[];
  /** Still restoring past the time it was due: due again later. */
  stillRestoring: string[];
  failed: string[];
  /** Waiting launches moved on from restore items that had changed (a wake-up they missed). */
  launchesRepaired: number;
  errors: { uri: string; message: string }[];
}

/** A sweep that looked at nothing (yet): what it found is added as it goes. */
export function emptyRestoreSweepReport(errors: RestoreSweepReport['errors'] = []): RestoreSweepReport {
  return {
    checked: 0,
    restored: [],
    requestedAgain: [],
    stillRestoring: [],
    failed: [],
    launchesRepaired: 0,
    errors,
  };
}

/**
 * The reconciler's part for archived inputs. S3's events can be late or lost: a restore past its
 * due time is looked at with HeadObject (restored: as if the event came; restoring: due again
 * later; archived with nothing under way: asked again; gone: its launches fail). And a launch left
 * WAITING_FOR_INPUTS is compared with its restore items, which catches a wake-up it missed.
 */
export async function reconcileRestores(deps: RestoreSweepDeps): Promise<RestoreSweepReport> {
  const report = emptyRestoreSweepReport();
  const now = deps.tracker.now();
  const due = (await deps.tracker.restores.listDue(now.toISOString(), { limit: deps.max })).items;
  const states = due.length > 0 ? await deps.inputs.inspect(due.map((restore) => restore.uri)) : new Map();
  for (const restore of due) {
    report.checked++;
    const { uri } = restore;
    try {
      const state = states.get(uri);
      if (!state || state.kind === 'unknown') continue;
      if (state.kind !== 'present') {
        const reason =
          state.kind === 'missing'
            ? `the object is gone (${state.reason})`
            : `S3 refuses it (${state.reason})`;
        await failRestore(deps.tracker, restore, reason);
        report.failed.push(uri);
        continue;
      }
      const availability = availabilityOf(state);
      const archiveTier =
        state.storageClass === 'INTELLIGENT_TIERING'
          ? (state.archiveStatus ?? 'ARCHIVE_ACCESS')
          : restore.storageClass;
      if (availability.kind === 'readable' || availability.kind === 'restored') {
        await trackRestore(deps.tracker, {
          uri,
          ...(availability.kind === 'restored' &&
            availability.expiresAt && { expiresAt: availability.expiresAt }),
        });
        report.restored.push(uri);
      } else if (availability.kind === 'restoring') {
        const later = {
          ...restore,
          dueAt: dueAt(archiveTier, restore.tier, now, deps.request.settings.minuteMs),
        };
        await deps.tracker.restores.replace(restore, {
          ...later,
          revision: restore.revision + 1,
          updatedAt: now.toISOString(),
        });
        report.stillRestoring.push(uri);
      } else {
        const again = requestedRestore(
          restore,
          { uri, storageClass: restore.storageClass, archiveTier },
          deps.request.settings,
          now,
        );
        if ((await deps.tracker.restores.replace(restore, again)) === 'written') {
          const asked = await ask(deps.request, again);
          if (asked.state === 'FAILED') {
            await failRestore(deps.tracker, asked, asked.failureReason ?? 'restore refused');
            report.failed.push(uri);
          } else report.requestedAgain.push(uri);
        }
      }
    } catch (error) {
      report.errors.push({ uri, message: errorMessage(error) });
    }
  }

  const quietSince = new Date(now.getTime() - deps.waitingQuietMs).toISOString();
  const waiting = await deps.tracker.launches.listByStatus(
    'WAITING_FOR_INPUTS',
    { to: quietSince },
    { limit: deps.max },
  );
  for (const launch of waiting.items) {
    for (const input of waitingInputs(launch)) {
      try {
        const restore = await deps.tracker.restores.get(input.uri);
        if (restore?.state !== 'RESTORED' && restore?.state !== 'FAILED') continue;
        const saved = await persistTransition(deps.tracker.launches, launch, (current) =>
          restore.state === 'RESTORED'
            ? inputRestored(current, input.uri, deps.tracker.now(), restore.expiresAt)
            : inputRestoreFailed(
                current,
                input.uri,
                restore.failureReason ?? 'restore failed',
                deps.tracker.now(),
              ),
        );
        if (saved.kind === 'changed') report.launchesRepaired++;
        // The launch moved on: its next input is looked at in the next run.
        break;
      } catch (error) {
        report.errors.push({
          uri: input.uri,
          message: errorMessage(error),
        });
      }
    }
  }
  return report;
}
