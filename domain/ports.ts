import type { Batch } from './batch.js';
import type { CountDelta, OutcomeMark } from './completion.js';
import type { ComputePartial } from './cost/pricing.js';
import type { RunCost, RunStorageUse, RunTaskPage, RunUsage } from './cost/types.js';
import type { InputState } from './inputs/input-state.js';
import type { Restore, RestoreTier, RestoreWaiter } from './inputs/restore.js';
import type { Launch, LaunchStatus, RunStatus } from './launch.js';
import type { TokenBucketState } from './rate-limit.js';
import type { RunRequest } from './run-request.js';
import type { WaitingLaunch, WaitingStatus } from './scheduling/waiting.js';
import type { Team } from './teams/team.js';
import type { WorkflowProfile } from './workflow.js';

/** A lost optimistic-concurrency race is an expected outcome, not an error. */
export type WriteResult = 'written' | 'conflict';

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; absent on the last page. */
  cursor?: string;
  /** Items that fail their schema: left out of `items` (and reported) instead of failing the page. */
  skipped?: InvalidItem[];
}

/** A stored item gwm cannot read (a console edit broke it), named by its ids and what is wrong. */
export interface InvalidItem {
  entity: string;
  /** The item's id (a launch id), or '?' when even that is unreadable. */
  id: string;
  batchId?: string;
  issues: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface TimeRange {
  /** ISO-8601, inclusive. */
  from?: string;
  /** ISO-8601, inclusive. */
  to?: string;
}

/**
 * Launches as stored. Reads never fail a page for one unreadable item: it is left out, listed in
 * `skipped` and reported; `get` of an unreadable item throws (CORRUPT_ITEM) after reporting it.
 */
export interface LaunchRepository {
  get(batchId: string, launchId: string): Promise<Launch | undefined>;
  /**
   * Writes new launches. Idempotent: a launch still REGISTERED is written again (registration
   * items are deterministic); one that exists in any other status is left as it is. `fresh`: the
   * caller created their batch itself just now, so none of them can exist and none is read first.
   */
  putMany(launches: readonly Launch[], options?: { fresh?: boolean }): Promise<void>;
  /** Writes `next` only if the stored item still has `expected`'s revision and status. */
  replace(expected: Launch, next: Launch): Promise<WriteResult>;
  /** Launches whose current run has this id (run ids are reused after deletion: newest first). */
  findByRunId(runId: string): Promise<Launch[]>;
  listByBatch(batchId: string, page?: PageRequest & { status?: LaunchStatus }): Promise<Page<Launch>>;
  listBySample(sampleId: string, page?: PageRequest): Promise<Page<Launch>>;
  listByWorkflow(workflowId: string, range: TimeRange, page?: PageRequest): Promise<Page<Launch>>;
  listByStatus(status: LaunchStatus, range: TimeRange, page?: PageRequest): Promise<Page<Launch>>;
  /** A team's launches by creation time, newest first (the team index). */
  listByTeam(team: string, range: TimeRange, page?: PageRequest): Promise<Page<Launch>>;
}

/**
 * Launches waiting to start, as the status index holds them: no whole item is read, so counting
 * thousands costs index reads only. Unordered; the cursor goes on where the last page stopped.
 */
export interface WaitingLaunchReader {
  listWaiting(status: WaitingStatus, page?: PageRequest): Promise<Page<WaitingLaunch>>;
}

export interface BatchRepository {
  get(batchId: string): Promise<Batch | undefined>;
  /** Creates the batch unless one with its id exists. */
  create(batch: Batch): Promise<WriteResult>;
  replace(expected: Batch, next: Batch): Promise<WriteResult>;
  listRecent(range: TimeRange, page?: PageRequest): Promise<Page<Batch>>;
  /** Batches not finished yet (REGISTERED, ACTIVE, QC_RUNNING), newest first. */
  listOpen(page?: PageRequest): Promise<Page<Batch>>;
  /** Batches whose registration has not finished (REGISTERING, REGISTERED), newest first. */
  listUnfinishedRegistrations(page?: PageRequest): Promise<Page<Batch>>;
  /**
   * Batches held over their budget, newest first; also those a person has edited since (the
   * status typed over a held batch keeps it in this listing until gwm rewrites the item).
   */
  listHeld(page?: PageRequest): Promise<Page<Batch>>;
  /** Batches whose notification is marked SENDING (the caller decides which marks are old enough). */
  listSending(page?: PageRequest): Promise<Page<Batch>>;
}

export interface WorkflowProfileRepository {
  list(): Promise<WorkflowProfile[]>;
  get(name: string): Promise<WorkflowProfile | undefined>;
  put(profile: WorkflowProfile): Promise<void>;
}

export interface TeamRepository {
  list(): Promise<Team[]>;
  get(name: string): Promise<Team | undefined>;
  put(team: Team): Promise<void>;
  /** false: there was no such team. */
  remove(name: string): Promise<boolean>;
}

/**
 * What the launch queue reads of an open batch (the rest of the item is not fetched); `priority`
 * as stored, whatever case a person typed it in.
 */
export type QueuedBatch = Pick<Batch, 'batchId' | 'team' | 'createdAt'> & { priority?: string };

/**
 * The launch queue as the table holds it (see domain/scheduling/launch-queue.ts): reads are
 * eventually consistent, so what they list is a candidate, and the claim decides.
 */
export interface LaunchQueueStore {
  /** Batches that may have launches waiting (REGISTERED, ACTIVE, QC_RUNNING): what the choice reads of them. */
  openBatches(): Promise<QueuedBatch[]>;
  /** Ids of batches being registered (REGISTERING), oldest first. */
  registeringBatches(): Promise<string[]>;
  /** The first `limit` waiting launch ids of a batch, in sample order. */
  waiting(batchId: string, limit: number): Promise<string[]>;
  /** Launch ids of a team's runs in flight, at most `limit`. */
  inFlight(team: string | undefined, limit: number): Promise<string[]>;
  /** Stored passes of the flows (absent: never served), and the virtual pass (0: none yet). */
  passes(flows: readonly string[]): Promise<{ passes: Map<string, number>; virtualPass: number }>;
  /**
   * A turn of `flow` served at `pass`: raises the flow's stored pass to `pass` if it is lower
   * (idempotent), then adds `stride` (atomic: concurrent launchers' starts all count), and raises
   * the virtual pass to `pass` (never lowers it).
   */
  served(flow: string, stride: number, pass: number): Promise<void>;
}

export interface RateLimitStore {
  get(name: string): Promise<{ state: TokenBucketState; revision: number } | undefined>;
  /** Writes the new state if the stored revision is still `revision` (undefined: not stored yet). */
  put(name: string, state: TokenBucketState, revision: number | undefined): Promise<WriteResult>;
}

export type StartRunResult =
  | { ok: true; runId: string; runUuid?: string; runArn?: string }
  | { ok: false; retryable: boolean; throttled: boolean; code: string; message: string };

export type CancelRunResult =
  | { ok: true }
  /** retryable: throttling or a fault (ask again later); otherwise the engine refused for good. */
  | { ok: false; retryable: boolean; code: string; message: string };

export interface RunDetails {
  runId: string;
  runUuid?: string;
  runArn?: string;
  status: RunStatus;
  name?: string;
  failureReason?: string;
  statusMessage?: string;
  runOutputUri?: string;
  tags: Record<string, string>;
  /** What pricing needs: workflow type, storage, RUNNING start and stop (absent while unknown). */
  usage?: RunUsage;
}

/** One row of the engine's run list. */
export interface RunSummary {
  runId: string;
  runUuid?: string;
  runArn?: string;
  name?: string;
  status: RunStatus;
}

/** The workflow engine (HealthOmics, or the embedded runtime's local engine). */
export interface WorkflowEngine {
  startRun(request: RunRequest): Promise<StartRunResult>;
  /** Undefined when the engine does not know the run (never existed, or removed by retention). */
  getRun(runId: string): Promise<RunDetails | undefined>;
  /** Runs with exactly this name (ListRuns filters by name prefix; the adapter keeps exact matches). */
  listRunsByName(name: string): Promise<RunSummary[]>;
  /** Asks the engine to stop the run; it then reports STOPPING and CANCELLED like any status. */
  cancelRun(runId: string): Promise<CancelRunResult>;
  /** One page of the run's tasks (`ListRunTasks`); at most `maxResults` (HealthOmics: 100). */
  listRunTasks(runId: string, page: { startingToken?: string; maxResults?: number }): Promise<RunTaskPage>;
}

export interface RunLogTail {
  /** Where a person finds the whole log (log group and stream). */
  location: string;
  lines: string[];
}

export interface RunLogReader {
  tail(runId: string, maxLines: number): Promise<RunLogTail | undefined>;
}

/**
 * A finished run's manifest (HealthOmics writes it to the log stream `manifest/run/<id>/<uuid>`
 * when the run ends): the storage the run used, which DYNAMIC run storage is billed on.
 */
export interface RunManifestReader {
  /**
   * Undefined when the run has no manifest (yet): it is written as the run ends. A manifest whose
   * run record has no storage figures gives an empty use.
   */
  storageUse(runId: string, runUuid?: string): Promise<RunStorageUse | undefined>;
}

/** A manifest object as read from the manifest bucket. */
export interface ManifestObjectContent {
  sizeBytes: number;
  eTag?: string;
  versionId?: string;
  /** Absent when the object is larger than `maxBytes`: it is never downloaded. */
  text?: string;
}

/** Reads uploaded manifests: the intake, and the reconciler resuming a registration that stopped. */
export interface ManifestObjectReader {
  /** Throws ManifestGoneError when the object, or the version asked for, no longer exists. */
  read(
    bucket: string,
    key: string,
    options: { versionId?: string; maxBytes: number },
  ): Promise<ManifestObjectContent>;
}

/** Objects gwm writes for runs to read (the QC run's list of sample outputs). */
export interface ObjectStore {
  /** Writes a text object at an `s3://bucket/key` URI (overwriting: the same content each time). */
  putText(uri: string, text: string): Promise<void>;
}

/** The per-launch counting marks and the batch counters, written together. */
export interface OutcomeLedger {
  get(batchId: string, launchId: string): Promise<OutcomeMark | undefined>;
  /**
   * Writes `next` (if the stored mark is still `expected`) and adds `delta` to the batch's
   * counters, in one transaction: an attempt is counted once or not at all.
   */
  record(
    expected: OutcomeMark | undefined,
    next: OutcomeMark,
    delta: CountDelta,
    now: string,
  ): Promise<WriteResult>;
}

/** One finished run attempt to price: sent once its terminal status is stored (duplicates are fine). */
export interface CostRequest {
  batchId: string;
  launchId: string;
  attempt: number;
  /** Absent when the attempt never had a run (LAUNCH_FAILED): nothing to price. */
  runId?: string;
}

/** Where finished attempts wait to be priced (SQS on AWS, a local queue on the embedded runtime). */
export interface CostQueue {
  send(request: CostRequest): Promise<void>;
}

export const COST_MARK_STATES = ['COLLECTING', 'PRICED'] as const;

/**
 * Pricing progress of one run attempt, kept beside its launch: the engine's task list is read page
 * by page, possibly over several invocations, and the attempt's cost is added to its batch once.
 */
export interface CostMark {
  batchId: string;
  launchId: string;
  attempt: number;
  runId: string;
  /** COLLECTING: pages read so far are summed in `compute`; PRICED: `cost` is final and on the batch. */
  state: (typeof COST_MARK_STATES)[number];
  usage?: RunUsage;
  compute?: ComputePartial;
  /** ListRunTasks pages read so far, and the token of the next one (absent after the last). */
  pagesRead: number;
  nextToken?: string;
  cost?: RunCost;
  revision: number;
}

/** The per-attempt cost marks and the batch cost totals, written together. */
export interface CostLedger {
  get(batchId: string, launchId: string, attempt: number): Promise<CostMark | undefined>;
  /** Stores progress (if the stored mark is still `expected`); adds nothing to the batch. */
  saveProgress(expected: CostMark | undefined, next: CostMark, now: string): Promise<WriteResult>;
  /**
   * Marks the attempt PRICED with `next.cost` and adds that cost to its batch's `cost` totals, in
   * one transaction conditioned on the stored mark still being `expected` (never PRICED): an
   * attempt's cost is added once or not at all.
   */
  settle(
    expected: CostMark | undefined,
    next: CostMark & { cost: RunCost },
    now: string,
  ): Promise<WriteResult>;
}

/**
 * What S3 says of each input (HeadObject; a URI that names a folder is listed): there and readable
 * with its size and storage class, missing, refused, or not answered. Intake rejects a manifest
 * whose inputs are missing or refused before anything is launched.
 */
export interface InputInspector {
  /** One state per distinct URI asked for. */
  inspect(uris: readonly string[]): Promise<Map<string, InputState>>;
}

/** Restore items (one per archived object) and the launches waiting for each. */
export interface RestoreRepository {
  get(uri: string): Promise<Restore | undefined>;
  /** Written only if there is no restore item for the object yet. */
  create(restore: Restore): Promise<WriteResult>;
  /** Written only if the stored item is still `expected` (same revision). */
  replace(expected: Restore, next: Restore): Promise<WriteResult>;
  addWaiters(uri: string, waiters: readonly RestoreWaiter[]): Promise<void>;
  listWaiters(uri: string, page?: PageRequest): Promise<Page<RestoreWaiter>>;
  /** REQUESTED restores due at or before `dueBy`, soonest first. */
  listDue(dueBy: string, page?: PageRequest): Promise<Page<Restore>>;
}

/**
 * S3 RestoreObject. `started`: a restore began; `in-progress`: one was under way already
 * (RestoreAlreadyInProgress counts as success); `restored`: a restored copy exists (its expiry was
 * extended). Throws RestoreRefusedError when S3 refuses for good; other errors are worth retrying.
 */
export interface ObjectRestorer {
  restore(
    uri: string,
    request: { tier: RestoreTier; days: number; storageClass: string },
  ): Promise<'started' | 'in-progress' | 'restored'>;
}

/**
 * Sizes of input objects (S3 HeadObject; a prefix is the sum of the objects under it). What an
 * estimate rests on; an input that cannot be sized (missing, no access) is simply left out.
 */
export interface InputSizer {
  /** Bytes by URI, for the URIs that could be sized; the others are absent from the map. */
  sizes(uris: readonly string[]): Promise<Map<string, number>>;
}
