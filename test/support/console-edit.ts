import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { TestApp } from './test-app.js';

export interface ConsoleUpdate {
  UpdateExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/**
 * A plain UpdateItem on a launch item, keyed by its raw pk/sk, as a person editing it in the
 * DynamoDB console makes it: no condition, no revision, no derived keys recomputed.
 */
export async function consoleEdit(
  app: TestApp,
  launch: { batchId: string; launchId: string },
  update: ConsoleUpdate,
) {
  const { Key } = app.entities.launch.get({ batchId: launch.batchId, launchId: launch.launchId }).params();
  await app.table.client.send(
    new UpdateItemCommand({
      TableName: app.table.tableName,
      Key: { pk: { S: Key.pk }, sk: { S: Key.sk } },
      ...update,
    }),
  );
}

export function consoleSetStatus(
  app: TestApp,
  launch: { batchId: string; launchId: string },
  status: string,
) {
  return consoleEdit(app, launch, {
    UpdateExpression: 'SET #s = :s',
    ExpressionAttributeNames: { '#s': 'status' },
    ExpressionAttributeValues: { ':s': { S: status } },
  });
}
