import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import { GwmError } from '../domain/errors.js';
import { isRecord } from '../domain/is-record.js';
import { s3UriError } from '../domain/s3-uri.js';
import { LAUNCH_ORDERS } from '../domain/scheduling/fair-share.js';
import { TEAM_NAME_PATTERN } from '../domain/teams/team.js';
import { IAM_ROLE_ARN_PATTERN } from '../functions/adapters/config.js';
import { readPriceListFile } from '../functions/adapters/price-list-file.js';
import { LAUNCHER_EVENT_SOURCE } from '../functions/event-sources.js';

/** A deploy setting is missing or malformed; raised before anything is synthesized. */
export class DeployConfigError extends GwmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEPLOY_CONFIG_INVALID', message, options);
    this.name = 'DeployConfigError';
  }
}

const s3Prefix = z.string().superRefine((value, context) => {
  const problem = s3UriError(value);
  if (problem) context.addIssue({ code: 'custom', message: `${problem} (got ${JSON.stringify(value)})` });
});
const roleArn = z.string().regex(IAM_ROLE_ARN_PATTERN, 'an IAM role ARN');
const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias)',
  );
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (not a URI, no prefix)');
const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const retentionDays = new Set(Object.values(RetentionDays).filter((days) => typeof days === 'number'));

/**
 * Everything a deployment decides. Settings the functions read have no default here: left out,
 * they are left out of the functions' environment too and the functions' own defaults apply
 * (functions/adapters/config.ts), so the two can never disagree.
 */
const settingsSchema = z
  .object({
    /** The CloudFormation stack name (`gwm --stack <name>`). */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name')
      .default('Gwm'),
    account: z
      .string()
      .regex(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
      .optional(),
    /** S3 prefixes every manifest input must be under; the run role may read them. */
    allowedInputPrefixes: z.array(s3Prefix).min(1, 'at least one s3://bucket/prefix/'),
    /** S3 prefixes every run output must be under; the run role may write (and read) them. */
    allowedOutputPrefixes: z.array(s3Prefix).min(1, 'at least one s3://bucket/prefix/'),
    /** The HealthOmics service role runs get. Absent: the stack creates one limited to the prefixes. */
    omicsServiceRoleArn: roleArn.optional(),
    /**
     * Customer-managed KMS keys (imported by ARN, never created or changed by the stack; each key's
     * own policy must let the account use it, and, for queues and log groups, the services that
     * write there: docs/deploy.md). Absent: AWS-owned or AWS-managed encryption.
     */
    encryption: z
      .object({
        /** The table (and its stream). */
        tableKeyArn: kmsKeyArn.optional(),
        /** The manifest bucket's default encryption; or the key an existing `manifests.bucketName` uses. */
        manifestBucketKeyArn: kmsKeyArn.optional(),
        /** The failure queues and the cost queue. */
        queueKeyArn: kmsKeyArn.optional(),
        /** The functions' log groups. */
        logGroupKeyArn: kmsKeyArn.optional(),
        /**
         * Keys of the SSE-KMS buckets under allowedInputPrefixes and allowedOutputPrefixes: the created
         * service role, and the functions writing QC sample lists, may use them through S3 only.
         */
        dataBucketKeyArns: z.array(kmsKeyArn).default([]),
      })
      .strict()
      .default({ dataBucketKeyArns: [] }),
    /**
     * Where manifests are uploaded: an existing bucket (a LIMS drop bucket; its EventBridge
     * notifications must be on) instead of the stack's own, and the key prefix manifests are taken
     * under (keys ending in .json, .csv or .tsv, in any case).
     */
    manifests: z
      .object({
        bucketName: bucketName.optional(),
        prefix: z
          .string()
          .max(512)
          .refine((prefix) => !prefix.startsWith('/'), 'a key prefix, without a leading /')
          .default(''),
      })
      .strict()
      .default({ prefix: '' }),
    /** A managed policy (ARN) set as the permissions boundary of every IAM role the stack creates. */
    permissionsBoundaryArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/.+$/, 'an IAM managed policy ARN')
      .optional(),
    /**
     * The start of every IAM role name the stack creates (for accounts whose policies allow only
     * such names); the rest is made unique from the stack and the role's place in it, within IAM's 64.
     */
    roleNamePrefix: z
      .string()
      .regex(
        /^[A-Za-z0-9+=,.@_-]{1,32}$/,
        'up to 32 of the characters IAM allows in a role name (A-Z a-z 0-9 +=,.@_-)',
      )
      .optional(),
    /** ECR repositories (names) the created service role may pull from; absent: every one in the account and region. */
    containerRepositories: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/, 'an ECR repository name'))
      .optional(),
    startRun: z
      .object({
        ratePerSecond: positive.optional(),
        burst: positiveInt.optional(),
        callsPerClaim: positiveInt.optional(),
        backoffBaseMs: positiveInt.optional(),
        backoffMaxMs: positiveInt.optional(),
      })
      .strict()
      .default({}),
    /**
     * Teams (docs/teams.md): the team of manifests uploaded outside teams/<team>/ (null: such
     * manifests are rejected; absent: "default"), and how the launcher orders launches.
     */
    teams: z
      .object({
        defaultTeam: z
          .string()
          .regex(TEAM_NAME_PATTERN, 'a team name: lower case letters, digits, dashes')
          .nullable()
          .optional(),
        launchOrder: z.enum(LAUNCH_ORDERS).optional(),
      })
      .strict()
      .default({}),
    /** Launchers that may run at once (reserved concurrency): they share the StartRun token bucket. */
    launcherConcurrency: positiveInt.max(50).default(2),
    /**
     * Launches of one stream batch a launcher starts at the same time (its lanes; at most the
     * batch size). More lanes finish a batch sooner, but every lane shares the StartRun rate: the
     * launcher's timeout and the claim lease check count both (infra/function-settings.ts).
     */
    launcherParallelLaunches: positiveInt
      .max(
        LAUNCHER_EVENT_SOURCE.batchSize,
        `at most the launcher's stream batch size, ${LAUNCHER_EVENT_SOURCE.batchSize}`,
      )
      .optional(),
    claimLeaseSeconds: positiveInt.optional(),
    limits: z
      .object({ maxSamples: positiveInt.optional(), maxManifestBytes: positiveInt.optional() })
      .strict()
      .default({}),
    /**
     * StartRun's retentionMode. REMOVE: HealthOmics removes the oldest runs when the account's run
     * count is full (gwm keeps every launch's history in its table); RETAIN: new runs are refused then.
     */
    runRetentionMode: z.enum(['RETAIN', 'REMOVE']).default('REMOVE'),
    /** The cost estimate and the budget guard: a default budget per batch (US dollars), none when absent. */
    budget: z.object({ defaultMaxUsd: positive.optional() }).strict().default({}),
    /** Archived inputs: the S3 restore tier (a manifest may ask for another) and days a copy is kept. */
    restore: z
      .object({
        tier: z.enum(['Expedited', 'Standard', 'Bulk']).optional(),
        days: z.number().int().min(1).max(30).optional(),
      })
      .strict()
      .default({}),
    logExcerptLines: positiveInt.optional(),
    reconcile: z
      .object({
        // The stuck-launch alarms look at three runs in a row within one day.
        everyMinutes: positiveInt
          .max(480, 'at most 480 (the alarms judge three runs within a day)')
          .default(5),
        engineReadsPerSecond: positive.lt(10, 'below the 10 TPS HealthOmics quota').optional(),
        maxLaunches: positiveInt.optional(),
        afterMinutes: z
          .object({
            queued: positiveInt.optional(),
            submitting: positiveInt.optional(),
            submitted: positiveInt.optional(),
            running: positiveInt.optional(),
            /** A batch notification left SENDING by a stopped aggregator (3-minute timeout). */
            sending: positiveInt.min(4, 'more than the aggregator timeout of 3 minutes').optional(),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({ everyMinutes: 5, afterMinutes: {} }),
    /**
     * A price list file (JSON, the shape of domain/cost/healthomics-prices.json) whose regions
     * replace the shipped prices': negotiated prices, other regions. Checked at synth.
     */
    priceListFile: z.string().min(1).optional(),
    /** Addresses subscribed to the notification topic (each confirms by e-mail). */
    notificationEmails: z.array(z.email()).default([]),
    /**
     * Cost-allocation tags put on every resource, beside `application=gwm` and `gwm:stack=<stack
     * name>` (activate them in Billing to see gwm's costs by team, project or cost centre).
     */
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
    /** Addresses subscribed to the operators' topic: the alarms (each confirms by e-mail). */
    operatorEmails: z.array(z.email()).default([]),
    /** What happens to the table and the manifest bucket when the stack is deleted. */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
    /** Table deletion protection; defaults to on when the data is retained. */
    deletionProtection: z.boolean().optional(),
    logRetentionDays: z
      .number()
      .refine((days) => retentionDays.has(days), {
        message: `one of CloudWatch Logs' retention periods: ${[...retentionDays].join(', ')}`,
      })
      .default(RetentionDays.THREE_MONTHS),
  })
  .strict()
  .superRefine((settings, context) => {
    const { dataBucketKeyArns, ...keys } = settings.encryption;
    const named = [
      ...Object.entries(keys).map(([name, arn]) => [`encryption.${name}`, arn] as const),
      ...dataBucketKeyArns.map((arn, index) => [`encryption.dataBucketKeyArns[${index}]`, arn] as const),
    ];
    if (keys.tableKeyArn !== undefined && settings.region === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['region'],
        message:
          'required with encryption.tableKeyArn: a table under a key of your own is bound to the key’s region',
      });
    }
    // KMS keys serve their own region only.
    for (const [name, arn] of named) {
      const keyRegion = arn?.split(':')[3];
      if (settings.region !== undefined && keyRegion !== settings.region) {
        context.addIssue({
          code: 'custom',
          path: name.split('.'),
          message: `a key in ${keyRegion}, not in the deployment's region ${settings.region}`,
        });
      }
    }
  });

export type DeploySettings = z.infer<typeof settingsSchema>;
export type DeploySettingsInput = z.input<typeof settingsSchema>;

/** Where settings come from: the `gwm` context value and/or a JSON file named by context `configFile`. */
export interface SettingsSource {
  tryGetContext(key: string): unknown;
}

export const SETTINGS_CONTEXT_KEY = 'gwm';
export const SETTINGS_FILE_CONTEXT_KEY = 'configFile';

/**
 * Reads the deploy settings: the file named by `-c configFile=<path>` first, then the `gwm`
 * context (cdk.json, or `-c gwm='{...}'`) over it, key by key. Every problem is reported with the
 * setting's path and where it came from.
 */
export function readDeploySettings(
  source: SettingsSource,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): DeploySettings {
  const fileName = source.tryGetContext(SETTINGS_FILE_CONTEXT_KEY);
  const fromFile = typeof fileName === 'string' && fileName !== '' ? readJsonFile(fileName, readFile) : {};
  const fromContext = contextObject(source.tryGetContext(SETTINGS_CONTEXT_KEY));
  const origin = [
    typeof fileName === 'string' && fileName !== '' ? `file ${fileName}` : undefined,
    Object.keys(fromContext).length > 0 ? `context "${SETTINGS_CONTEXT_KEY}"` : undefined,
  ]
    .filter(Boolean)
    .join(' and ');
  const settings = parseDeploySettings(merge(fromFile, fromContext), origin || 'no settings given');
  if (settings.priceListFile) checkPriceListFile(settings.priceListFile, readFile);
  return settings;
}

/** The `priceListFile` setting names a readable, valid price list; else synth stops with why. */
export function checkPriceListFile(fileName: string, readFile: (path: string) => string): void {
  try {
    readPriceListFile(resolve(fileName), readFile);
  } catch (error) {
    throw new DeployConfigError(`gwm deploy setting priceListFile: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Checks settings given as an object (tests, other tools); `origin` says where they came from. */
export function parseDeploySettings(input: unknown, origin = 'the settings'): DeploySettings {
  const parsed = settingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `  ${settingPath([...issue.path, key])}: not a gwm setting (a typo?)`)
      : [`  ${settingPath(issue.path)}: ${issue.message}`],
  );
  throw new DeployConfigError(
    `gwm deploy settings are invalid (${origin}):\n${problems.join('\n')}\n` +
      'See docs/deploy.md for every setting, and examples/deploy/gwm.config.json.',
  );
}

function settingPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(settings)';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

function readJsonFile(fileName: string, readFile: (path: string) => string): Record<string, unknown> {
  const path = resolve(fileName);
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new DeployConfigError(`cannot read the gwm settings file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return asObject(JSON.parse(text), `the settings file ${path}`);
  } catch (error) {
    if (error instanceof DeployConfigError) throw error;
    throw new DeployConfigError(`the gwm settings file ${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** `-c gwm='{...}'` arrives as a string; cdk.json gives an object. */
function contextObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') {
    try {
      return asObject(JSON.parse(value), `context "${SETTINGS_CONTEXT_KEY}"`);
    } catch (error) {
      if (error instanceof DeployConfigError) throw error;
      throw new DeployConfigError(
        `context "${SETTINGS_CONTEXT_KEY}" is not JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return asObject(value, `context "${SETTINGS_CONTEXT_KEY}"`);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DeployConfigError(`${what} must be a JSON object of gwm settings`);
  }
  return value as Record<string, unknown>;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = result[key];
    result[key] = isRecord(current) && isRecord(value) ? merge(current, value) : (value as unknown);
  }
  return result;
}

/**
 * The functions' environment for the settings a deployment chose (names as in
 * functions/adapters/config.ts). Settings left out are left out here too.
 */
export function settingsEnvironment(settings: DeploySettings): Record<string, string> {
  const env: Record<string, string | number | undefined> = {
    ALLOWED_READ_PREFIXES: settings.allowedInputPrefixes.join(','),
    ALLOWED_WRITE_PREFIXES: settings.allowedOutputPrefixes.join(','),
    STARTRUN_RATE_PER_SECOND: settings.startRun.ratePerSecond,
    STARTRUN_BURST: settings.startRun.burst,
    STARTRUN_CALLS_PER_CLAIM: settings.startRun.callsPerClaim,
    STARTRUN_BACKOFF_BASE_MS: settings.startRun.backoffBaseMs,
    STARTRUN_BACKOFF_MAX_MS: settings.startRun.backoffMaxMs,
    LAUNCHER_PARALLEL_LAUNCHES: settings.launcherParallelLaunches,
    CLAIM_LEASE_SECONDS: settings.claimLeaseSeconds,
    MANIFEST_PREFIX: settings.manifests.prefix === '' ? undefined : settings.manifests.prefix,
    MAX_SAMPLES: settings.limits.maxSamples,
    MAX_MANIFEST_BYTES: settings.limits.maxManifestBytes,
    RUN_RETENTION_MODE: settings.runRetentionMode,
    BUDGET_DEFAULT_MAX_USD: settings.budget.defaultMaxUsd,
    // null: no default team (the functions read an empty value as none).
    DEFAULT_TEAM: settings.teams.defaultTeam === null ? '' : settings.teams.defaultTeam,
    LAUNCH_ORDER: settings.teams.launchOrder,
    RESTORE_TIER: settings.restore.tier,
    RESTORE_DAYS: settings.restore.days,
    LOG_EXCERPT_LINES: settings.logExcerptLines,
    RECONCILE_ENGINE_READS_PER_SECOND: settings.reconcile.engineReadsPerSecond,
    RECONCILE_MAX_LAUNCHES: settings.reconcile.maxLaunches,
    RECONCILE_AFTER_MINUTES_QUEUED: settings.reconcile.afterMinutes.queued,
    RECONCILE_AFTER_MINUTES_SUBMITTING: settings.reconcile.afterMinutes.submitting,
    RECONCILE_AFTER_MINUTES_SUBMITTED: settings.reconcile.afterMinutes.submitted,
    RECONCILE_AFTER_MINUTES_RUNNING: settings.reconcile.afterMinutes.running,
    RECONCILE_AFTER_MINUTES_SENDING: settings.reconcile.afterMinutes.sending,
  };
  return Object.fromEntries(
    Object.entries(env)
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}
