import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateEntityItem } from 'electrodb';
import { NO_BATCH_COST } from '../../domain/cost/types.js';
import type { CostLedger, CostMark, WriteResult } from '../../domain/ports.js';
import { conditionalWrite, isConditionFailure } from './dynamo-errors.js';
import type { Entities } from './entities.js';

type StoredMark = CreateEntityItem<Entities['costMark']>;

/**
 * Cost marks (one item per launch attempt, beside the launch in the batch's partition) and the
 * batch's `cost` totals. Settling a mark and adding its cost to the batch is one
 * TransactWriteItems conditioned on the mark: a redelivered request or a duplicate adds nothing.
 */
export function makeCostLedger(entities: Entities, doc: DynamoDBDocumentClient, table: string): CostLedger {
  const { costMark, batch } = entities;

  const markCondition = (
    expected: CostMark | undefined,
  ): {
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } =>
    expected
      ? {
          ConditionExpression: '#revision = :revision AND #state <> :priced',
          ExpressionAttributeNames: { '#revision': 'revision', '#state': 'state' },
          ExpressionAttributeValues: { ':revision': expected.revision, ':priced': 'PRICED' },
        }
      : { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };

  const putMark = (next: CostMark, now: string) =>
    costMark
      .put({ ...next, updatedAt: now } as unknown as StoredMark)
      .params<{ Item: Record<string, unknown> }>().Item;

  /**
   * ADD cannot create the map it adds into: a batch without `cost` yet gets the zero totals first
   * (conditional, so it never resets totals another collector has added to).
   */
  async function ensureBatchCost(batchId: string): Promise<void> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: batch.get({ batchId }).params().Key,
          UpdateExpression: 'SET #cost = :zero',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#cost)',
          ExpressionAttributeNames: { '#cost': 'cost', '#pk': 'pk' },
          ExpressionAttributeValues: { ':zero': { ...NO_BATCH_COST } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  return {
    async get(batchId, launchId, attempt) {
      const result = await costMark.get({ batchId, launchId, attempt }).go({ consistent: true });
      if (!result.data) return undefined;
      const { updatedAt: _updatedAt, ...mark } = result.data;
      return mark as CostMark;
    },

    async saveProgress(expected, next, now): Promise<WriteResult> {
      return conditionalWrite(() =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: table, Item: putMark(next, now), ...markCondition(expected) } },
            ],
          }),
        ),
      );
    },

    async settle(expected, next, now): Promise<WriteResult> {
      await ensureBatchCost(next.batchId);
      const { cost } = next;
      return conditionalWrite(() =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: table, Item: putMark(next, now), ...markCondition(expected) } },
              {
                Update: {
                  TableName: table,
                  Key: batch.get({ batchId: next.batchId }).params().Key,
                  // `revision` moves too: a batch read before this write cannot be written back over it.
                  UpdateExpression:
                    'ADD #cost.#totalUsd :total, #cost.#computeUsd :compute, #cost.#storageUsd :storage, ' +
                    '#cost.#runsPriced :one, #cost.#runsEstimated :estimated, #revision :one SET #updatedAt = :now',
                  ConditionExpression: 'attribute_exists(#cost)',
                  ExpressionAttributeNames: {
                    '#cost': 'cost',
                    '#totalUsd': 'totalUsd',
                    '#computeUsd': 'computeUsd',
                    '#storageUsd': 'storageUsd',
                    '#runsPriced': 'runsPriced',
                    '#runsEstimated': 'runsEstimated',
                    '#revision': 'revision',
                    '#updatedAt': 'updatedAt',
                  },
                  ExpressionAttributeValues: {
                    ':total': cost.totalUsd,
                    ':compute': cost.computeUsd,
                    ':storage': cost.storageUsd,
                    ':estimated': cost.estimated ? 1 : 0,
                    ':one': 1,
                    ':now': now,
                  },
                },
              },
            ],
          }),
        ),
      );
    },
  };
}
