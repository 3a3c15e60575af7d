import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { OmicsClient } from '@aws-sdk/client-omics';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PriceList } from '../../domain/cost/price-list.js';
import { type Notifier, renderNotice } from '../../domain/notifications.js';
import type {
  CostQueue,
  InputInspector,
  InvalidItem,
  ManifestObjectReader,
  ObjectRestorer,
  ObjectStore,
  RunLogReader,
  RunManifestReader,
} from '../../domain/ports.js';
import type { CompletionDeps } from '../../domain/use-cases/aggregate-completion.js';
import type { ResumeOptions } from '../../domain/use-cases/batch-notification.js';
import type { CostCollectorDeps } from '../../domain/use-cases/collect-run-cost.js';
import { makeLaunchScheduler } from '../../domain/use-cases/launch-scheduler.js';
import { makePacer } from '../../domain/use-cases/pace.js';
import type { ReconcilerDeps } from '../../domain/use-cases/reconcile.js';
import type { RestoreSweepDeps } from '../../domain/use-cases/reconcile-restores.js';
import type { QuietBatchOptions } from '../../domain/use-cases/recount-batch.js';
import type { IntakeDeps } from '../../domain/use-cases/register-manifest.js';
import { makeRegistrationGate } from '../../domain/use-cases/registration-gate.js';
import type { RestoreDeps } from '../../domain/use-cases/request-restores.js';
import type { RegistrationResumeOptions } from '../../domain/use-cases/resume-registrations.js';
import type { LauncherDeps } from '../../domain/use-cases/start-launch.js';
import type { TrackRestoreDeps } from '../../domain/use-cases/track-restore.js';
import type { TrackerDeps } from '../../domain/use-cases/track-run-status.js';
import type { WaitingLaunchesDeps } from '../../domain/use-cases/waiting-launches.js';
import { makeBatchRepository } from './batch-repository.js';
import { makeCloudWatchLogReader } from './cloudwatch-log-reader.js';
import { makeCloudWatchRunManifestReader } from './cloudwatch-run-manifest.js';
import type { Config } from './config.js';
import { makeCostLedger } from './cost-ledger.js';
import { makeEntities } from './entities.js';
import { makeEventBridgeNotifier } from './eventbridge-notifier.js';
import { makeFanOutNotifier } from './fan-out-notifier.js';
import { makeHealthOmicsEngine, makeOmicsClient } from './healthomics-engine.js';
import { makeLaunchQueueStore } from './launch-queue-store.js';
import { makeLaunchRepository } from './launch-repository.js';
import { makeOutcomeLedger } from './outcome-ledger.js';
import { loadPriceList } from './price-list-file.js';
import { makeProfileRepository } from './profile-repository.js';
import { makeRateLimitStore } from './rate-limit-store.js';
import { makeRestoreRepository } from './restore-repository.js';
import { makeS3InputInspector } from './s3-input-inspector.js';
import { makeS3ManifestReader } from './s3-manifest-reader.js';
import { makeS3ObjectRestorer } from './s3-object-restorer.js';
import { makeS3ObjectStore } from './s3-object-store.js';
import { makeSnsNotifier } from './sns-notifier.js';
import { makeSqsCostQueue } from './sqs-cost-queue.js';
import { makeWaitingLaunchReader } from './status-index.js';
import { makeTeamRepository } from './team-repository.js';

export const STARTRUN_BUCKET = 'startRun';
export const ENGINE_READS_BUCKET = 'engineReads';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** How often a launcher looks again at a batch still being registered. */
const REGISTRATION_POLL_MS = 250;
/** How old the launch queue view may be when a launcher chooses the next launch (open batches, in-flight runs). */
const SCHEDULER_REFRESH_MS = 250;
/** Team settings (weight, maxInFlight) are read again after this long. */
const SCHEDULER_TEAMS_REFRESH_MS = 5_000;
/** Waiting launch ids read per batch at a time. */
const SCHEDULER_CANDIDATES_PER_READ = 16;
/**
 * Slack on top of the time the StartRun rate needs to start every waiting launch before they
 * count as overdue: the launcher's scheduling rounds, StartRun retries, and the reconciler's own
 * period (in RECONCILE_TIME_UNIT_SECONDS units, so the embedded runtime shortens it).
 */
const LAUNCH_OVERDUE_MARGIN_MINUTES = 15;
/** Waiting launches the reconciler reads from the status index per run: 10,000 fit several times over. */
const WAITING_READ_MAX = 50_000;

export function makeDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Clients and clocks to use instead of the ones built from the configuration (tests). */
export interface Overrides {
  dynamo?: DynamoDBClient;
  notifier?: Notifier;
  omics?: OmicsClient;
  logs?: CloudWatchLogsClient;
  /** Where run logs are read from instead of CloudWatch Logs (the embedded runtime's files). */
  logReader?: RunLogReader;
  /** Where run manifests are read from instead of CloudWatch Logs (the embedded runtime's files). */
  runManifests?: RunManifestReader;
  s3?: S3Client;
  /** Where manifests are read from instead of S3 (tests). */
  manifests?: ManifestObjectReader;
  /** Where the QC list of sample outputs is written instead of S3 (tests). */
  objectStore?: ObjectStore;
  /** Where input sizes come from instead of S3 (tests). */
  inputs?: InputInspector;
  /** Where archived inputs are restored instead of S3 (tests). */
  restorer?: ObjectRestorer;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told of every unreadable launch item the handlers meet (default: a warning in the log). */
  onInvalidItem?: (item: InvalidItem) => void;
  /** Where finished attempts are sent to be priced instead of SQS (the embedded runtime's queue, tests). */
  costQueue?: CostQueue;
  /** Prices instead of the shipped list and PRICE_LIST_FILE (tests). */
  prices?: PriceList;
}

/**
 * Wires the use cases to DynamoDB, HealthOmics and CloudWatch Logs from one configuration.
 * The Lambda entry points and the embedded runtime both build their handlers' dependencies here.
 */
export function buildDependencies(config: Config, overrides: Overrides = {}) {
  const region = config.AWS_REGION;
  const dynamo = overrides.dynamo ?? new DynamoDBClient({ region, endpoint: config.DYNAMODB_ENDPOINT });
  const doc = makeDocumentClient(dynamo);
  const entities = makeEntities(doc, config.TABLE_NAME);
  const launches = makeLaunchRepository(entities, {
    annotateInvalid: true,
    onInvalid: overrides.onInvalidItem ?? logInvalidItem,
  });
  const batches = makeBatchRepository(entities);
  const profiles = makeProfileRepository(entities);
  const teams = makeTeamRepository(entities);
  const now = overrides.now ?? (() => new Date());
  const wait = overrides.sleep ?? sleep;
  const engine = makeHealthOmicsEngine({
    client: overrides.omics ?? makeOmicsClient({ region, endpoint: config.OMICS_ENDPOINT }),
    retentionMode: config.RUN_RETENTION_MODE,
  });
  const logsClient = overrides.logs ?? new CloudWatchLogsClient({ region, endpoint: config.LOGS_ENDPOINT });
  const logs =
    overrides.logReader ?? makeCloudWatchLogReader({ client: logsClient, logGroup: config.OMICS_LOG_GROUP });
  const runManifests =
    overrides.runManifests ??
    makeCloudWatchRunManifestReader({ client: logsClient, logGroup: config.OMICS_LOG_GROUP });

  const objects =
    overrides.s3 ??
    new S3Client({
      region,
      endpoint: config.S3_ENDPOINT,
      forcePathStyle: config.S3_ENDPOINT !== undefined,
    });
  const restores = makeRestoreRepository(entities);
  const restoreDeps: RestoreDeps = {
    restores,
    restorer: overrides.restorer ?? makeS3ObjectRestorer(objects),
    settings: {
      tier: config.RESTORE_TIER,
      days: config.RESTORE_DAYS,
      minuteMs: config.RECONCILE_TIME_UNIT_SECONDS * 1000,
    },
    now,
    concurrency: 8,
  };
  const intake: Omit<IntakeDeps, 'owner'> = {
    batches,
    launches,
    profiles,
    teams,
    defaultTeam: config.DEFAULT_TEAM,
    limits: { maxSamples: config.MAX_SAMPLES, maxBytes: config.MAX_MANIFEST_BYTES },
    allowedReadPrefixes: config.ALLOWED_READ_PREFIXES,
    allowedWritePrefixes: config.ALLOWED_WRITE_PREFIXES,
    now,
    leaseMs: config.REGISTRATION_LEASE_SECONDS * 1000,
    chunkSize: config.REGISTRATION_CHUNK_SIZE,
    releaseConcurrency: 16,
    inputs:
      overrides.inputs ?? makeS3InputInspector(objects, { concurrency: config.INPUT_CHECK_CONCURRENCY }),
    restores: restoreDeps,
    historyLaunches: config.ESTIMATE_HISTORY_LAUNCHES,
    budgetDefaultMaxUsd: config.BUDGET_DEFAULT_MAX_USD,
  };
  const launcher: LauncherDeps = {
    launches,
    engine,
    pacer: makePacer({
      store: makeRateLimitStore(entities),
      name: STARTRUN_BUCKET,
      settings: { ratePerSecond: config.STARTRUN_RATE_PER_SECOND, burst: config.STARTRUN_BURST },
      now,
      sleep: wait,
    }),
    roleArn: config.OMICS_ROLE_ARN,
    leaseMs: config.CLAIM_LEASE_SECONDS * 1000,
    retry: {
      attempts: config.STARTRUN_CALLS_PER_CLAIM,
      baseDelayMs: config.STARTRUN_BACKOFF_BASE_MS,
      maxDelayMs: config.STARTRUN_BACKOFF_MAX_MS,
    },
    now,
    sleep: wait,
    newClaimToken: randomUUID,
    random: overrides.random ?? Math.random,
    restores: restoreDeps,
    registration: makeRegistrationGate({
      batches,
      now,
      sleep: wait,
      waitMs: config.REGISTRATION_WAIT_SECONDS * 1000,
      pollMs: REGISTRATION_POLL_MS,
    }),
  };
  // Fair share: the launcher's view of the queue (one per process; the claim keeps launches once-only).
  const scheduler =
    config.LAUNCH_ORDER === 'fair-share'
      ? makeLaunchScheduler({
          queue: makeLaunchQueueStore(entities, batches),
          teams,
          now,
          refreshMs: SCHEDULER_REFRESH_MS,
          teamsRefreshMs: SCHEDULER_TEAMS_REFRESH_MS,
          candidatesPerRead: SCHEDULER_CANDIDATES_PER_READ,
        })
      : undefined;
  const tracker: TrackerDeps = { launches, engine, logs, logLines: config.LOG_EXCERPT_LINES, now };
  // The thresholds are minutes on AWS; the embedded runtime shortens the unit (RECONCILE_TIME_UNIT_SECONDS).
  const minutes = (value: number) => value * config.RECONCILE_TIME_UNIT_SECONDS * 1000;
  // One bucket for every engine read outside the status path (reconciler, cost collector), so
  // together they stay under HealthOmics' 10 TPS GetRun/ListRunTasks quota. Burst 1: reads stay
  // evenly spaced, so no second of the schedule goes above the rate.
  const engineReads = makePacer({
    store: makeRateLimitStore(entities),
    name: ENGINE_READS_BUCKET,
    settings: { ratePerSecond: config.RECONCILE_ENGINE_READS_PER_SECOND, burst: 1 },
    now,
    sleep: wait,
  });
  const reconciler: ReconcilerDeps = {
    ...tracker,
    engineReads,
    launcher,
    staleAfterMs: {
      QUEUED: minutes(config.RECONCILE_AFTER_MINUTES_QUEUED),
      THROTTLED: minutes(config.RECONCILE_AFTER_MINUTES_QUEUED),
      SUBMITTING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTING),
      SUBMITTED: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      PENDING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      STARTING: minutes(config.RECONCILE_AFTER_MINUTES_SUBMITTED),
      RUNNING: minutes(config.RECONCILE_AFTER_MINUTES_RUNNING),
      STOPPING: minutes(config.RECONCILE_AFTER_MINUTES_RUNNING),
    },
    maxLaunches: config.RECONCILE_MAX_LAUNCHES,
  };
  const notifier = overrides.notifier ?? makeConfiguredNotifier(config);
  const completion: CompletionDeps = {
    launches,
    batches,
    ledger: makeOutcomeLedger(entities, doc, config.TABLE_NAME),
    notifier,
    objects: overrides.objectStore ?? makeS3ObjectStore(objects),
    now,
    tableName: config.TABLE_NAME,
  };

  const notificationResume: ResumeOptions = {
    staleAfterMs: minutes(config.RECONCILE_AFTER_MINUTES_SENDING),
    max: config.RECONCILE_MAX_LAUNCHES,
  };
  const batchRecount: QuietBatchOptions = {
    quietForMs: minutes(config.RECONCILE_AFTER_MINUTES_BATCH),
    max: config.RECONCILE_MAX_BATCHES,
  };
  const registrationResume: RegistrationResumeOptions = {
    quietForMs: minutes(config.RECONCILE_AFTER_MINUTES_REGISTRATION),
    max: config.RECONCILE_MAX_BATCHES,
  };
  const costQueue =
    overrides.costQueue ??
    (config.COST_QUEUE_URL
      ? makeSqsCostQueue({
          client: new SQSClient({ region, endpoint: config.SQS_ENDPOINT }),
          queueUrl: config.COST_QUEUE_URL,
        })
      : undefined);
  let prices = overrides.prices;
  const costCollector = (): CostCollectorDeps => {
    // Read when the collector is built, not by every function that builds its dependencies here.
    prices ??= loadPriceList(config.PRICE_LIST_FILE);
    return {
      launches,
      engine,
      manifests: runManifests,
      ledger: makeCostLedger(entities, doc, config.TABLE_NAME),
      engineReads,
      prices,
      region,
      now,
    };
  };

  // Launches waiting to start, measured by each reconciler run against the StartRun pace.
  const waiting: WaitingLaunchesDeps = {
    launches: makeWaitingLaunchReader(entities),
    teams,
    queue: makeLaunchQueueStore(entities, batches),
    // Teams are held at their maxInFlight only in fair-share order.
    teamLimits: config.LAUNCH_ORDER === 'fair-share',
    startRatePerSecond: config.STARTRUN_RATE_PER_SECOND,
    marginMs: minutes(LAUNCH_OVERDUE_MARGIN_MINUTES),
    maxRead: WAITING_READ_MAX,
    now,
  };
  const restoreTracker: TrackRestoreDeps = { restores, launches, now, concurrency: 16 };
  const restoreSweep: RestoreSweepDeps = {
    tracker: restoreTracker,
    request: restoreDeps,
    inputs: intake.inputs,
    waitingQuietMs: minutes(config.RECONCILE_AFTER_MINUTES_WAITING),
    max: config.RECONCILE_MAX_LAUNCHES,
  };

  // The intake and the reconciler (resuming a registration) read manifests alike.
  const manifests = overrides.manifests ?? makeS3ManifestReader(objects);

  return {
    entities,
    launches,
    batches,
    profiles,
    engine,
    intake,
    launcher,
    scheduler,
    teams,
    tracker,
    reconciler,
    completion,
    notificationResume,
    batchRecount,
    registrationResume,
    manifests,
    notifier,
    s3: objects,
    costQueue,
    costCollector,
    restores: restoreDeps,
    restoreTracker,
    restoreSweep,
    waiting,
  };
}

/** SNS and/or EventBridge as configured; with neither, notices are written to the log. */
function makeConfiguredNotifier(config: Config): Notifier {
  const region = config.AWS_REGION;
  const notifiers: Notifier[] = [];
  if (config.NOTIFY_TOPIC_ARN) {
    notifiers.push(
      makeSnsNotifier({
        client: new SNSClient({ region, endpoint: config.SNS_ENDPOINT }),
        topicArn: config.NOTIFY_TOPIC_ARN,
      }),
    );
  }
  if (config.NOTIFY_EVENT_BUS_NAME) {
    notifiers.push(
      makeEventBridgeNotifier({
        client: new EventBridgeClient({ region, endpoint: config.EVENTS_ENDPOINT }),
        eventBusName: config.NOTIFY_EVENT_BUS_NAME,
      }),
    );
  }
  if (notifiers.length === 0) return makeLogNotifier();
  return notifiers.length === 1 && notifiers[0] ? notifiers[0] : makeFanOutNotifier(notifiers);
}

let itemLogger: Logger | undefined;

/** Each unreadable item met, with its key and what is wrong (the handlers count them as ItemsUnreadable). */
function logInvalidItem(item: InvalidItem): void {
  itemLogger ??= new Logger({ serviceName: 'gwm-items' });
  itemLogger.warn('unreadable item skipped', { ...item });
}

function makeLogNotifier(): Notifier {
  const logger = new Logger({ serviceName: 'gwm-notifications' });
  return {
    async send(notice) {
      const { subject, text } = renderNotice(notice);
      logger.info('notification (no SNS topic or event bus configured)', {
        kind: notice.kind,
        subject,
        text,
      });
    },
  };
}
