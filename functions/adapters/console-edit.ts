import { type AttributeValue, type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Entities } from './entities.js';

/** An update as a person makes it in the DynamoDB console: an expression and its values. */
export interface ItemEdit {
  UpdateExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

export interface ConsoleEditTarget {
  client: DynamoDBClient;
  tableName: string;
  entities: Entities;
}

/** The launch item's raw table key, as the console shows it. */
export function launchItemKey(
  entities: Entities,
  launch: { batchId: string; launchId: string },
): { pk: string; sk: string } {
  const { Key } = entities.launch.get({ batchId: launch.batchId, launchId: launch.launchId }).params();
  return { pk: Key.pk, sk: Key.sk };
}

/**
 * A plain UpdateItem on a launch item, keyed by its raw pk/sk: no condition, no revision, no
 * derived index keys rewritten. Exactly what a console edit does, so gwm's stream consumers see
 * the same record whether a person or `gwm retry` made the change.
 */
export async function editLaunchItem(
  target: ConsoleEditTarget,
  launch: { batchId: string; launchId: string },
  edit: ItemEdit,
): Promise<void> {
  const { pk, sk } = launchItemKey(target.entities, launch);
  await target.client.send(
    new UpdateItemCommand({
      TableName: target.tableName,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ...edit,
    }),
  );
}

/** `SET #status = :s`: the one-attribute edit that asks for a retry ('RETRY') or a cancel ('CANCEL'). */
export function setStatusEdit(status: string): ItemEdit {
  return {
    UpdateExpression: 'SET #status = :s',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':s': { S: status } },
  };
}

/** Sets the launch's status to RETRY; the launcher decides from there (see domain/launch-transitions.ts). */
export function requestRetry(
  target: ConsoleEditTarget,
  launch: { batchId: string; launchId: string },
): Promise<void> {
  return editLaunchItem(target, launch, setStatusEdit('RETRY'));
}

/** Sets the launch's status to CANCEL; the launcher ends it, or asks the engine to cancel its run. */
export function requestCancel(
  target: ConsoleEditTarget,
  launch: { batchId: string; launchId: string },
): Promise<void> {
  return editLaunchItem(target, launch, setStatusEdit('CANCEL'));
}

/** A plain UpdateItem on a batch item, keyed by its raw pk/sk, as a console edit makes it. */
export async function editBatchItem(
  target: ConsoleEditTarget,
  batchId: string,
  edit: ItemEdit,
): Promise<void> {
  const { Key } = target.entities.batch.get({ batchId }).params();
  await target.client.send(
    new UpdateItemCommand({
      TableName: target.tableName,
      Key: { pk: { S: Key.pk }, sk: { S: Key.sk } },
      ...edit,
    }),
  );
}

/** `SET budgetMaxUsd = :v`: the edit that releases a held batch once the budget covers its estimate. */
export function setBudgetEdit(maxUsd: number): ItemEdit {
  return {
    UpdateExpression: 'SET #budget = :v',
    ExpressionAttributeNames: { '#budget': 'budgetMaxUsd' },
    ExpressionAttributeValues: { ':v': { N: String(maxUsd) } },
  };
}

/** `SET priority = :p`: a waiting batch's place in the launch queue (urgent, normal, low). */
export function setPriorityEdit(priority: string): ItemEdit {
  return {
    UpdateExpression: 'SET #priority = :p',
    ExpressionAttributeNames: { '#priority': 'priority' },
    ExpressionAttributeValues: { ':p': { S: priority } },
  };
}
