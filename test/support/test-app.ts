import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { inject } from 'vitest';
import { ManifestGoneError } from '../../domain/errors.js';
import type { InputState } from '../../domain/inputs/input-state.js';
import type { Notice, Notifier } from '../../domain/notifications.js';
import type {
  CostQueue,
  CostRequest,
  InputInspector,
  ManifestObjectReader,
  ObjectRestorer,
} from '../../domain/ports.js';
import type { IntakeDeps } from '../../domain/use-cases/intake.js';
import type { LauncherDeps } from '../../domain/use-cases/launcher.js';
import type { ReconcilerDeps } from '../../domain/use-cases/reconciler.js';
import type { RegistrationResumeOptions } from '../../domain/use-cases/resume-registrations.js';
import { loadConfig } from '../../functions/adapters/config.js';
import { buildDependencies } from '../../functions/adapters/dependencies.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { makeAggregatorHandler } from '../../functions/aggregator.js';
import { makeCostCollectorHandler } from '../../functions/cost-collector.js';
import { AGGREGATOR_EVENT_SOURCE, LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { makeIntakeHandler } from '../../functions/intake.js';
import { makeLauncherHandler } from '../../functions/launcher.js';
import { makeRestoreTrackerHandler } from '../../functions/restore-tracker.js';
import { runScheduledRepairs } from '../../functions/scheduled-repairs.js';
import { makeTrackerHandler } from '../../functions/tracker.js';
import { scheduledRepairsOf } from '../../infra/local/schedule.js';
import { scheduledEvent } from '../../infra/local/stack-resources.js';
import { dispatchStreamRecords } from '../../infra/local/streams/stream-dispatch.js';
import { createStreamReader } from '../../infra/local/streams/stream-reader.js';
import { type FakeOmicsOptions, makeFakeOmics } from './fake-omics.js';
import { makeTestTable } from './local-aws.js';
import { TEST_PRICES } from './prices.js';

export const ALLOWED_READ = ['s3://lab-samples-fastq/', 's3://lab-qc-fastq/', 's3://lab-inputs/'];
export const ALLOWED_WRITE = ['s3://lab-results/'];
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/gwm-omics-service';

export interface TestAppOptions {
  omics?: FakeOmicsOptions;
  /** StartRun pacing; fast by default so tests do not wait on the real quota. */
  ratePerSecond?: number;
  burst?: number;
  intake?: Partial<Omit<IntakeDeps, 'owner'>>;
  launcher?: Partial<LauncherDeps>;
  now?: () => Date;
  /** More settings, as the functions' environment variables (DEFAULT_TEAM, LAUNCH_ORDER, ...). */
  settings?: Record<string, string>;
}

/**
 * gwm's handlers wired to a fresh table on DynamoDB Local, a HealthOmics mocked at the SDK, and an
 * in-memory S3 for manifests. Stream records are read from the table's real stream and handed to
 * the launcher the way the event source mapping does.
 */
export async function makeTestApp(options: TestAppOptions = {}) {
  const table = await makeTestTable(inject('dynamodbEndpoint'));
  const omics = makeFakeOmics(options.omics);
  const telemetry = makeMemoryTelemetry();
  const now = options.now ?? (() => new Date());
  // Backoffs and pacing waits are real but short: the tests exercise the waiting, not the clock.
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.min(ms, 5)));
  const config = loadConfig({
    TABLE_NAME: table.tableName,
    AWS_REGION: 'us-east-1',
    ALLOWED_READ_PREFIXES: ALLOWED_READ.join(','),
    ALLOWED_WRITE_PREFIXES: ALLOWED_WRITE.join(','),
    OMICS_ROLE_ARN: ROLE_ARN,
    STARTRUN_RATE_PER_SECOND: String(options.ratePerSecond ?? 1_000),
    STARTRUN_BURST: String(options.burst ?? 50),
    STARTRUN_CALLS_PER_CLAIM: '4',
    STARTRUN_BACKOFF_BASE_MS: '1',
    STARTRUN_BACKOFF_MAX_MS: '5',
    REGISTRATION_CHUNK_SIZE: '100',
    // A launch of a batch still being registered is held this long, then its record fails (retried later).
    REGISTRATION_WAIT_SECONDS: '0.01',
    LOG_EXCERPT_LINES: '20',
    ...options.settings,
  });
  /** Every notification gwm sends, in order (the SNS topic and the event bus, as one list). */
  const notices: Notice[] = [];
  const record = async (notice: Notice) => void notices.push(notice);
  let send: Notifier['send'] = record;
  const notifier: Notifier = { send: (notice) => send(notice) };
  /** Objects gwm wrote for runs (the QC list of sample outputs), by s3:// URI. */
  const written = new Map<string, string>();
  const objects = new Map<string, string>();
  const reader: ManifestObjectReader = {
    async read(bucket, key) {
      const text = objects.get(`${bucket}/${key}`);
      if (text === undefined) throw new ManifestGoneError(`s3://${bucket}/${key} no longer exists`);
      return { text, sizeBytes: Buffer.byteLength(text), eTag: 'etag-1', versionId: 'v1' };
    },
  };

  /** Cost requests sent and not yet handed to the cost collector, in order (the cost queue). */
  let costQueued: CostRequest[] = [];
  const queueCost: CostQueue['send'] = async (request) => void costQueued.push(request);
  let sendCost: CostQueue['send'] = queueCost;
  const costQueue: CostQueue = { send: (request) => sendCost(request) };
  /** Sizes of input objects by s3:// URI, as HeadObject would answer; others exist with no size known. */
  const inputSizes = new Map<string, number>();
  /** What S3 says of an input, by s3:// URI (missing, refused, archived); overrides `inputSizes`. */
  const inputStates = new Map<string, InputState>();
  /** Every URI S3 was asked about, in order (one entry per HeadObject). */
  const inputsInspected: string[] = [];
  const inputInspector: InputInspector = {
    async inspect(uris) {
      const states = new Map<string, InputState>();
      for (const uri of new Set(uris)) {
        inputsInspected.push(uri);
        const size = inputSizes.get(uri);
        states.set(
          uri,
          inputStates.get(uri) ?? { kind: 'present', ...(size !== undefined && { sizeBytes: size }) },
        );
      }
      return states;
    },
  };

  /** RestoreObject calls, in order; `restoreAnswers` says what S3 answers for a URI (default: started). */
  const restoreCalls: { uri: string; tier: string; days: number; storageClass: string }[] = [];
  const restoreAnswers = new Map<string, 'started' | 'in-progress' | 'restored' | Error>();
  const restorer: ObjectRestorer = {
    async restore(uri, request) {
      restoreCalls.push({ uri, ...request });
      const answer = restoreAnswers.get(uri) ?? 'started';
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };

  const deps = buildDependencies(config, {
    restorer,
    costQueue,
    prices: TEST_PRICES,
    manifests: reader,
    inputs: inputInspector,
    objectStore: { putText: async (uri, text) => void written.set(uri, text) },
    notifier,
    dynamo: table.client,
    omics: omics.client,
    logs: omics.logsClient,
    now,
    sleep,
    // Reported through the handlers' telemetry; the repository's own warning is noise here.
    onInvalidItem: () => undefined,
  });
  const { entities, launches, batches, profiles, teams } = deps;

  const intake: Omit<IntakeDeps, 'owner'> = { ...deps.intake, ...options.intake };
  const launcher: LauncherDeps = { ...deps.launcher, ...options.launcher };

  const onManifest = makeIntakeHandler({
    notifier,
    intake,
    objects: reader,
    telemetry,
    newOwner: randomUUID,
    manifestPrefix: config.MANIFEST_PREFIX,
  });
  const launcherHandler = makeLauncherHandler({
    launcher,
    scheduler: deps.scheduler,
    telemetry,
    parallelLaunches: config.LAUNCHER_PARALLEL_LAUNCHES,
  });
  const { completion } = deps;
  const completionHandler = makeAggregatorHandler({ completion, telemetry, costs: costQueue });
  const costCollector = deps.costCollector();
  const costHandler = makeCostCollectorHandler({ collector: costCollector, queue: costQueue, telemetry });
  let costMessageId = 0;
  const streamHistory: DynamoDBRecord[] = [];
  /** Records the aggregator has not been given yet (it is behind, or they were lost). */
  let heldForCompletion: DynamoDBRecord[] = [];
  /** Each stream record goes to every consumer, as two event source mappings on one stream. */
  const consumers = [
    { name: 'launcher', handler: launcherHandler, source: LAUNCHER_EVENT_SOURCE },
    { name: 'aggregator', handler: completionHandler, source: AGGREGATOR_EVENT_SOURCE },
  ];
  const deliver = async (records: DynamoDBRecord[], only?: string) => {
    for (const consumer of consumers) {
      if (only && consumer.name !== only) continue;
      const result = await dispatchStreamRecords(
        records,
        (event) => consumer.handler(event as never),
        consumer.source,
      );
      if (result.failed.length > 0)
        throw new Error(`${result.failed.length} ${consumer.name} records failed`);
    }
  };
  const onRunStatus = makeTrackerHandler({ tracker: deps.tracker, telemetry });
  const onRestoreCompleted = makeRestoreTrackerHandler({ restoreTracker: deps.restoreTracker, telemetry });
  const reconciler: ReconcilerDeps = { ...deps.reconciler, launcher };
  const stream = createStreamReader({
    client: table.streams,
    streamArn: table.streamArn,
    region: 'us-east-1',
  });

  return {
    table,
    entities,
    launches,
    batches,
    profiles,
    teams,
    omics,
    telemetry,
    intake,
    launcher,
    onManifest,
    launcherHandler,
    onRunStatus,
    onRestoreCompleted,
    restores: deps.restores.restores,
    restoreCalls,
    restoreAnswers,
    reconciler,
    /**
     * Runs one tick of the schedule, as the embedded runtime does: the reconciler, then the
     * registration, restore and completion sweeps; with settings changed for the case.
     */
    reconcile(
      overrides: Partial<ReconcilerDeps> = {},
      registrationResume: Partial<RegistrationResumeOptions> = {},
    ) {
      return runScheduledRepairs(
        scheduledRepairsOf(
          {
            ...deps,
            reconciler: { ...reconciler, ...overrides },
            intake,
            manifests: reader,
            registrationResume: { ...deps.registrationResume, ...registrationResume },
          },
          (_service, make) => make(telemetry),
        ),
        scheduledEvent(),
      );
    },
    /**
     * Replaces how notices are sent (a failing topic, a sender that stops mid-send); with no
     * argument, notices are recorded in `notices` again.
     */
    sendNoticesWith(next: Notifier['send'] = record) {
      send = next;
    },
    /** Puts an object in the in-memory manifest bucket. */
    upload(bucket: string, key: string, body: unknown) {
      objects.set(`${bucket}/${key}`, typeof body === 'string' ? body : JSON.stringify(body));
    },
    /** Deletes an object from the in-memory manifest bucket. */
    removeObject(bucket: string, key: string) {
      objects.delete(`${bucket}/${key}`);
    },
    /** Reads every new record from the table's stream. */
    readStream: (): Promise<DynamoDBRecord[]> => stream.drain({ idleMs: 120 }),
    /**
     * Feeds new stream records to the launcher until the stream has nothing more for it
     * (each record `times` times, as an at-least-once source may). Returns the records delivered.
     */
    async pump(options: { times?: number; maxRounds?: number; holdCompletion?: boolean } = {}) {
      const delivered: DynamoDBRecord[] = [];
      if (!options.holdCompletion && heldForCompletion.length > 0) {
        const held = heldForCompletion;
        heldForCompletion = [];
        await deliver(held, 'aggregator');
      }
      for (let round = 0; round < (options.maxRounds ?? 50); round++) {
        const records = await stream.drain({ idleMs: 120 });
        if (records.length === 0) break;
        streamHistory.push(...records);
        for (let i = 0; i < (options.times ?? 1); i++) {
          if (options.holdCompletion) {
            await deliver(records, 'launcher');
            if (i === 0) heldForCompletion.push(...records);
          } else await deliver(records);
        }
        delivered.push(...records);
      }
      return delivered;
    },
    /** Forgets the records held back from the aggregator, as a dead-lettered batch of records. */
    dropHeldCompletionRecords() {
      const dropped = heldForCompletion.length;
      heldForCompletion = [];
      return dropped;
    },
    /** Delivers every stream record seen so far to the aggregator again. */
    async replayAllToCompletion() {
      await deliver(streamHistory, 'aggregator');
    },
    notices,
    written,
    inputSizes,
    inputStates,
    inputsInspected,
    completion,
    completionHandler,
    costCollector,
    costHandler,
    /** Cost requests waiting in the cost queue. */
    costQueued: () => [...costQueued],
    /** Makes sending to the cost queue fail (the queue is down); with no argument, sends queue again. */
    sendCostsWith(next: CostQueue['send'] = queueCost) {
      sendCost = next;
    },
    /**
     * Hands the cost queue's messages to the cost collector, one SQS event each, until the queue is
     * empty (a paused request is sent again by the collector and handled in a later turn). `times`
     * delivers each message that many times, `order` reorders each turn's messages. Returns the
     * requests that failed.
     */
    async collectCosts(options: { times?: number; order?: (requests: CostRequest[]) => CostRequest[] } = {}) {
      const failed: CostRequest[] = [];
      for (let turn = 0; turn < 1_000 && costQueued.length > 0; turn++) {
        const taken = costQueued;
        costQueued = [];
        const requests = (options.order ?? ((all) => all))(
          taken.flatMap((request) => Array.from({ length: options.times ?? 1 }, () => request)),
        );
        for (const request of requests) {
          const result = await costHandler(sqsEvent(request, `m-${++costMessageId}`));
          if (result.batchItemFailures.length > 0) failed.push(request);
        }
      }
      return failed;
    },
    async dispose() {
      omics.restore();
      await table.drop();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof makeTestApp>>;

/**
 * Uploads `body` to lab-manifests under `key`, lets the intake and one launcher pass run, and
 * returns the one batch there is and its launches.
 */
export async function launchManifest(app: TestApp, key: string, body: unknown) {
  app.upload('lab-manifests', key, body);
  await app.onManifest(s3Put('lab-manifests', key));
  await app.pump();
  const [batch] = (await app.batches.listRecent({})).items;
  if (!batch) throw new Error('no batch');
  const launches = (await app.launches.listByBatch(batch.batchId, { limit: 1000 })).items;
  return { batchId: batch.batchId, launches };
}

/** An SQS delivery of one cost request, as Lambda's SQS event source hands it over. */
function sqsEvent(request: CostRequest, messageId: string) {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `r-${messageId}`,
        body: JSON.stringify(request),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:gwm-cost',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

/** An S3 ObjectCreated notification as S3 sends it (key form-URL-encoded). */
export function s3Put(bucket: string, key: string, versionId = 'v1') {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2026-11-20T14:03:11.512Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'manifest-upload',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encoded, size: 1, eTag: 'etag-1', versionId, sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  };
}
