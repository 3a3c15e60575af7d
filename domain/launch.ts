import type { StorageType, WorkflowType } from './workflow.js';

/**
 * Launch states. REGISTERED launches exist but are not launchable until their batch is fully
 * registered (QUEUED). RETRY is never written by gwm: a person sets it in the console.
 */
export const LAUNCH_STATUSES = [
  'REGISTERED',
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
/** Statuses the launcher acts on (the stream filter in functions/event-sources.ts uses this list). */
export const LAUNCHABLE_STATUSES = [
  'QUEUED',
  'THROTTLED',
  'RETRY',
] as const satisfies readonly LaunchStatus[];

export type LaunchKind = 'SAMPLE' | 'QC';
export type StatusSource = 'gwm' | 'event' | 'reconciler' | 'console';

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
  priority?: number;
  tags: Record<string, string>;
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
  /** A readable explanation of the last thing gwm refused or deferred (for the console). */
  note?: string;
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

/**
 * The status a launch is really in. A person's RETRY edit overwrites `status`, so the last
 * status gwm recorded (the history) tells what the launch was before the edit.
 */
export function effectiveStatus(launch: Launch): LaunchStatus {
  if (launch.status !== 'RETRY') return launch.status;
  for (let i = launch.statusHistory.length - 1; i >= 0; i--) {
    const entry = launch.statusHistory[i];
    if (entry && entry.status !== 'RETRY') return entry.status;
  }
  return 'REGISTERED';
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
