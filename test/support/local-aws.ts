import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { createTableInput } from '../../functions/adapters/table.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Integration tests must never reach a real AWS account, whatever the environment says. */
export function assertLoopback(endpoint: string): void {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch (error) {
    throw new Error(`Refusing endpoint ${JSON.stringify(endpoint)}: not a URL.`, { cause: error });
  }
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new Error(`Refusing endpoint ${endpoint}: integration tests only talk to a loopback address.`);
  }
}

export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export function localClientConfig(endpoint: string): LocalClientConfig {
  assertLoopback(endpoint);
  // DynamoDB Local accepts any key made of letters and digits; these never work against AWS.
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
  };
}

export interface TestTable {
  tableName: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  streams: DynamoDBStreamsClient;
  streamArn: string;
  drop(): Promise<void>;
}

/** A fresh table from the one table definition, under a unique name, so test files never share state. */
export async function makeTestTable(endpoint: string, prefix = 'gwm-test'): Promise<TestTable> {
  const config = localClientConfig(endpoint);
  const client = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  const created = await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitUntilActive(client, tableName);
  const streamArn = created.TableDescription?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`Table ${tableName} was created without a stream.`);

  return {
    tableName,
    client,
    doc,
    streams,
    streamArn,
    async drop() {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } finally {
        streams.destroy();
        client.destroy();
      }
    },
  };
}

/**
 * Registers beforeAll/afterAll that create and drop a test table on the DynamoDB Local started by
 * the global setup. The returned object's fields are readable inside tests only.
 */
export function useTestTable(prefix?: string): Omit<TestTable, 'drop'> {
  let table: TestTable | undefined;
  beforeAll(async () => {
    table = await makeTestTable(inject('dynamodbEndpoint'), prefix);
  });
  afterAll(async () => {
    await table?.drop();
  });
  const current = (): TestTable => {
    if (table === undefined) throw new Error('The test table exists only inside tests, after beforeAll.');
    return table;
  };
  return {
    get tableName() {
      return current().tableName;
    },
    get client() {
      return current().client;
    },
    get doc() {
      return current().doc;
    },
    get streams() {
      return current().streams;
    },
    get streamArn() {
      return current().streamArn;
    },
  };
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  // The SDK waiter sleeps 20 s between checks; DynamoDB Local is usually ACTIVE at once.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await sleep(50);
  }
  throw new Error(`Table ${tableName} did not become ACTIVE within 30 s.`);
}
