import {
  type ArchivedInput,
  effectiveStatus,
  historyEntry,
  type Launch,
  touchLaunch,
  withHistory,
} from '../launch.js';
import type { Ignored, Transition } from '../launch-transitions.js';

/**
 * Restores of archived input objects. One restore item per object, shared by every launch (of any
 * batch) that waits for it, so an object is restored once: intake asks S3 for it, S3's
 * restore-completed event (or the reconciler's HeadObject, when the event is lost) marks it
 * RESTORED, and each waiting launch is QUEUED once all of its archived inputs are back.
 */

export const RESTORE_TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
export type RestoreTier = (typeof RESTORE_TIERS)[number];
export const RESTORE_STATES = ['REQUESTED', 'RESTORED', 'FAILED'] as const;
export type RestoreState = (typeof RESTORE_STATES)[number];

export interface Restore {
  uri: string;
  /** The class the object was archived in (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING). */
  storageClass: string;
  tier: RestoreTier;
  /** Days the restored copy is kept (not used by the Intelligent-Tiering archive tiers). */
  days: number;
  state: RestoreState;
  requestedAt: string;
  /** When the restore should be done at the latest for its class and tier; past it, S3 is asked. */
  dueAt: string;
  /** RestoreObject calls made for this object (a copy that expired is asked for again). */
  requests: number;
  /** When S3 last accepted a RestoreObject gwm sent (absent: asked by someone else, or not yet). */
  askedAt?: string;
  restoredAt?: string;
  /** When the restored copy goes away (absent for Intelligent-Tiering, which moves back for good). */
  expiresAt?: string;
  failureReason?: string;
  updatedAt: string;
  revision: number;
}

/** A launch waiting for an object's restore. */
export interface RestoreWaiter {
  batchId: string;
  launchId: string;
}

export interface RestoreSettings {
  /** The tier asked for (default Bulk: free for Flexible Retrieval, the cheapest for Deep Archive). */
  tier: RestoreTier;
  days: number;
  /** Milliseconds in one minute of the typical completion times (60,000 on AWS; less locally). */
  minuteMs: number;
}

const DEEP = new Set(['DEEP_ARCHIVE', 'DEEP_ARCHIVE_ACCESS']);

/**
 * The tier actually asked for: Expedited is not offered for Deep Archive, which gets Standard.
 * `archiveTier` is the object's class, or its Intelligent-Tiering archive status.
 */
export function tierFor(archiveTier: string, wanted: RestoreTier): RestoreTier {
  return wanted === 'Expedited' && DEEP.has(archiveTier) ? 'Standard' : wanted;
}

/** Typical completion at the latest, in minutes: Flexible Retrieval 5 min / 5 h / 12 h, Deep Archive 12 h / 48 h. */
export function typicalMinutes(archiveTier: string, tier: RestoreTier): number {
  if (DEEP.has(archiveTier)) return tier === 'Bulk' ? 48 * 60 : 12 * 60;
  return tier === 'Expedited' ? 5 : tier === 'Standard' ? 5 * 60 : 12 * 60;
}

export function dueAt(archiveTier: string, tier: RestoreTier, from: Date, minuteMs: number): string {
  return new Date(from.getTime() + typicalMinutes(archiveTier, tier) * minuteMs).toISOString();
}

/** A restore asked for now (a first request, or again after its copy expired or it failed). */
export function requestedRestore(
  previous: Restore | undefined,
  object: { uri: string; storageClass: string; archiveTier: string },
  settings: RestoreSettings,
  now: Date,
): Restore {
  const tier = tierFor(object.archiveTier, settings.tier);
  const at = now.toISOString();
  return {
    uri: object.uri,
    storageClass: object.storageClass,
    tier,
    days: settings.days,
    state: 'REQUESTED',
    requestedAt: at,
    dueAt: dueAt(object.archiveTier, tier, now, settings.minuteMs),
    requests: previous?.requests ?? 0,
    updatedAt: at,
    revision: (previous?.revision ?? 0) + 1,
  };
}

/** S3 accepted the RestoreObject gwm sent for it. */
export function askedRestore(restore: Restore, now: Date): Restore {
  const at = now.toISOString();
  return {
    ...restore,
    askedAt: at,
    requests: restore.requests + 1,
    updatedAt: at,
    revision: restore.revision + 1,
  };
}

export function restoredRestore(restore: Restore, now: Date, expiresAt: string | undefined): Restore {
  const at = now.toISOString();
  const { failureReason: _gone, ...rest } = restore;
  return {
    ...rest,
    state: 'RESTORED',
    restoredAt: restore.state === 'RESTORED' ? (restore.restoredAt ?? at) : at,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    updatedAt: at,
    revision: restore.revision + 1,
  };
}

export function failedRestore(restore: Restore, reason: string, now: Date): Restore {
  return {
    ...restore,
    state: 'FAILED',
    failureReason: reason,
    updatedAt: now.toISOString(),
    revision: restore.revision + 1,
  };
}

/** The archived inputs a launch still waits for. */
export function waitingInputs(launch: Pick<Launch, 'archivedInputs'>): ArchivedInput[] {
  return (launch.archivedInputs ?? []).filter((input) => input.restoredAt === undefined);
}

/** The first archived input of the launch that cannot be restored, if any. */
export function failedInput(launch: Pick<Launch, 'archivedInputs'>): ArchivedInput | undefined {
  return launch.archivedInputs?.find((input) => input.failure !== undefined);
}

/** Only launches not yet launched wait for inputs; a status a person typed is the launcher's first. */
function waiting(launch: Launch): boolean {
  const status = effectiveStatus(launch);
  return launch.status === status && (status === 'REGISTERED' || status === 'WAITING_FOR_INPUTS');
}

/**
 * An archived input of the launch is restored: noted on the launch, and a launch waiting for
 * nothing else is QUEUED for the launcher. A REGISTERED launch is only noted: its release queues it.
 */
export function inputRestored(
  launch: Launch,
  uri: string,
  now: Date,
  expiresAt?: string,
): Transition | Ignored {
  const input = launch.archivedInputs?.find((each) => each.uri === uri);
  if (!input) return { kind: 'ignored', reason: 'conflict', detail: `launch does not wait for ${uri}` };
  if (input.restoredAt !== undefined)
    return { kind: 'ignored', reason: 'duplicate', detail: `${uri} already restored` };
  if (!waiting(launch)) return { kind: 'ignored', reason: 'conflict', detail: `launch is ${launch.status}` };
  const at = now.toISOString();
  const archivedInputs = (launch.archivedInputs ?? []).map((each) =>
    each.uri === uri
      ? {
          uri: each.uri,
          storageClass: each.storageClass,
          restoredAt: at,
          ...(expiresAt !== undefined && { expiresAt }),
        }
      : each,
  );
  const ready = launch.status === 'WAITING_FOR_INPUTS' && archivedInputs.every((each) => each.restoredAt);
  return {
    kind: 'changed',
    next: touchLaunch(launch, now, {
      archivedInputs,
      ...(ready && {
        status: 'QUEUED' as const,
        statusHistory: withHistory(launch.statusHistory, historyEntry('QUEUED', now, 'gwm')),
      }),
    }),
  };
}

/**
 * The archived inputs of a launch that must be restored (again) before it may run: one whose
 * restore failed (a retry asks again) or whose restored copy has expired (it waited too long).
 */
export function inputsToRestoreAgain(launch: Pick<Launch, 'archivedInputs'>, now: Date): ArchivedInput[] {
  const at = now.toISOString();
  return (launch.archivedInputs ?? []).filter(
    (input) => input.failure !== undefined || (input.expiresAt !== undefined && input.expiresAt <= at),
  );
}

/** The launch back in WAITING_FOR_INPUTS for `inputs`, their restores forgotten (asked for again). */
export function waitAgain(launch: Launch, inputs: readonly ArchivedInput[], now: Date, note: string): Launch {
  const again = new Set(inputs.map((input) => input.uri));
  return touchLaunch(launch, now, {
    status: 'WAITING_FOR_INPUTS',
    archivedInputs: (launch.archivedInputs ?? []).map((input) =>
      again.has(input.uri) ? { uri: input.uri, storageClass: input.storageClass } : input,
    ),
    note,
    statusHistory: withHistory(launch.statusHistory, historyEntry('WAITING_FOR_INPUTS', now, 'gwm')),
  });
}

/** Notes when the restore of one of the launch's archived inputs is due. */
export function dueBy(launch: Launch, uri: string, due: string, now: Date): Transition | Ignored {
  const input = launch.archivedInputs?.find((each) => each.uri === uri);
  if (!input || input.restoredAt !== undefined || input.dueAt === due) {
    return { kind: 'ignored', reason: 'duplicate', detail: `nothing to note for ${uri}` };
  }
  return {
    kind: 'changed',
    next: touchLaunch(launch, now, {
      archivedInputs: (launch.archivedInputs ?? []).map((each) =>
        each.uri === uri ? { ...each, dueAt: due } : each,
      ),
    }),
  };
}

/** An archived input cannot be restored (S3 refused, or the object was deleted meanwhile): the launch fails. */
export function inputRestoreFailed(
  launch: Launch,
  uri: string,
  reason: string,
  now: Date,
): Transition | Ignored {
  if (!waiting(launch)) return { kind: 'ignored', reason: 'conflict', detail: `launch is ${launch.status}` };
  return {
    kind: 'changed',
    next: touchLaunch(launch, now, {
      status: 'LAUNCH_FAILED',
      failureReason: `input ${uri} could not be restored: ${reason}`,
      finishedAt: now.toISOString(),
      statusHistory: withHistory(launch.statusHistory, historyEntry('LAUNCH_FAILED', now, 'gwm')),
    }),
  };
}

/** How long the launch waited for its inputs (WAITING_FOR_INPUTS until QUEUED), once it has. */
export function waitedMs(launch: Pick<Launch, 'statusHistory'>): number | undefined {
  const history = launch.statusHistory;
  const start = history.findIndex((entry) => entry.status === 'WAITING_FOR_INPUTS');
  if (start < 0) return undefined;
  const end = history.slice(start + 1).find((entry) => entry.status !== 'WAITING_FOR_INPUTS');
  return end ? Date.parse(end.at) - Date.parse(history[start]?.at ?? end.at) : undefined;
}

/**
 * Where a launch's archived inputs stand, for people: `restored 1 of 2 archived inputs, due
 * 2026-12-07 10:00 UTC` (the latest due time of those left). Undefined without archived inputs.
 */
export function archivedInputsSummary(launch: Pick<Launch, 'archivedInputs'>): string | undefined {
  const all = launch.archivedInputs ?? [];
  if (all.length === 0) return undefined;
  const restored = all.filter((input) => input.restoredAt !== undefined).length;
  const due = all
    .filter((input) => input.restoredAt === undefined && input.dueAt !== undefined)
    .map((input) => input.dueAt as string)
    .sort()
    .at(-1);
  const text = `restored ${restored} of ${all.length} archived input${all.length === 1 ? '' : 's'}`;
  return restored < all.length && due ? `${text}, due ${due.slice(0, 16).replace('T', ' ')} UTC` : text;
}
