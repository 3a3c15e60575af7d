import type { RunCost, SampleEstimate } from './cost/types.js';
import type { RunCacheRef, StorageType, WorkflowType } from './workflow.js';

/**
 * Launch states. REGISTERED launches exist but are not launchable until their batch is fully
 * registered (QUEUED). A launch with an input in an S3 archive tier waits in WAITING_FOR_INPUTS
 * until every such input is restored (domain/inputs/restore.ts), then is QUEUED. RETRY and CANCEL are never written by gwm: a person sets them in the
 * console to ask for something (see REQUEST_STATUSES).
 */
export const LAUNCH_STATUSES = [
  'REGISTERED',
  'WAITING_FOR_INPUTS',
  'QUEUED',
  'SUBMITTING',
  'THROTTLED',
  'SUBMITTED',
  'PENDING',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'DELETED',
  'LAUNCH_FAILED',
  'RETRY',
  'CANCEL',
] as const;
export type LaunchStatus = (typeof LAUNCH_STATUSES)[number];

/** HealthOmics RunStatus values, as events and GetRun report them. */
export const RUN_STATUSES = [
  'PENDING',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'COMPLETED',
  'DELETED',
  'CANCELLED',
  'FAILED',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<LaunchStatus> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'DELETED',
  'LAUNCH_FAILED',
]);
export const RETRYABLE_STATUSES: ReadonlySet<LaunchStatus> = new Set([
  'FAILED',
  'CANCELLED',
  'DELETED',
  'LAUNCH_FAILED',
]);
/** What a person may ask for by typing it into `status` (any case, surrounding spaces allowed). */
export const REQUEST_STATUSES = ['RETRY', 'CANCEL'] as const satisfies readonly LaunchStatus[];
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/**
 * The statuses gwm writes while a launch is on its way. The launcher's stream filter
 * (functions/event-sources.ts) lets through every other status, so whatever a person types
 * (a request, a typo, a status gwm alone may set) reaches the launcher, which acts on it or puts
 * it back with a note.
 */
export const IN_FLIGHT_STATUSES = [
  'REGISTERED',
  'WAITING_FOR_INPUTS',
  'SUBMITTING',
  'SUBMITTED',
  'PENDING',
  'STARTING',
  'RUNNING',
  'STOPPING',
] as const satisfies readonly LaunchStatus[];

export const LAUNCH_KINDS = ['SAMPLE', 'QC'] as const;
export type LaunchKind = (typeof LAUNCH_KINDS)[number];
export const STATUS_SOURCES = ['gwm', 'event', 'reconciler', 'console'] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];

export interface StatusEntry {
  status: LaunchStatus;
  at: string;
  source: StatusSource;
}

export interface PreviousAttempt {
  attempt: number;
  status: LaunchStatus;
  requestId?: string;
  runId?: string;
  runUuid?: string;
  failureReason?: string;
  logLocation?: string;
  finishedAt?: string;
  /** What this attempt's run cost, once priced. */
  cost?: RunCost;
}

/** An input object in an S3 archive tier: the launch waits until it is restored. */
export interface ArchivedInput {
  uri: string;
  /** Its storage class when intake found it (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING). */
  storageClass: string;
  /** When gwm learnt its restored copy is readable. */
  restoredAt?: string;
  /** When the restored copy goes: a launch not started by then has it restored again. */
  expiresAt?: string;
  /** While it is restored: when the restore should be done at the latest (its class and tier). */
  dueAt?: string;
  /** Why it cannot be restored: the launch fails with it. */
  failure?: string;
}

export interface Launch {
  launchId: string;
  batchId: string;
  sampleId: string;
  kind: LaunchKind;
  batchName: string;
  workflowId: string;
  workflowType: WorkflowType;
  workflowVersion?: string;
  profile?: string;
  inputs: Record<string, string>;
  parameters: Record<string, unknown>;
  outputUri: string;
  storageType: StorageType;
  storageCapacity?: number;
  runGroupId?: string;
  /** The HealthOmics run cache the run uses: a retry takes the tasks an earlier attempt completed from it. */
  runCache?: RunCacheRef;
  priority?: number;
  tags: Record<string, string>;
  /** The batch's team (copied at registration): its queue, its in-flight limit, its history. */
  team?: string;
  /** The sample's position in the manifest (the QC launch comes after every sample). */
  order?: number;
  status: LaunchStatus;
  attempt: number;
  requestId?: string;
  runName?: string;
  runId?: string;
  runUuid?: string;
  runArn?: string;
  runOutputUri?: string;
  failureReason?: string;
  statusMessage?: string;
  logLocation?: string;
  logExcerpt?: string;
  /** What the current attempt's run cost, once priced (after the terminal status, never before). */
  cost?: RunCost;
  /** Sum of the sizes of the launch's input objects (bytes), where known: what estimates rest on. */
  inputBytes?: number;
  /** Inputs that were archived at intake: the launch is released only once each is restored. */
  archivedInputs?: ArchivedInput[];
  /** What this sample was predicted to cost and take when its batch was registered. */
  estimate?: SampleEstimate;
  /** A readable explanation of the last thing gwm refused or deferred (for the console). */
  note?: string;
  /**
   * Read only, never stored by gwm: the text a person typed into `status` that is no launch status
   * (`BOGUS`, `QUEUD`). `status` then holds the status gwm recorded, and the launcher puts it back.
   */
  typedStatus?: string;
  /** A CANCEL not carried out yet: the launch waits for its run id (StartRun in progress). */
  cancelRequestedAt?: string;
  statusHistory: StatusEntry[];
  attempts: PreviousAttempt[];
  claimToken?: string;
  claimExpiresAt?: string;
  throttledCount?: number;
  createdAt: string;
  updatedAt: string;
  submittedAt?: string;
  finishedAt?: string;
  /** Incremented on every gwm write; with `status`, the condition of every update. */
  revision: number;
}

export const STATUS_HISTORY_LIMIT = 25;
export const MAX_ATTEMPTS_KEPT = 20;
export const RUN_NAME_MAX = 128;
export const REQUEST_ID_MAX = 127;

export function launchIdFor(batchId: string, sampleId: string): string {
  return `${batchId}/${sampleId}`;
}

/** `_` cannot start a sample id, so the QC launch never collides with a sample. */
export function qcLaunchIdFor(batchId: string): string {
  return `${batchId}/_qc`;
}

/** The idempotency token of one attempt: the same attempt always sends the same requestId. */
export function requestIdFor(launchId: string, attempt: number): string {
  const id = `${launchId}/${attempt}`;
  return id.length <= REQUEST_ID_MAX ? id : `${cutToUnits(id, REQUEST_ID_MAX - 17)}~${shortHash(id)}`;
}

/** `<batch>-<sample>-<attempt>`, cut to the engine's limit while keeping the attempt visible. */
export function runNameFor(batchName: string, sampleId: string, attempt: number): string {
  const suffix = `-${sampleId}-${attempt}`;
  const room = RUN_NAME_MAX - suffix.length;
  return cutToUnits(`${cutToUnits(batchName, Math.max(room, 1))}${suffix}`, RUN_NAME_MAX);
}

/**
 * The longest start of `text` within `max` UTF-16 units that does not end in half a surrogate
 * pair: a batch name may hold letters outside the BMP (two units each), and a lone surrogate
 * is not valid UTF-8, so the engine would refuse the name or store it mangled.
 */
function cutToUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** A stable 16-hex-digit FNV-1a hash; used where ids must be shortened deterministically. */
export function shortHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

export function isRequest(status: LaunchStatus): status is RequestStatus {
  return (REQUEST_STATUSES as readonly LaunchStatus[]).includes(status);
}

/**
 * The status a launch is really in: the one gwm last recorded. Every gwm write bumps `revision`
 * and appends to `statusHistory`; a console edit changes `status` alone. So the last history entry
 * not made by a person tells the status gwm recorded, whatever was typed over it since (RETRY,
 * CANCEL, COMPLETED on a running launch, BOGUS): events and decisions go on from there.
 */
export function effectiveStatus(launch: Launch): LaunchStatus {
  for (let i = launch.statusHistory.length - 1; i >= 0; i--) {
    const entry = launch.statusHistory[i];
    if (entry && entry.source !== 'console' && !isRequest(entry.status)) return entry.status;
  }
  // No history (an item older than the history, or made by hand): trust the status unless it is a request.
  return isRequest(launch.status) ? 'REGISTERED' : launch.status;
}

export type ConsoleEdit =
  | { kind: 'none' }
  | { kind: 'request'; request: RequestStatus }
  /** A status gwm does not take from a person: put back, with a note. */
  | { kind: 'refused'; typed: string };

/** What a person's edit of `status` asks for, if the stored status is not the one gwm recorded. */
export function consoleEditOf(launch: Launch): ConsoleEdit {
  if (launch.typedStatus !== undefined) return { kind: 'refused', typed: launch.typedStatus };
  if (isRequest(launch.status)) return { kind: 'request', request: launch.status };
  if (launch.status !== effectiveStatus(launch)) return { kind: 'refused', typed: launch.status };
  return { kind: 'none' };
}

export function historyEntry(status: LaunchStatus, at: Date | string, source: StatusSource): StatusEntry {
  return { status, at: typeof at === 'string' ? at : at.toISOString(), source };
}

/**
 * The next revision of a launch, as every gwm write makes it. A status a person typed that gwm
 * does not accept never survives a gwm write (the recorded status is put back); a CANCEL that a
 * status-changing write overtakes is kept as `cancelRequestedAt`, so the request is not lost.
 */
export function touchLaunch(launch: Launch, now: Date, changes: Partial<Launch>): Launch {
  const next: Launch = {
    ...launch,
    ...changes,
    typedStatus: undefined,
    updatedAt: now.toISOString(),
    revision: launch.revision + 1,
  };
  if (changes.status === undefined && consoleEditOf(launch).kind === 'refused') {
    next.status = effectiveStatus(launch);
  }
  if (
    launch.status === 'CANCEL' &&
    changes.status !== undefined &&
    changes.status !== 'CANCEL' &&
    !('cancelRequestedAt' in changes)
  ) {
    next.cancelRequestedAt = launch.cancelRequestedAt ?? now.toISOString();
  }
  return next;
}

export function isTerminal(status: LaunchStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function withHistory(history: StatusEntry[], entry: StatusEntry): StatusEntry[] {
  const next = [...history, entry];
  if (next.length <= STATUS_HISTORY_LIMIT) return next;
  // Keep where the launch started, drop the oldest of the rest.
  const [first, ...rest] = next;
  return first ? [first, ...rest.slice(rest.length - (STATUS_HISTORY_LIMIT - 1))] : rest;
}
