import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OmicsClient } from '@aws-sdk/client-omics';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PriceList } from '../../domain/cost/price-list.js';
import type { Notifier } from '../../domain/notifications.js';
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
import { makeBatchRepository } from '../adapters/batch-repository.js';
import type { Config } from '../adapters/config.js';
import { makeEntities } from '../adapters/entities.js';
import { makeLaunchRepository } from '../adapters/launch-repository.js';
import { makeProfileRepository } from '../adapters/profile-repository.js';
import { makeRestoreRepository } from '../adapters/restore-repository.js';
import { makeTeamRepository } from '../adapters/team-repository.js';

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
 * What every function uses: the table (ElectroDB entities and the repositories over them), the
 * clock, and the configuration. The other parts (the engine, S3, the notifier...) are built from
 * it by the function that needs them, once per base (`share`).
 */
export interface Base {
  config: Config;
  overrides: Overrides;
  region: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  doc: DynamoDBDocumentClient;
  entities: ReturnType<typeof makeEntities>;
  launches: ReturnType<typeof makeLaunchRepository>;
  batches: ReturnType<typeof makeBatchRepository>;
  profiles: ReturnType<typeof makeProfileRepository>;
  teams: ReturnType<typeof makeTeamRepository>;
  restores: ReturnType<typeof makeRestoreRepository>;
  /** A threshold in minutes on AWS; the embedded runtime shortens the unit (RECONCILE_TIME_UNIT_SECONDS). */
  minutes(value: number): number;
  /** The part `part` builds, built once for this base: two functions wired on one base share it. */
  share<T>(part: (base: Base) => T, make: () => T): T;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function makeDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function makeBase(config: Config, overrides: Overrides = {}): Base {
  const dynamo =
    overrides.dynamo ?? new DynamoDBClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  const doc = makeDocumentClient(dynamo);
  const entities = makeEntities(doc, config.TABLE_NAME);
  const parts = new Map<unknown, unknown>();
  return {
    config,
    overrides,
    region: config.AWS_REGION,
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? sleep,
    doc,
    entities,
    launches: makeLaunchRepository(entities, {
      annotateInvalid: true,
      onInvalid: overrides.onInvalidItem ?? logInvalidItem,
    }),
    batches: makeBatchRepository(entities),
    profiles: makeProfileRepository(entities),
    teams: makeTeamRepository(entities),
    restores: makeRestoreRepository(entities),
    minutes: (value) => value * config.RECONCILE_TIME_UNIT_SECONDS * 1000,
    share(part, make) {
      if (!parts.has(part)) parts.set(part, make());
      return parts.get(part) as ReturnType<typeof make>;
    },
  };
}

let itemLogger: Logger | undefined;

/** Each unreadable item met, with its key and what is wrong (the handlers count them as ItemsUnreadable). */
function logInvalidItem(item: InvalidItem): void {
  itemLogger ??= new Logger({ serviceName: 'gwm-items' });
  itemLogger.warn('unreadable item skipped', { ...item });
}
