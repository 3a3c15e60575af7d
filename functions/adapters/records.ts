import * as z from 'zod';
import {
  BATCH_STATUSES,
  type Batch,
  type BatchStatus,
  NO_COUNTS,
  NOTIFICATION_STATES,
  QC_STATES,
} from '../../domain/batch.js';
import { GwmError } from '../../domain/errors.js';
import { RESTORE_STATES, RESTORE_TIERS, type Restore } from '../../domain/inputs/restore.js';
import { LAUNCH_KINDS, LAUNCH_STATUSES, type Launch, STATUS_SOURCES } from '../../domain/launch.js';
import { workflowProfileSchema } from '../../domain/manifest/profile-schema.js';
import { RUN_CACHE_ID } from '../../domain/manifest/run-cache-schema.js';
import { MANIFEST_FORMATS } from '../../domain/manifest/types.js';
import { batchPriorityOf, type Team } from '../../domain/teams/team.js';
import { teamSchema } from '../../domain/teams/team-schema.js';
import {
  CACHE_BEHAVIORS,
  STORAGE_TYPES,
  WORKFLOW_TYPES,
  type WorkflowProfile,
} from '../../domain/workflow.js';

/**
 * Items are read back through these schemas rather than cast: people edit them in the console,
 * so a malformed item must surface as a clear error naming the attribute.
 */
const stringMap = z.record(z.string(), z.string());
/** An optional attribute: absent, or a NULL a person set in the console, reads as undefined. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? undefined);

/** A record schema names every field of its domain type, each once (as entities.ts does). */
type FieldsOf<T> = Record<keyof T, z.ZodType>;

const statusEntry = z.object({
  status: z.enum(LAUNCH_STATUSES),
  at: z.string(),
  source: z.enum(STATUS_SOURCES),
});

/** A run attempt's cost as the cost collector stores it (domain/cost/types.ts RunCost). */
export const runCostRecord = z.object({
  totalUsd: z.number(),
  computeUsd: z.number(),
  storageUsd: z.number(),
  taskCount: z.number(),
  cachedTaskCount: opt(z.number()),
  instanceHours: z.record(z.string(), z.number()),
  priceList: z.string(),
  estimated: opt(z.boolean()),
  missingPrices: opt(z.array(z.string())),
  attempt: z.number(),
  pricedAt: z.string(),
});

const batchCostRecord = z.object({
  totalUsd: z.number().default(0),
  computeUsd: z.number().default(0),
  storageUsd: z.number().default(0),
  runsPriced: z.number().default(0),
  runsEstimated: z.number().default(0),
});

const estimateRange = z.object({ expected: z.number(), low: z.number(), high: z.number() });

const sampleEstimate = z.object({
  costUsd: opt(estimateRange),
  durationSeconds: opt(estimateRange),
  basedOnRuns: z.number(),
  inputBytes: opt(z.number()),
});

const batchEstimate = z.object({
  costUsd: opt(estimateRange),
  samplesEstimated: z.number(),
  samplesWithoutHistory: z.number(),
  estimatedAt: z.string(),
});

/** People raise a held batch's budget in the console: a number, or a string that holds one. */
const usdAmount = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.number().nonnegative(),
);

const previousAttempt = z.object({
  attempt: z.number(),
  status: z.enum(LAUNCH_STATUSES),
  requestId: opt(z.string()),
  runId: opt(z.string()),
  runUuid: opt(z.string()),
  failureReason: opt(z.string()),
  logLocation: opt(z.string()),
  finishedAt: opt(z.string()),
  cost: opt(runCostRecord),
});

/** The run cache a launch names; a person may edit it in the console, so it is checked like the rest. */
const runCacheRecord = z.object({
  id: z.string().regex(RUN_CACHE_ID, 'a run cache id is 1-18 digits'),
  behavior: opt(z.enum(CACHE_BEHAVIORS)),
});

/** An archived input and its restore (on a launch, and the QC's on its batch). */
const archivedInput = z.object({
  uri: z.string(),
  storageClass: z.string(),
  restoredAt: opt(z.string()),
  expiresAt: opt(z.string()),
  dueAt: opt(z.string()),
  failure: opt(z.string()),
});

export const launchRecord = z.object({
  launchId: z.string(),
  batchId: z.string(),
  sampleId: z.string(),
  kind: z.enum(LAUNCH_KINDS),
  batchName: z.string(),
  workflowId: z.string(),
  workflowType: z.enum(WORKFLOW_TYPES),
  workflowVersion: opt(z.string()),
  profile: opt(z.string()),
  inputs: opt(stringMap).transform((value) => value ?? {}),
  parameters: opt(z.record(z.string(), z.unknown())).transform((value) => value ?? {}),
  outputUri: z.string(),
  storageType: z.enum(STORAGE_TYPES),
  storageCapacity: opt(z.number()),
  runGroupId: opt(z.string()),
  runCache: opt(runCacheRecord),
  team: opt(z.string()),
  order: opt(z.number()),
  priority: opt(z.number()),
  tags: opt(stringMap).transform((value) => value ?? {}),
  // People type the status by hand in the console: accept any case and stray spaces.
  status: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toUpperCase() : value),
    z.enum(LAUNCH_STATUSES),
  ),
  attempt: z.number().int().positive(),
  requestId: opt(z.string()),
  runName: opt(z.string()),
  runId: opt(z.string()),
  runUuid: opt(z.string()),
  runArn: opt(z.string()),
  runOutputUri: opt(z.string()),
  failureReason: opt(z.string()),
  statusMessage: opt(z.string()),
  logLocation: opt(z.string()),
  logExcerpt: opt(z.string()),
  inputBytes: opt(z.number()),
  archivedInputs: opt(z.array(archivedInput)),
  estimate: opt(sampleEstimate),
  note: opt(z.string()),
  typedStatus: opt(z.string()),
  cancelRequestedAt: opt(z.string()),
  statusHistory: opt(z.array(statusEntry)).transform((value) => value ?? []),
  attempts: opt(z.array(previousAttempt)).transform((value) => value ?? []),
  cost: opt(runCostRecord),
  claimToken: opt(z.string()),
  claimExpiresAt: opt(z.string()),
  throttledCount: opt(z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: opt(z.string()),
  finishedAt: opt(z.string()),
  revision: z.number(),
} satisfies FieldsOf<Launch>) satisfies z.ZodType<Launch, unknown>;

export const batchRecord = z.object({
  batchId: z.string(),
  name: z.string(),
  format: opt(z.enum(MANIFEST_FORMATS)),
  sourceUri: z.string(),
  sourceVersionId: opt(z.string()),
  sourceETag: opt(z.string()),
  contentSha256: z.string(),
  team: opt(z.string()),
  submitter: opt(z.string()),
  submittedBy: opt(z.string()),
  // A person edits it in the console: any case and spacing is read; anything else counts as normal.
  priority: opt(z.string()).transform((value) => (value === undefined ? undefined : batchPriorityOf(value))),
  status: z.enum(BATCH_STATUSES as [BatchStatus, ...BatchStatus[]]),
  sampleCount: z.number(),
  releasedCount: z.number(),
  qc: opt(z.any()),
  qcArchivedInputs: opt(z.array(archivedInput)),
  notifications: opt(z.any()),
  problems: opt(z.array(z.object({ path: z.string(), code: z.any(), message: z.string() }))),
  problemCount: opt(z.number()),
  registrationOwner: opt(z.string()),
  registrationExpiresAt: opt(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  registeredAt: opt(z.string()),
  estimate: opt(batchEstimate),
  budgetMaxUsd: opt(usdAmount),
  heldAt: opt(z.string()),
  releasedAt: opt(z.string()),
  counts: opt(
    z.object({
      succeeded: z.number().default(0),
      failed: z.number().default(0),
      cancelled: z.number().default(0),
      launchFailed: z.number().default(0),
      deleted: z.number().default(0),
    }),
  ).transform((value) => value ?? { ...NO_COUNTS }),
  round: opt(z.number()).transform((value) => value ?? 1),
  retriesCounted: opt(z.number()),
  roundRetries: opt(z.number()),
  qcState: opt(z.enum(QC_STATES)).transform((value) => value ?? 'NONE'),
  qcReason: opt(z.string()),
  qcAttempt: opt(z.number()).transform((value) => value ?? 0),
  notifiedRound: opt(z.number()).transform((value) => value ?? 0),
  notificationState: opt(z.enum(NOTIFICATION_STATES)),
  notificationAt: opt(z.string()),
  notificationError: opt(z.string()),
  notificationFailures: opt(z.number()),
  finishedAt: opt(z.string()),
  cost: opt(batchCostRecord),
  revision: z.number(),
} satisfies FieldsOf<Batch>) satisfies z.ZodType<Batch, unknown>;

/** The profile document schema itself (domain/manifest), plus what the table adds. */
export const profileRecord = workflowProfileSchema
  .extend({ updatedAt: opt(z.string()) })
  .transform(({ updatedAt: _updatedAt, ...profile }) => profile) satisfies z.ZodType<
  WorkflowProfile,
  unknown
>;

/** A restore item (domain/inputs/restore.ts); only gwm writes it. */
export const restoreRecord = z.object({
  uri: z.string(),
  storageClass: z.string(),
  tier: z.enum(RESTORE_TIERS),
  days: z.number(),
  state: z.enum(RESTORE_STATES),
  requestedAt: z.string(),
  dueAt: z.string(),
  requests: z.number(),
  askedAt: opt(z.string()),
  restoredAt: opt(z.string()),
  expiresAt: opt(z.string()),
  failureReason: opt(z.string()),
  updatedAt: z.string(),
  revision: z.number(),
} satisfies FieldsOf<Restore>) satisfies z.ZodType<Restore, unknown>;

/** A team item; its prefixes are checked against the deployment's when it is added, not when read. */
export const teamRecord = teamSchema satisfies z.ZodType<Team, unknown>;

/** An item that fails its schema (a console edit broke it): reported and skipped, never guessed at. */
export class CorruptItemError extends GwmError {
  readonly entity: string;
  readonly id: string;
  readonly issues: string;
  constructor(entity: string, id: string, issues: string, options?: { cause?: unknown }) {
    super('CORRUPT_ITEM', `${entity} ${id} cannot be read: ${issues}`, options);
    this.name = 'CorruptItemError';
    this.entity = entity;
    this.id = id;
    this.issues = issues;
  }
}

export function readRecord<T>(schema: z.ZodType<T, unknown>, entity: string, item: unknown): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const fields = (item ?? {}) as Record<string, unknown>;
  const id = String(fields.launchId ?? fields.batchId ?? fields.name ?? '?');
  const issues = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(item)'}: ${issue.message}`)
    .join('; ');
  throw new CorruptItemError(entity, id, issues, { cause: parsed.error });
}
