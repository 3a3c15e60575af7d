import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchCounts } from '../../domain/batch.js';
import type { CountedOutcome } from '../../domain/completion.js';
import type { OutcomeLedger, WriteResult } from '../../domain/ports.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';

const COUNTERS: readonly (keyof BatchCounts)[] = [
  'succeeded',
  'failed',
  'cancelled',
  'launchFailed',
  'deleted',
];

/**
 * Counting marks (one item per launch, beside the launch in the batch's partition) and the
 * batch's counters, changed in one TransactWriteItems: a lost race or a redelivery writes neither.
 */
export function makeOutcomeLedger(
  entities: Entities,
  doc: DynamoDBDocumentClient,
  table: string,
): OutcomeLedger {
  const { outcome, batch } = entities;
  return {
    async get(batchId, launchId) {
      const result = await outcome.get({ batchId, launchId }).go({ consistent: true });
      if (!result.data) return undefined;
      const { attempt, revision } = result.data;
      return { batchId, launchId, attempt, revision, outcome: result.data.outcome as CountedOutcome };
    },

    async record(expected, next, delta, now): Promise<WriteResult> {
      const put = outcome.put({ ...next, updatedAt: now }).params();
      const adds = COUNTERS.filter((name) => (delta[name] ?? 0) !== 0);
      const names: Record<string, string> = {
        '#counts': 'counts',
        '#revision': 'revision',
        '#updatedAt': 'updatedAt',
      };
      const values: Record<string, unknown> = { ':one': 1, ':now': now };
      for (const name of adds) {
        names[`#${name}`] = name;
        values[`:${name}`] = delta[name];
      }
      const clauses = [...adds.map((name) => `#counts.#${name} :${name}`), '#revision :one'];
      if (delta.retries) {
        names['#retriesCounted'] = 'retriesCounted';
        values[':retries'] = delta.retries;
        clauses.push('#retriesCounted :retries');
      }
      const addClause = clauses.join(', ');
      return conditionalWrite(() =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: table,
                  Item: put.Item,
                  ...(expected
                    ? {
                        ConditionExpression: '#r = :r',
                        ExpressionAttributeNames: { '#r': 'revision' },
                        ExpressionAttributeValues: { ':r': expected.revision },
                      }
                    : {
                        ConditionExpression: 'attribute_not_exists(#pk)',
                        ExpressionAttributeNames: { '#pk': 'pk' },
                      }),
                },
              },
              {
                Update: {
                  TableName: table,
                  Key: batch.get({ batchId: next.batchId }).params().Key,
                  UpdateExpression: `ADD ${addClause} SET #updatedAt = :now`,
                  ConditionExpression: 'attribute_exists(#counts)',
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
            ],
          }),
        ),
      );
    },
  };
}
