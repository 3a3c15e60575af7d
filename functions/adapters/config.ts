import * as z from 'zod';
import { ConfigError } from '../../domain/errors.js';
import { RESTORE_TIERS } from '../../domain/inputs/restore.js';
import { DEFAULT_MANIFEST_LIMITS } from '../../domain/manifest/types.js';
import { LAUNCH_ORDERS } from '../../domain/scheduling/fair-share.js';
import { TEAM_NAME_PATTERN } from '../../domain/teams/team.js';

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
const s3Prefixes = list.pipe(
  z.array(z.string().regex(/^s3:\/\/[^/\s]+(\/.*)?$/, 'an s3://bucket/prefix URI')).min(1),
);
const positive = z.coerce.number().positive();
const positiveInt = z.coerce.number().int().positive();

/** HealthOmics' log group: each run's engine log (`run/<id>`) and its run manifest are streams of it. */
export const OMICS_LOG_GROUP = '/aws/omics/WorkflowLog';

/** An IAM role ARN in any partition, `arn:aws:iam::<account>:role/<name>`. */
export const IAM_ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/** Every environment variable a gwm function reads, with its default. */
const schema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The stack's name: a dimension of every metric (two stacks in one account keep their own series). */
  STACK_NAME: z.string().min(1).default('gwm'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  ALLOWED_READ_PREFIXES: s3Prefixes,
  ALLOWED_WRITE_PREFIXES: s3Prefixes,
  OMICS_ROLE_ARN: z.string().regex(IAM_ROLE_ARN_PATTERN, 'an IAM role ARN'),
  STARTRUN_RATE_PER_SECOND: positive.default(1),
  STARTRUN_BURST: positiveInt.default(1),
  STARTRUN_CALLS_PER_CLAIM: positiveInt.default(5),
  STARTRUN_BACKOFF_BASE_MS: positiveInt.default(1_000),
  STARTRUN_BACKOFF_MAX_MS: positiveInt.default(20_000),
  /** Launches of one stream batch the launcher handles at the same time; the token bucket sets the pace. */
  LAUNCHER_PARALLEL_LAUNCHES: positiveInt.max(10, 'at most the stream batch size, 10').default(8),
  CLAIM_LEASE_SECONDS: positiveInt.default(300),
  /**
   * The key prefix manifests are taken under in the manifest bucket (empty: anywhere). Objects
   * outside it, or not named like a manifest, are ignored by the intake (functions/event-sources.ts).
   */
  MANIFEST_PREFIX: z.string().default(''),
  REGISTRATION_LEASE_SECONDS: positiveInt.default(60),
  REGISTRATION_CHUNK_SIZE: positiveInt.default(2_000),
  /**
   * Seconds a launcher waits, per stream batch, for a batch still REGISTERING (its launches are
   * written ready before it flips) before the records are retried later.
   */
  REGISTRATION_WAIT_SECONDS: positive.max(300).default(20),
  MAX_SAMPLES: positiveInt.default(DEFAULT_MANIFEST_LIMITS.maxSamples),
  MAX_MANIFEST_BYTES: positiveInt.default(DEFAULT_MANIFEST_LIMITS.maxBytes),
  // REMOVE: gwm keeps the history, and HealthOmics' RETAIN stops new runs once the account's
  // retained runs are at their quota.
  RUN_RETENTION_MODE: z.enum(['RETAIN', 'REMOVE']).default('REMOVE'),
  /** The budget (US dollars) of a batch whose manifest sets none; unset: no budget. */
  BUDGET_DEFAULT_MAX_USD: positive.optional(),
  /**
   * The team of manifests uploaded outside teams/<team>/ (docs/teams.md); empty: such manifests
   * are rejected. Without a team item of that name, it has the deployment's prefixes, weight 1, no limit.
   */
  DEFAULT_TEAM: z
    .string()
    .default('default')
    .transform((value) => value.trim() || undefined)
    .pipe(z.string().regex(TEAM_NAME_PATTERN, 'a team name: lower case letters, digits, dashes').optional()),
  /**
   * fair-share: the next launch to start is chosen across every waiting launch, by team weight
   * and batch priority (docs/teams.md). stream-order: in the order the stream delivers them.
   */
  LAUNCH_ORDER: z.enum(LAUNCH_ORDERS).default('fair-share'),
  /** Launches of a workflow read (newest first) for its cost history when a batch is estimated. */
  ESTIMATE_HISTORY_LAUNCHES: positiveInt.max(5_000).default(1_000),
  /** HeadObject and ListObjectsV2 calls in flight while the intake checks and sizes a batch's inputs. */
  INPUT_CHECK_CONCURRENCY: positiveInt.max(200).default(32),
  /** The S3 restore tier asked for an archived input (Bulk: free for Flexible Retrieval). */
  RESTORE_TIER: z.enum(RESTORE_TIERS).default('Bulk'),
  /** Days a restored copy of an archived input is kept (long enough for its launch to run). */
  RESTORE_DAYS: positiveInt.max(30).default(7),
  LOG_EXCERPT_LINES: positiveInt.default(50),
  OMICS_LOG_GROUP: z.string().default(OMICS_LOG_GROUP),
  /** The reconciler shares HealthOmics' 10 TPS GetRun/ListRuns quota with the tracker. */
  RECONCILE_ENGINE_READS_PER_SECOND: positive.lt(10, 'below the 10 TPS HealthOmics quota').default(5),
  RECONCILE_MAX_LAUNCHES: positiveInt.default(500),
  /**
   * Seconds in one unit of the RECONCILE_AFTER_MINUTES_* thresholds: 60 on AWS, where they are
   * minutes. The embedded runtime sets 1, so the same numbers are seconds there and a launch left
   * behind by a restart is repaired in seconds.
   */
  RECONCILE_TIME_UNIT_SECONDS: positive.default(60),
  /** Minutes (time units) without an update before the reconciler looks: QUEUED and THROTTLED, SUBMITTING, ... */
  RECONCILE_AFTER_MINUTES_QUEUED: positiveInt.default(180),
  RECONCILE_AFTER_MINUTES_SUBMITTING: positiveInt.default(10),
  /** ... SUBMITTED, PENDING and STARTING, ... */
  RECONCILE_AFTER_MINUTES_SUBMITTED: positiveInt.default(30),
  /** ... RUNNING and STOPPING. */
  RECONCILE_AFTER_MINUTES_RUNNING: positiveInt.default(360),
  /**
   * Minutes (time units) an open batch (ACTIVE, QC_RUNNING) may go unchanged before the
   * reconciler recounts it from its launches (a terminal stream record may have been
   * dead-lettered), and how many it recounts per run.
   */
  RECONCILE_AFTER_MINUTES_BATCH: positiveInt.default(60),
  /** A launch WAITING_FOR_INPUTS this long unchanged is compared with its restores (a missed wake-up). */
  RECONCILE_AFTER_MINUTES_WAITING: positiveInt.default(10),
  /** ... and how many registrations it resumes per run (each writes every launch of its batch). */
  RECONCILE_MAX_BATCHES: positiveInt.default(20),
  /**
   * Minutes (time units) a REGISTERING batch whose lease has run out, or a REGISTERED one, may go
   * unchanged before the reconciler resumes its registration from the source manifest (every
   * delivery of the upload event failed). 10: longer than the intake's 5-minute timeout plus its
   * lease, so the invocation that last wrote the batch has ended. Waiting out S3's asynchronous
   * retries is not needed: a late delivery beside the reconciler is safe (lease, conditional writes).
   */
  RECONCILE_AFTER_MINUTES_REGISTRATION: positiveInt.default(10),
  /**
   * Minutes (time units) a batch notification may stay marked SENDING before the reconciler sends it again:
   * longer than the aggregator can run (its timeout is 3 minutes; Lambda's limit, 15).
   */
  RECONCILE_AFTER_MINUTES_SENDING: positiveInt
    .min(4, 'more than the aggregator timeout of 3 minutes')
    .default(15),
  /**
   * A price list file whose regions replace the shipped prices' (docs/cost.md); absent: the
   * shipped prices alone.
   */
  PRICE_LIST_FILE: z.string().min(1).optional(),
  /** Where notifications go: an SNS topic, gwm's event bus, or both; with neither, to the log. */
  NOTIFY_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:/, 'an SNS topic ARN')
    .optional(),
  NOTIFY_EVENT_BUS_NAME: z.string().min(1).optional(),
  /**
   * The cost queue: the aggregator sends each finished run attempt there, the cost
   * collector prices it (and sends it again to go on after its time box). Without it, runs are not priced.
   */
  COST_QUEUE_URL: z.string().url().optional(),
  /** Endpoint overrides: the embedded runtime points the same handlers at local services. */
  DYNAMODB_ENDPOINT: z.string().url().optional(),
  OMICS_ENDPOINT: z.string().url().optional(),
  S3_ENDPOINT: z.string().url().optional(),
  LOGS_ENDPOINT: z.string().url().optional(),
  SNS_ENDPOINT: z.string().url().optional(),
  EVENTS_ENDPOINT: z.string().url().optional(),
  SQS_ENDPOINT: z.string().url().optional(),
});

export type Config = z.infer<typeof schema>;

/** Reads and checks the environment once, at cold start; a bad value names its variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  throw new ConfigError(`gwm configuration is invalid: ${problems}`);
}
