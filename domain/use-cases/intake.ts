import { type Batch, batchIdFor, defaultBatchName, NO_COUNTS, PROBLEMS_KEPT, sha256Hex } from '../batch.js';
import { overBudget } from '../cost/estimate.js';
import { RetryableError } from '../errors.js';
import { inputProblems, sizesOf, unanswered } from '../inputs/input-problems.js';
import { type ArchivedFinding, archivedFindings, type InputState } from '../inputs/input-state.js';
import type { RestoreWaiter } from '../inputs/restore.js';
import { type ArchivedInput, launchIdFor } from '../launch.js';
import { oversizedSamples } from '../launch-item-size.js';
import { parseManifest } from '../manifest/index.js';
import type { BatchPlan, InputLocation, ManifestLimits, ManifestProblem } from '../manifest/types.js';
import type {
  BatchRepository,
  InputInspector,
  LaunchRepository,
  TeamRepository,
  WorkflowProfileRepository,
} from '../ports.js';
import { registeredLaunch, releasedLaunch } from '../registration.js';
import { DEFAULT_BATCH_PRIORITY } from '../teams/team.js';
import { estimateSamples } from './estimate-batch.js';
import { inTeamRunGroup, manifestTeam, teamProblems } from './manifest-team.js';
import { release } from './release-launches.js';
import {
  type ArchivedObject,
  type RestoreDeps,
  type RestoreOutlook,
  requestRestores,
} from './request-restores.js';

export interface ManifestObject {
  bucket: string;
  /** Decoded object key. */
  key: string;
  versionId?: string;
  eTag?: string;
  sizeBytes: number;
  /** The object's content; absent when it was too large to read. */
  text?: string;
  /** Who uploaded it (the S3 event's `userIdentity.principalId`). */
  submittedBy?: string;
}

export interface IntakeDeps {
  batches: BatchRepository;
  launches: LaunchRepository;
  profiles: WorkflowProfileRepository;
  teams: TeamRepository;
  /** The team of manifests uploaded outside `teams/`; absent: they are rejected. */
  defaultTeam?: string;
  limits: ManifestLimits;
  allowedReadPrefixes: readonly string[];
  allowedWritePrefixes: readonly string[];
  now: () => Date;
  /** Unique per invocation: the registration lease holder. */
  owner: string;
  /** How long a registration lease lasts without renewal; a crashed registration is taken over after it. */
  leaseMs: number;
  /** Launch items written between lease checks. */
  chunkSize: number;
  /** Concurrent single-item writes while releasing launches. */
  releaseConcurrency: number;
  /**
   * Asks S3 about every input (there, readable, its size and storage class): a manifest whose
   * inputs are missing or refused is rejected, and the sizes feed the batch's cost estimate.
   */
  inputs: InputInspector;
  /** Restores of archived inputs: asked for at registration, waited for by their launches. */
  restores: RestoreDeps;
  /** Launches of a workflow read for its history at most (newest first), per workflow and batch. */
  historyLaunches: number;
  /** The budget of a batch whose manifest sets none; absent: no budget. */
  budgetDefaultMaxUsd?: number;
  onProgress?: (progress: {
    batchId: string;
    phase: 'inputs' | 'write' | 'registered' | 'release';
    done: number;
    total: number;
  }) => void;
}

export type IntakeOutcome =
  | { kind: 'registered'; batch: Batch; launchesWritten: number; released: number; resumed: boolean }
  /** Every launch written, none released: the estimate is over the budget (HELD_OVER_BUDGET). */
  | { kind: 'held'; batch: Batch; launchesWritten: number; resumed: boolean }
  | { kind: 'rejected'; batch: Batch; problems: ManifestProblem[] }
  | { kind: 'duplicate'; batch: Batch };

/**
 * Registers a manifest all or nothing: the batch is created REGISTERING under a lease, every
 * launch item is written ready to launch (QUEUED, or WAITING_FOR_INPUTS), and the batch flips to
 * ACTIVE once the last one is written. Nothing starts before the flip: the launcher's
 * registration gate holds the launches of a REGISTERING batch. A batch over its budget is written
 * REGISTERED and HELD_OVER_BUDGET instead (released later); a resumed registration flips to
 * REGISTERED and releases what an earlier attempt left REGISTERED. A redelivered event resumes
 * whichever step was interrupted; identical items are simply written again (a launch that has
 * moved on never is: see LaunchRepository.putMany).
 */
export async function registerManifest(deps: IntakeDeps, object: ManifestObject): Promise<IntakeOutcome> {
  const contentSha256 =
    object.text !== undefined
      ? sha256Hex(object.text)
      : `unread:${object.eTag ?? object.versionId ?? object.sizeBytes}`;
  const batchId = batchIdFor(object.bucket, object.key, contentSha256);
  const existing = await deps.batches.get(batchId);

  if (existing?.status === 'REGISTERED') return release(deps, existing, 0, true);
  // Only an unfinished registration is resumed. A batch past it (launching, running QC, finished,
  // reopened by a retry) is left exactly as it is: writing its launches again would put them back
  // to REGISTERED and start every sample again. A REJECTED one is checked again below: the
  // deployment may have been fixed since (a profile added, a prefix allowed), and the same bytes
  // are the same batch.
  if (existing !== undefined && existing.status !== 'REGISTERING' && existing.status !== 'REJECTED')
    return { kind: 'duplicate', batch: existing };

  const now = deps.now();
  const profiles = new Map((await deps.profiles.list()).map((profile) => [profile.name, profile]));
  const defaultName = defaultBatchName(object.key);
  const owner = await manifestTeam(deps.teams, object.key, {
    readPrefixes: deps.allowedReadPrefixes,
    writePrefixes: deps.allowedWritePrefixes,
    defaultTeam: deps.defaultTeam,
  });
  const parsed = parseManifest(
    { text: object.text ?? '', sizeBytes: object.sizeBytes },
    {
      limits: deps.limits,
      allowedReadPrefixes: owner.allowedReadPrefixes,
      allowedWritePrefixes: owner.allowedWritePrefixes,
      prefixOwner: owner.prefixOwner,
      profiles,
      batch: { id: batchId, defaultName },
    },
  );
  const base = {
    batchId,
    ...(owner.team && { team: owner.team.name }),
    ...(object.submittedBy !== undefined && { submittedBy: object.submittedBy }),
    sourceUri: `s3://${object.bucket}/${object.key}`,
    sourceVersionId: object.versionId,
    sourceETag: object.eTag,
    contentSha256,
    releasedCount: 0,
    counts: NO_COUNTS,
    round: 1,
    qcAttempt: 0,
    notifiedRound: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    revision: 1,
  };

  // A manifest its team may not upload is refused before anything else is asked.
  const notTheTeams = parsed.ok ? teamProblems(parsed.plan, owner) : [];
  // Every launch item must fit DynamoDB's item limit with room to grow: checked before anything is written.
  const tooLarge =
    parsed.ok && notTheTeams.length === 0
      ? oversizedSamples({ ...base, name: parsed.plan.name }, parsed.plan)
      : notTheTeams;
  // Then every input must be there and readable: S3 is asked only about a manifest otherwise valid.
  const inputs =
    parsed.ok && tooLarge.length === 0 ? await checkInputs(deps, parsed.plan.inputLocations) : undefined;
  if (inputs !== undefined)
    deps.onProgress?.({ batchId, phase: 'inputs', done: inputs.states.size, total: inputs.states.size });
  const refused = inputs?.problems ?? tooLarge;
  const result =
    parsed.ok && refused.length > 0
      ? {
          ok: false as const,
          format: parsed.plan.format,
          name: parsed.plan.name,
          notifications: parsed.plan.notifications,
          problems: refused,
        }
      : !parsed.ok && owner.refusal
        ? { ...parsed, problems: [owner.refusal, ...parsed.problems] }
        : parsed;

  // Still invalid: told once already, so a resubmission changes nothing and sends nothing.
  if (!result.ok && existing?.status === 'REJECTED') return { kind: 'duplicate', batch: existing };
  if (!result.ok) {
    const rejected: Batch = {
      ...base,
      name: result.name ?? defaultName,
      format: result.format,
      status: 'REJECTED',
      qcState: 'NONE',
      notifications: result.notifications,
      sampleCount: 0,
      problems: result.problems.slice(0, PROBLEMS_KEPT),
      problemCount: result.problems.length,
    };
    if ((await deps.batches.create(rejected)) === 'conflict') {
      const stored = await deps.batches.get(batchId);
      return { kind: 'duplicate', batch: stored ?? rejected };
    }
    return { kind: 'rejected', batch: rejected, problems: result.problems };
  }

  const plan = inTeamRunGroup(result.plan, owner.team);
  // Sized and estimated before the lease is taken: the lease then covers the writes alone.
  const sizes = sizesOf(inputs?.states ?? new Map());
  const estimates = await estimateSamples(
    {
      launches: deps.launches,
      sizer: { sizes: async () => sizes },
      historyLaunches: deps.historyLaunches,
    },
    plan.samples.map((spec) => ({ sampleId: spec.sampleId, workflow: spec.workflow, inputs: spec.inputs })),
    now,
  );
  const budgetMaxUsd = plan.budgetMaxUsd ?? deps.budgetDefaultMaxUsd;
  let batch = await holdLease(deps, existing, {
    ...base,
    name: plan.name,
    format: plan.format,
    submitter: plan.submitter,
    priority: plan.priority ?? DEFAULT_BATCH_PRIORITY,
    status: 'REGISTERING',
    qcState: plan.qc ? 'WAITING' : 'NONE',
    sampleCount: plan.samples.length,
    qc: plan.qc,
    notifications: plan.notifications,
    estimate: estimates.batch,
    ...(budgetMaxUsd !== undefined && { budgetMaxUsd }),
  });

  // Archived inputs are asked for now, before any launch waits for them (QC's too: it runs last).
  const archived = archivedFindings(
    plan.inputLocations.map((location) => location.uri),
    inputs?.states ?? new Map(),
  );
  const outlook =
    archived.size === 0
      ? new Map<string, RestoreOutlook>()
      : await requestRestores(
          plan.restoreTier
            ? { ...deps.restores, settings: { ...deps.restores.settings, tier: plan.restoreTier } }
            : deps.restores,
          waitersOf(batchId, plan, archived),
        );

  // Items are built a chunk at a time: a 10,000-sample batch never holds every item in memory.
  // A batch this call created, within its budget, gets its launches written ready (QUEUED, or
  // WAITING_FOR_INPUTS): the launcher's registration gate holds them until the batch flips, so no
  // release pass is needed, and there is nothing to read before writing them. Otherwise (over the
  // budget, an input whose restore already failed, or a registration resumed after an earlier
  // attempt) a launch is written REGISTERED and released after the flip.
  const held = overBudget({ budgetMaxUsd, estimate: estimates.batch });
  const fresh = existing === undefined;
  const writeReady = fresh && !held;
  const createdAt = new Date(batch.createdAt);
  const total = plan.samples.length;
  const order = new Map(plan.samples.map((spec, index) => [spec.sampleId, index]));
  let ready = 0;
  // A lease that ran out, even for a moment, may have let the launcher's gate give up on launches
  // written ready: then the batch is released as a resumed one, which tells the launcher again.
  let lapsed = false;
  const leaseRanOut = () => Date.parse(batch.registrationExpiresAt ?? '') < deps.now().getTime();
  for (let start = 0; start < total; start += deps.chunkSize) {
    lapsed ||= leaseRanOut();
    batch = await renewLease(deps, batch);
    const chunk = plan.samples.slice(start, start + deps.chunkSize).map((spec) => {
      const launch = registeredLaunch(
        batch,
        spec,
        estimates.bySample.get(spec.sampleId),
        archivedInputsOf(spec.inputs, archived, outlook),
        order.get(spec.sampleId),
      );
      const released = writeReady ? releasedLaunch(launch, createdAt) : undefined;
      if (!released || released.status === 'LAUNCH_FAILED') return launch;
      ready++;
      return released;
    });
    await deps.launches.putMany(chunk, { fresh });
    deps.onProgress?.({ batchId, phase: 'write', done: Math.min(start + deps.chunkSize, total), total });
  }

  lapsed ||= leaseRanOut();
  const registeredAt = deps.now().toISOString();
  const direct = writeReady && ready === total && !lapsed;
  const qcArchived = plan.qc ? archivedInputsOf(plan.qc.inputs, archived, outlook) : [];
  const registered: Batch = {
    ...batch,
    ...(qcArchived.length > 0 && { qcArchivedInputs: qcArchived }),
    status: held ? 'HELD_OVER_BUDGET' : direct ? 'ACTIVE' : 'REGISTERED',
    estimate: estimates.batch,
    budgetMaxUsd,
    ...(held && { heldAt: registeredAt }),
    ...(direct && { releasedCount: total }),
    registeredAt,
    registrationOwner: undefined,
    registrationExpiresAt: undefined,
    updatedAt: registeredAt,
    revision: batch.revision + 1,
  };
  if ((await deps.batches.replace(batch, registered)) === 'conflict') {
    throw new RetryableError(
      'REGISTRATION_LEASE_LOST',
      `batch ${batchId} changed while it was being registered`,
    );
  }
  deps.onProgress?.({ batchId, phase: 'registered', done: total, total });
  if (held) {
    return {
      kind: 'held',
      batch: registered,
      launchesWritten: total,
      resumed: existing?.status === 'REGISTERING',
    };
  }
  if (direct)
    return { kind: 'registered', batch: registered, launchesWritten: total, released: ready, resumed: false };
  return release(deps, registered, total, existing?.status === 'REGISTERING' || lapsed);
}

/** Each archived object with the launches (samples) that will wait for it. */
function waitersOf(
  batchId: string,
  plan: BatchPlan,
  archived: ReadonlyMap<string, ArchivedFinding>,
): ArchivedObject[] {
  const waiters = new Map<string, RestoreWaiter[]>([...archived.keys()].map((uri) => [uri, []]));
  for (const spec of plan.samples) {
    for (const uri of new Set(Object.values(spec.inputs))) {
      waiters.get(uri)?.push({ batchId, launchId: launchIdFor(batchId, spec.sampleId) });
    }
  }
  return [...archived.values()].map((finding) => ({ ...finding, waiters: waiters.get(finding.uri) ?? [] }));
}

/** The sample's archived inputs, each as its restore stands (restored, failed, or still waited for). */
function archivedInputsOf(
  inputs: Record<string, string>,
  archived: ReadonlyMap<string, ArchivedFinding>,
  outlook: ReadonlyMap<string, RestoreOutlook>,
): ArchivedInput[] {
  return [...new Set(Object.values(inputs))].flatMap((uri) => {
    const finding = archived.get(uri);
    if (!finding) return [];
    const state = outlook.get(uri);
    return [
      {
        uri,
        storageClass: finding.storageClass,
        ...(state?.kind === 'restored' && { restoredAt: state.at }),
        ...(state?.kind === 'restored' && state.expiresAt !== undefined && { expiresAt: state.expiresAt }),
        ...(state?.kind === 'failed' && { failure: state.reason }),
        ...(state?.kind === 'waiting' && { dueAt: state.dueAt }),
      },
    ];
  });
}

/**
 * Asks S3 about every distinct input once. An input S3 did not answer for (throttled, failing)
 * keeps the manifest from being judged at all: the event is retried rather than the batch rejected
 * for an input that may well be there.
 */
async function checkInputs(
  deps: IntakeDeps,
  locations: readonly InputLocation[],
): Promise<{ states: Map<string, InputState>; problems: ManifestProblem[] }> {
  const states = await deps.inputs.inspect(locations.map((location) => location.uri));
  const silent = unanswered(states);
  const first = silent[0];
  if (first !== undefined) {
    throw new RetryableError(
      'INPUTS_NOT_CHECKED',
      `S3 did not answer for ${silent.length} input(s) (${first.uri}: ${first.reason}); the manifest is checked again`,
    );
  }
  return { states, problems: inputProblems(locations, states) };
}

/**
 * Creates the REGISTERING batch, takes over the lease of a registration that stopped, or turns a
 * REJECTED batch whose manifest is now valid into a registration (a conditional write, so two
 * resubmissions cannot both take it).
 */
async function holdLease(deps: IntakeDeps, existing: Batch | undefined, fresh: Batch): Promise<Batch> {
  const now = deps.now();
  const lease = {
    registrationOwner: deps.owner,
    registrationExpiresAt: new Date(now.getTime() + deps.leaseMs).toISOString(),
  };
  if (!existing) {
    const created = { ...fresh, ...lease };
    if ((await deps.batches.create(created)) === 'written') return created;
    throw new RetryableError('REGISTRATION_IN_PROGRESS', `batch ${fresh.batchId} was created concurrently`);
  }
  if (existing.status === 'REJECTED') {
    // A full rewrite: the rejection's problems go with it.
    const resubmitted = { ...fresh, ...lease, revision: existing.revision + 1 };
    if ((await deps.batches.replace(existing, resubmitted)) === 'written') return resubmitted;
    throw new RetryableError(
      'REGISTRATION_IN_PROGRESS',
      `batch ${existing.batchId} was resubmitted concurrently`,
    );
  }
  if (existing.registrationExpiresAt && existing.registrationExpiresAt > now.toISOString()) {
    throw new RetryableError(
      'REGISTRATION_IN_PROGRESS',
      `batch ${existing.batchId} is being registered by ${existing.registrationOwner} until ${existing.registrationExpiresAt}`,
    );
  }
  const taken = { ...existing, ...lease, updatedAt: now.toISOString(), revision: existing.revision + 1 };
  if ((await deps.batches.replace(existing, taken)) === 'written') return taken;
  throw new RetryableError(
    'REGISTRATION_IN_PROGRESS',
    `batch ${existing.batchId} was taken over concurrently`,
  );
}

/** Extends the lease once half of it is used, so a live registration is never taken over. */
async function renewLease(deps: IntakeDeps, batch: Batch): Promise<Batch> {
  const now = deps.now();
  const expires = batch.registrationExpiresAt ? Date.parse(batch.registrationExpiresAt) : 0;
  if (expires - now.getTime() > deps.leaseMs / 2) return batch;
  const renewed = {
    ...batch,
    registrationExpiresAt: new Date(now.getTime() + deps.leaseMs).toISOString(),
    updatedAt: now.toISOString(),
    revision: batch.revision + 1,
  };
  if ((await deps.batches.replace(batch, renewed)) === 'written') return renewed;
  throw new RetryableError(
    'REGISTRATION_LEASE_LOST',
    `lost the registration lease of batch ${batch.batchId}`,
  );
}
