import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OmicsClient } from '@aws-sdk/client-omics';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { makePacer } from '../../domain/use-cases/pace.js';
import type { IntakeDeps } from '../../domain/use-cases/register-manifest.js';
import type { LauncherDeps } from '../../domain/use-cases/start-launch.js';
import type { TrackerDeps } from '../../domain/use-cases/track-run-status.js';
import { makeBatchRepository } from './batch-repository.js';
import { makeCloudWatchLogReader } from './cloudwatch-log-reader.js';
import type { Config } from './config.js';
import { makeEntities } from './entities.js';
import { makeHealthOmicsEngine, makeOmicsClient } from './healthomics-engine.js';
import { makeLaunchRepository } from './launch-repository.js';
import { makeProfileRepository } from './profile-repository.js';
import { makeRateLimitStore } from './rate-limit-store.js';

export const STARTRUN_BUCKET = 'startRun';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function makeDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** Clients and clocks to use instead of the ones built from the configuration (tests). */
export interface Overrides {
  dynamo?: DynamoDBClient;
  omics?: OmicsClient;
  logs?: CloudWatchLogsClient;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Wires the use cases to DynamoDB, HealthOmics and CloudWatch Logs from one configuration.
 * The Lambda entry points and the embedded runtime both build their handlers' dependencies here.
 */
export function buildDependencies(config: Config, overrides: Overrides = {}) {
  const region = config.AWS_REGION;
  const dynamo = overrides.dynamo ?? new DynamoDBClient({ region, endpoint: config.DYNAMODB_ENDPOINT });
  const entities = makeEntities(makeDocumentClient(dynamo), config.TABLE_NAME);
  const launches = makeLaunchRepository(entities);
  const batches = makeBatchRepository(entities);
  const profiles = makeProfileRepository(entities);
  const now = overrides.now ?? (() => new Date());
  const wait = overrides.sleep ?? sleep;
  const engine = makeHealthOmicsEngine({
    client: overrides.omics ?? makeOmicsClient({ region, endpoint: config.OMICS_ENDPOINT }),
    retentionMode: config.RUN_RETENTION_MODE,
  });
  const logs = makeCloudWatchLogReader({
    client: overrides.logs ?? new CloudWatchLogsClient({ region, endpoint: config.LOGS_ENDPOINT }),
    logGroup: config.OMICS_LOG_GROUP,
  });

  const intake: Omit<IntakeDeps, 'owner'> = {
    batches,
    launches,
    profiles,
    limits: { maxSamples: config.MAX_SAMPLES, maxBytes: config.MAX_MANIFEST_BYTES },
    allowedReadPrefixes: config.ALLOWED_READ_PREFIXES,
    allowedWritePrefixes: config.ALLOWED_WRITE_PREFIXES,
    now,
    leaseMs: config.REGISTRATION_LEASE_SECONDS * 1000,
    chunkSize: config.REGISTRATION_CHUNK_SIZE,
    releaseConcurrency: 16,
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
  };
  const tracker: TrackerDeps = { launches, engine, logs, logLines: config.LOG_EXCERPT_LINES, now };
  const objects = new S3Client({
    region,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_ENDPOINT !== undefined,
  });

  return { entities, launches, batches, profiles, engine, intake, launcher, tracker, s3: objects };
}
