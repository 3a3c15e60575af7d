import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { OmicsClient } from '@aws-sdk/client-omics';
import type { EventBridgeEvent } from 'aws-lambda';
import { loadConfig } from '../../functions/adapters/config.js';
import { buildDependencies } from '../../functions/adapters/dependencies.js';
import { makeAggregatorHandler } from '../../functions/aggregator.js';
import { makeCostCollectorHandler } from '../../functions/cost-collector.js';
import {
  AGGREGATOR_EVENT_SOURCE,
  LAUNCHER_EVENT_SOURCE,
  MANIFEST_KEY_MATCHERS,
  RESTORE_COMPLETED_RULE,
  RUN_STATUS_RULE,
} from '../../functions/event-sources.js';
import { makeIntakeHandler } from '../../functions/intake.js';
import { makeLauncherHandler } from '../../functions/launcher.js';
import { makeRestoreTrackerHandler } from '../../functions/restore-tracker.js';
import { makeTrackerHandler } from '../../functions/tracker.js';
import { startDynamoDbLocal } from './dynamodb/dynamodb-local.js';
import { deadLetterDirOf, type LocalEndpoints, removeEndpoints, writeEndpoints } from './endpoints.js';
import {
  localOmicsClientConfig,
  makeLocalLogReader,
  makeLocalRunManifestReader,
  type RunStatusChangeEvent,
  startLocalEngine,
} from './engine/index.js';
import { createEventRouter } from './events/event-router.js';
import type { LocalLog } from './local-log.js';
import { makeLocalTelemetry } from './metrics-journal.js';
import { makeOutboxNotifier } from './notifications/outbox-notifier.js';
import { claimStateDir } from './process-file.js';
import { commandLineOf } from './process-ownership.js';
import { localS3ClientConfig, startLocalS3 } from './s3/s3.js';
import { makeLocalScheduledRepairs, startSchedule } from './schedule.js';
import { createLocalCostQueue } from './sqs/cost-queue.js';
import {
  defaultProfiles,
  defaultWorkflows,
  ensureTable,
  exportOutputs,
  profileText,
} from './stack-resources.js';
import { LOCAL_DEFAULT_SETTINGS, LOCAL_NAMES, registrationLeaseMs } from './stack-settings.js';
import type { LocalStack, LocalStackOptions } from './stack-types.js';
import { startStreamPump } from './streams/stream-pump.js';

export type { LocalLog, LogLevel } from './local-log.js';
export type { LocalStack, LocalStackOptions } from './stack-types.js';

/**
 * The embedded runtime: DynamoDB Local with its stream, a local S3, the local HealthOmics engine,
 * the stream pump and the event router, driving the same handlers the Lambda functions run.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log: LocalLog = options.log ?? (() => {});
  const { stateDir, faults } = options;
  const dirs = {
    dynamodb: join(stateDir, 'dynamodb'),
    s3: join(stateDir, 's3'),
    runs: join(stateDir, 'runs'),
    outbox: join(stateDir, 'outbox'),
    deadLetters: deadLetterDirOf(stateDir),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });

  // Before anything starts: a stack killed on this folder may have left DynamoDB Local running on it.
  const claim = await claimStateDir(stateDir, commandLineOf(process.pid) ?? process.argv);
  for (const left of claim.reaped) {
    log('warn', `stopped ${left.what} that an earlier local stack on this folder left running`, {
      pid: left.pid,
    });
  }
  const cleanups: Array<() => Promise<void>> = [() => claim.release()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log('warn', 'a local service did not stop cleanly', { error: (error as Error).message });
      }
    }
  };

  try {
    const database = await startDynamoDbLocal({
      port: options.ports?.dynamodb,
      dbPath: options.persist === false ? undefined : dirs.dynamodb,
      tuning: options.dynamoTuning,
      onSpawn: (pid, argv) => claim.record({ what: 'DynamoDB Local', pid, argv }),
    });
    cleanups.push(() => database.stop());
    const clientConfig = {
      region: LOCAL_NAMES.region,
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    };
    const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: database.endpoint });
    if (options.onDynamoRequest) {
      const count = options.onDynamoRequest;
      dynamo.middlewareStack.add(
        (next, context) => async (args) => {
          count(context.commandName ?? 'unknown');
          return next(args);
        },
        { step: 'initialize', name: 'gwmRequestCounter' },
      );
    }
    const streams = new DynamoDBStreamsClient({ ...clientConfig, endpoint: database.endpoint });
    cleanups.push(async () => {
      dynamo.destroy();
      streams.destroy();
    });
    const streamArn = await ensureTable(dynamo, LOCAL_NAMES.tableName);

    // Handlers are wired once every service is up; early S3 events wait for them.
    let onManifestUploaded: ((event: import('aws-lambda').S3Event) => Promise<void>) | undefined;
    // S3's restore-completed events wait here until the restore tracker is wired (a restore left
    // overdue by a stopped stack completes as soon as the local S3 starts).
    const earlyRestoreEvents: unknown[] = [];
    let deliverRestoreEvent: (event: unknown) => void = (event) => void earlyRestoreEvents.push(event);
    const localS3 = await startLocalS3({
      port: options.ports?.s3,
      archive: { onRestoreCompleted: (event) => deliverRestoreEvent(event) },
      directory: dirs.s3,
      buckets: [LOCAL_NAMES.manifestBucket, LOCAL_NAMES.inputBucket, LOCAL_NAMES.outputBucket],
      notifications: {
        buckets: [LOCAL_NAMES.manifestBucket],
        keys: MANIFEST_KEY_MATCHERS,
        handler: async (event) => {
          if (!onManifestUploaded) throw new Error('gwm is still starting');
          await (faults ? faults.intake(onManifestUploaded) : onManifestUploaded)(event);
        },
        deadLetterFile: join(dirs.deadLetters, 'intake.jsonl'),
        // As Lambda retries an asynchronous invocation: soon, then once more after the registration
        // lease a crashed invocation may hold has run out.
        retryDelayMs: (attempt) => (attempt === 1 ? 1_000 : registrationLeaseMs(options.settings) + 2_000),
        journalFile: options.persist === false ? undefined : join(stateDir, 's3-notifications.jsonl'),
      },
      log,
    });
    cleanups.push(() => localS3.stop());
    const s3 = localS3.client;

    // Events a restarted engine sends before the router is wired wait here for it.
    const earlyRunEvents: unknown[] = [];
    let deliverRunEvent: (event: unknown) => void = (event) => void earlyRunEvents.push(event);
    const route = (event: RunStatusChangeEvent) => deliverRunEvent(event);
    const routeRunEvent = faults ? faults.runEvents(route) : route;
    const workflows =
      options.workflows?.({ s3Endpoint: localS3.endpoint, region: LOCAL_NAMES.region }) ??
      (await defaultWorkflows(localS3.endpoint));
    const engine = await startLocalEngine({
      port: options.ports?.engine,
      workflows,
      runsDir: dirs.runs,
      region: LOCAL_NAMES.region,
      accountId: LOCAL_NAMES.accountId,
      startRunRatePerSecond: options.engineStartRunRatePerSecond ?? 10,
      emit: (event) => {
        options.onRunEvent?.(event);
        routeRunEvent(event);
      },
      exportOutputs: (run) => exportOutputs(s3, run),
      onRequest: options.onEngineRequest,
    });
    cleanups.push(() => engine.stop());
    const omics = new OmicsClient(localOmicsClientConfig(engine.endpoint));
    faults?.omics(omics);
    cleanups.push(async () => omics.destroy());

    const config = loadConfig({
      ...LOCAL_DEFAULT_SETTINGS,
      ...options.settings,
      TABLE_NAME: LOCAL_NAMES.tableName,
      AWS_REGION: LOCAL_NAMES.region,
      ALLOWED_READ_PREFIXES: `s3://${LOCAL_NAMES.inputBucket}/,s3://${LOCAL_NAMES.outputBucket}/`,
      ALLOWED_WRITE_PREFIXES: `s3://${LOCAL_NAMES.outputBucket}/`,
      OMICS_ROLE_ARN: LOCAL_NAMES.omicsRoleArn,
      DYNAMODB_ENDPOINT: database.endpoint,
      OMICS_ENDPOINT: engine.endpoint,
      S3_ENDPOINT: localS3.endpoint,
    });
    const outbox = makeOutboxNotifier({
      dir: dirs.outbox,
      topicArn: LOCAL_NAMES.topicArn,
      eventBusName: LOCAL_NAMES.eventBusName,
      print: options.onNotice,
    });
    const notifier = faults ? faults.notifier(outbox) : outbox;
    const costs = createLocalCostQueue({
      deadLetterFile: join(dirs.deadLetters, 'cost-collector.jsonl'),
      journalFile: join(stateDir, 'cost-queue.jsonl'),
      log,
    });
    const built = buildDependencies(config, {
      costQueue: costs.queue,
      dynamo,
      omics,
      s3,
      notifier,
      logReader: makeLocalLogReader(dirs.runs),
      runManifests: makeLocalRunManifestReader(dirs.runs),
    });
    const deps = faults ? faults.dependencies(built) : built;
    const journaled = makeLocalTelemetry(stateDir, config.STACK_NAME, {
      onTrimError: (error) =>
        log('warn', 'the metrics journal could not be trimmed', { error: (error as Error).message }),
    });
    costs.consumeWith(
      journaled('costCollector', (telemetry) =>
        makeCostCollectorHandler({ collector: deps.costCollector(), queue: costs.queue, telemetry }),
      ),
    );
    const unpriced = await costs.resume();
    if (unpriced > 0) log('info', `pricing ${unpriced} finished runs the last stack had not priced`);

    for (const profile of options.profiles ?? (await defaultProfiles())) {
      const stored = await deps.profiles.get(profile.name);
      if (!stored) await deps.profiles.put(profile);
      else if (profileText(stored) !== profileText(profile)) {
        // Someone's edit, or a profile gwm has since changed: theirs stays, and they are told.
        log(
          'warn',
          `workflow profile "${profile.name}" differs from the one gwm ships; keeping the stored one`,
          {
            replaceWith: `gwm workflows add examples/workflows/profiles/${profile.name}.json`,
          },
        );
      }
    }

    // Teams the caller brings (the chaos harness, benchmarks): written unless one of that name exists.
    for (const team of options.teams ?? []) {
      if (!(await deps.teams.get(team.name))) await deps.teams.put(team);
    }

    const router = createEventRouter({
      rules: [
        {
          name: 'run-status-to-tracker',
          pattern: RUN_STATUS_RULE.eventPattern,
          retryAttempts: RUN_STATUS_RULE.retryAttempts,
          target: withFaults(faults?.runEventTarget, async (event) => {
            const outcome = await onRunStatus(event as EventBridgeEvent<string, unknown>);
            options.onRunEventHandled?.(event as RunStatusChangeEvent, outcome);
          }),
        },
      ],
      deadLetterFile: join(dirs.deadLetters, 'run-status-events.jsonl'),
      log,
    });
    cleanups.push(() => router.stop());
    const onRunStatus = journaled('tracker', (telemetry) =>
      makeTrackerHandler({ tracker: deps.tracker, telemetry }),
    );
    // The input buckets' restore-completed events, as the stack's EventBridge rule sends them.
    const restoreRouter = createEventRouter({
      rules: [
        {
          name: 'restore-completed-to-restore-tracker',
          pattern: RESTORE_COMPLETED_RULE.eventPattern,
          retryAttempts: RESTORE_COMPLETED_RULE.retryAttempts,
          target: (event) => onRestoreCompleted(event),
        },
      ],
      deadLetterFile: join(dirs.deadLetters, 'restore-events.jsonl'),
      log,
    });
    cleanups.push(() => restoreRouter.stop());
    const onRestoreCompleted = journaled('restoreTracker', (telemetry) =>
      makeRestoreTrackerHandler({ restoreTracker: deps.restoreTracker, telemetry }),
    );
    deliverRestoreEvent = (event) => restoreRouter.put(event);
    for (const event of earlyRestoreEvents.splice(0)) restoreRouter.put(event);
    deliverRunEvent = (event) => router.put(event);
    for (const event of earlyRunEvents.splice(0)) router.put(event);
    // The engine stops before the router: every status it saved has been routed when it writes its clean stop.
    cleanups.push(() => engine.stop());
    // Stopped after the stream pump (nothing sends to it then) and before the engine it reads tasks from.
    cleanups.push(() => costs.stop());

    const pump = startStreamPump({
      client: streams,
      streamArn,
      region: LOCAL_NAMES.region,
      consumers: [
        {
          name: 'launcher',
          handler: withFaults(
            faults && ((handler) => faults.stream('launcher', handler)),
            journaled('launcher', (telemetry) =>
              makeLauncherHandler({
                launcher: deps.launcher,
                scheduler: deps.scheduler,
                telemetry,
                parallelLaunches: config.LAUNCHER_PARALLEL_LAUNCHES,
              }),
            ) as never,
          ),
          source: LAUNCHER_EVENT_SOURCE,
        },
        {
          name: 'aggregator',
          handler: withFaults(
            faults && ((handler) => faults.stream('aggregator', handler)),
            journaled('aggregator', (telemetry) =>
              makeAggregatorHandler({ completion: deps.completion, telemetry, costs: costs.queue }),
            ) as never,
          ),
          source: AGGREGATOR_EVENT_SOURCE,
        },
      ],
      deadLetterDir: dirs.deadLetters,
      checkpointFile: options.persist === false ? undefined : join(stateDir, 'stream-checkpoints.json'),
      log,
    });
    cleanups.push(() => pump.stop());

    onManifestUploaded = journaled('intake', (telemetry) =>
      makeIntakeHandler({
        intake: deps.intake,
        objects: deps.manifests,
        telemetry,
        newOwner: randomUUID,
        notifier,
        tableName: LOCAL_NAMES.tableName,
        manifestPrefix: config.MANIFEST_PREFIX,
      }),
    );
    // Uploads a killed stack had not finished handling (a manifest registered halfway).
    const redelivered = localS3.redeliverPending();
    if (redelivered > 0) log('info', 'delivering S3 events an earlier stack did not finish', { redelivered });

    const reconcile = withFaults(faults?.reconcile, makeLocalScheduledRepairs(deps, journaled, log));
    cleanups.push(startSchedule(reconcile, options.reconcileEveryMs ?? 60_000, log));

    const endpoints: LocalEndpoints = {
      region: LOCAL_NAMES.region,
      s3Endpoint: localS3.endpoint,
      dynamodbEndpoint: database.endpoint,
      omicsEndpoint: engine.endpoint,
      tableName: LOCAL_NAMES.tableName,
      manifestBucket: LOCAL_NAMES.manifestBucket,
      inputBucket: LOCAL_NAMES.inputBucket,
      outputBucket: LOCAL_NAMES.outputBucket,
      runsDir: dirs.runs,
      outboxDir: dirs.outbox,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    if (options.writeEndpointsFile !== false) {
      await writeEndpoints(stateDir, endpoints);
      cleanups.push(() => removeEndpoints(stateDir));
    }

    let stopped: Promise<void> | undefined;
    return {
      endpoints,
      stateDir,
      s3,
      dynamo,
      engine,
      deps,
      async settle(settleOptions = {}) {
        const withCosts = settleOptions.costs !== false;
        // Each step can cause work for the others (an upload writes items, items start runs,
        // runs emit events that write items): go round until a full pass finds nothing new.
        for (let pass = 0; pass < 50; pass += 1) {
          const before = progressMark();
          await localS3.settle();
          await pump.settle();
          await router.settle();
          if (withCosts) await costs.settle();
          if (progressMark() === before) return;
        }
      },
      reconcile,
      stop() {
        stopped ??= cleanUp();
        return stopped;
      },
    };

    function progressMark(): string {
      const stats = pump.stats();
      const routed = router.stats();
      return JSON.stringify([stats.recordsRead, routed.received, costs.stats().received]);
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The handler with the fault hook around it, or as it is without faults. */
function withFaults<H>(hook: ((handler: H) => H) | undefined, handler: H): H {
  return hook ? hook(handler) : handler;
}

export { LOCAL_NAMES, localS3ClientConfig };
