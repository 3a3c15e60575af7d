import { randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ScheduledEvent } from 'aws-lambda';
import type { WorkflowProfile } from '../../domain/workflow.js';
import { createTableInput } from '../../functions/adapters/table.js';
import type { LocalRun, LocalWorkflow } from './engine/index.js';
import { LOCAL_NAMES } from './stack-settings.js';

/** The table and its stream (created on first start), the stream's ARN. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.LatestStreamArn) {
      refuseChangedIndexes(tableName, Table.GlobalSecondaryIndexes ?? []);
      await addMissingIndexes(client, tableName, Table.GlobalSecondaryIndexes ?? []);
      return Table.LatestStreamArn;
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const created = await client.send(new CreateTableCommand(createTableInput(tableName)));
  const streamArn = created.TableDescription?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${tableName} was created without a stream.`);
  return streamArn;
}

/**
 * An index whose keys or projection changed since the table was created cannot be changed in place,
 * and its items would not be found the new way: a state folder that old is refused, not half used.
 */
function refuseChangedIndexes(
  tableName: string,
  existing: readonly {
    IndexName?: string;
    KeySchema?: { AttributeName?: string; KeyType?: string }[];
    Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  }[],
): void {
  const shape = (index: (typeof existing)[number]) =>
    JSON.stringify({
      keys: (index.KeySchema ?? []).map((key) => `${key.KeyType}:${key.AttributeName}`).sort(),
      projection: index.Projection?.ProjectionType,
      attributes: [...(index.Projection?.NonKeyAttributes ?? [])].sort(),
    });
  const wanted = new Map(
    (createTableInput(tableName).GlobalSecondaryIndexes ?? []).map((index) => [
      index.IndexName,
      shape(index),
    ]),
  );
  const changed = existing
    .filter((index) => wanted.has(index.IndexName) && wanted.get(index.IndexName) !== shape(index))
    .map((index) => index.IndexName);
  if (changed.length > 0) {
    throw new Error(
      `the table in this state folder was made by an earlier version of gwm: its indexes ${changed.join(', ')} ` +
        'are built differently now. Finish its batches with that version, then start this one on a new state ' +
        'folder (--state-dir <dir>, or remove the old one); see "Upgrading" in docs/deploy.md.',
    );
  }
}

/** A table kept from an earlier version of gwm gets the indexes added since (one at a time, as DynamoDB allows). */
async function addMissingIndexes(
  client: DynamoDBClient,
  tableName: string,
  existing: readonly { IndexName?: string }[],
): Promise<void> {
  const have = new Set(existing.map((index) => index.IndexName));
  const wanted = createTableInput(tableName);
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (have.has(index.IndexName)) continue;
    const keys = new Set(index.KeySchema?.map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: wanted.AttributeDefinitions?.filter((attribute) =>
          keys.has(attribute.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [
          {
            Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection },
          },
        ],
      }),
    );
  }
}

/** What HealthOmics does at the end of a run: the run's `out/` folder lands under its runOutputUri. */
export async function exportOutputs(s3: S3Client, run: LocalRun): Promise<void> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(run.runOutputUri);
  if (!match) throw new Error(`runOutputUri ${run.runOutputUri} is not an s3:// URI`);
  const [, bucket = '', prefix = ''] = match;
  const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  for (const file of await listFiles(run.outputDir)) {
    const key = `${base}out/${relative(run.outputDir, file).split(sep).join('/')}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
  }
}

async function listFiles(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

export async function defaultWorkflows(s3Endpoint: string): Promise<Record<string, LocalWorkflow>> {
  const { localWorkflows } = await import('../../examples/workflows/catalog.js');
  return localWorkflows({ s3Endpoint, region: LOCAL_NAMES.region });
}

/** A profile's content as text with its keys in order (DynamoDB does not keep the order of map keys). */
export function profileText(profile: WorkflowProfile): string {
  const { name, description, workflow, parameterTemplate, defaults } = profile;
  return JSON.stringify({ name, description, workflow, parameterTemplate, defaults }, (_key, value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

export async function defaultProfiles() {
  const { LOCAL_PROFILES } = await import('../../examples/workflows/catalog.js');
  return LOCAL_PROFILES;
}

/** The event the reconciler's schedule sends. */
export function scheduledEvent(): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_NAMES.accountId,
    time: new Date().toISOString(),
    region: LOCAL_NAMES.region,
    resources: [],
    detail: {},
  };
}
