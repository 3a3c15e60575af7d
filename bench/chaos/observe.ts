import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListRunsCommand, OmicsClient } from '@aws-sdk/client-omics';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchCounts } from '../../domain/batch.js';
import { DETAIL_TYPES } from '../../domain/notifications.js';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from '../../functions/adapters/entities.js';
import { makeDocumentClient } from '../../functions/dependencies/base.js';
import type { LocalEndpoints } from '../../infra/local/endpoints.js';
import { localOmicsClientConfig } from '../../infra/local/engine/index.js';
import { readJsonLines } from '../../infra/local/json-lines.js';
import { readOutbox } from '../../infra/local/notifications/outbox-notifier.js';
import { chaosFiles, type FaultLine, type RunEventLine } from './files.js';

/**
 * What the harness reads to judge a run, as a person with the AWS CLI would: the table (raw items,
 * so an item gwm cannot parse is still seen), the engine's runs, the outbox, the dead letters.
 */

/** A launch item as stored; fields read loosely because console edits may have broken it. */
export interface LaunchItem {
  launchId: string;
  batchId: string;
  batchName: string;
  sampleId: string;
  kind?: string;
  status: string;
  attempt: number;
  runId?: string;
  attempts?: Array<{ attempt: number; status: string; runId?: string; cost?: StoredCost }>;
  note?: string;
  cost?: StoredCost;
}

/** The part of a stored run cost the harness checks. */
export interface StoredCost {
  totalUsd: number;
  attempt: number;
}

/** A cost collector's mark for one run attempt (raw item). */
export interface CostMarkItem {
  batchId: string;
  launchId: string;
  attempt: number;
  runId: string;
  state: string;
  cost?: StoredCost;
}

export interface BatchItem {
  batchId: string;
  name: string;
  status: string;
  sampleCount: number;
  counts: BatchCounts;
  round: number;
  qcState?: string;
  qcAttempt?: number;
  notifiedRound?: number;
  notificationState?: string;
  cost?: { totalUsd: number; runsPriced: number };
}

export interface TableSnapshot {
  launches: LaunchItem[];
  batches: BatchItem[];
  costMarks: CostMarkItem[];
}

export interface Observer {
  table(): Promise<TableSnapshot>;
  engineRuns(): Promise<EngineRun[]>;
  destroy(): void;
}

export interface EngineRun {
  id: string;
  name?: string;
  status: string;
}

export function makeObserver(endpoints: LocalEndpoints): Observer {
  const credentials = { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' };
  const dynamo = new DynamoDBClient({
    endpoint: endpoints.dynamodbEndpoint,
    region: endpoints.region,
    credentials,
  });
  const doc = makeDocumentClient(dynamo);
  const omics = new OmicsClient(localOmicsClientConfig(endpoints.omicsEndpoint));
  return {
    async table() {
      const launches: LaunchItem[] = [];
      const batches: BatchItem[] = [];
      const costMarks: CostMarkItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new ScanCommand({ TableName: endpoints.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? []) {
          if (item[ENTITY_ATTRIBUTE] === ENTITY_NAMES.launch) launches.push(item as LaunchItem);
          else if (item[ENTITY_ATTRIBUTE] === ENTITY_NAMES.batch) batches.push(item as BatchItem);
          else if (item[ENTITY_ATTRIBUTE] === ENTITY_NAMES.costMark) costMarks.push(item as CostMarkItem);
        }
        start = page.LastEvaluatedKey;
      } while (start);
      return { launches, batches, costMarks };
    },
    async engineRuns() {
      const runs: EngineRun[] = [];
      let token: string | undefined;
      do {
        const page = await omics.send(new ListRunsCommand({ startingToken: token, maxResults: 100 }));
        for (const item of page.items ?? []) {
          if (item.id) runs.push({ id: item.id, name: item.name, status: item.status ?? 'UNKNOWN' });
        }
        token = page.nextToken;
      } while (token);
      return runs;
    },
    destroy() {
      dynamo.destroy();
      omics.destroy();
    },
  };
}

export const readFaultLines = (stateDir: string) => readJsonLines<FaultLine>(chaosFiles(stateDir).faults);
export const readRunEvents = (stateDir: string) =>
  readJsonLines<RunEventLine>(chaosFiles(stateDir).runEvents);

export interface DeadLetterLine {
  file: string;
  line: Record<string, unknown>;
}

export async function readDeadLetters(stateDir: string): Promise<DeadLetterLine[]> {
  const dir = join(stateDir, 'dead-letters');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const all: DeadLetterLine[] = [];
  for (const file of files.sort()) {
    for (const line of await readJsonLines<Record<string, unknown>>(join(dir, file)))
      all.push({ file, line });
  }
  return all;
}

export interface BatchNotice {
  batchId: string;
  round: number;
  time: string;
}

/** The `Batch Completed` events gwm put on its bus (the outbox's events.jsonl). */
export async function readBatchNotices(stateDir: string): Promise<BatchNotice[]> {
  const outbox = await readOutbox(join(stateDir, 'outbox'));
  return outbox.events.flatMap(({ time, entry }) => {
    if (entry.DetailType !== DETAIL_TYPES['batch-completed'] || !entry.Detail) return [];
    const detail = JSON.parse(entry.Detail) as { batchId?: string; round?: number };
    return detail.batchId ? [{ batchId: detail.batchId, round: Number(detail.round ?? 1), time }] : [];
  });
}
