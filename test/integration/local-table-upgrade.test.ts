import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/table.js';
import { ensureTable } from '../../infra/local/stack-resources.js';
import { localClientConfig } from '../support/local-aws.js';

const client = new DynamoDBClient(localClientConfig(inject('dynamodbEndpoint')));
const made: string[] = [];

afterAll(async () => {
  for (const TableName of made)
    await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  client.destroy();
});

async function indexNames(tableName: string): Promise<string[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '').sort();
}

describe("the local stack's table kept in a state folder", () => {
  it('is used as it is when this version made it, and gets the indexes added since', async () => {
    // Prepare: the table as this version makes it, less one index
    const tableName = `gwm-upgrade-${randomUUID().slice(0, 8)}`;
    made.push(tableName);
    const input = createTableInput(tableName);
    const [first, ...rest] = input.GlobalSecondaryIndexes ?? [];
    const used = new Set(
      [...(input.KeySchema ?? []), ...rest.flatMap((index) => index.KeySchema ?? [])].map(
        (key) => key.AttributeName,
      ),
    );
    await client.send(
      new CreateTableCommand({
        ...input,
        GlobalSecondaryIndexes: rest,
        AttributeDefinitions: input.AttributeDefinitions?.filter((attribute) =>
          used.has(attribute.AttributeName),
        ),
      }),
    );
    // Act
    const streamArn = await ensureTable(client, tableName);
    const again = await ensureTable(client, tableName);
    // Assess
    expect(streamArn).toMatch(/stream/);
    expect(again).toBe(streamArn);
    expect(await indexNames(tableName)).toEqual(
      (input.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '').sort(),
    );
    expect(first?.IndexName).toBeDefined();
  });

  it('is refused, naming the indexes, when an earlier version built an index another way', async () => {
    // Prepare: an earlier version's status index copied whole items
    const tableName = `gwm-upgrade-${randomUUID().slice(0, 8)}`;
    made.push(tableName);
    const input = createTableInput(tableName);
    const indexes = (input.GlobalSecondaryIndexes ?? []).map((index) =>
      index.IndexName === 'gsi4' ? { ...index, Projection: { ProjectionType: 'ALL' as const } } : index,
    );
    await client.send(new CreateTableCommand({ ...input, GlobalSecondaryIndexes: indexes }));
    // Act + Assess
    await expect(ensureTable(client, tableName)).rejects.toThrow(
      /made by an earlier version of gwm: its indexes gsi4 are built differently now.*new state folder/,
    );
  });
});
