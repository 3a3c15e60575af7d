import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one definition of gwm's single table: keys, global secondary indexes and stream.
 * The ElectroDB entities, the tests, the embedded runtime and the CDK stack all read it.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** The stream feeds the launcher and the completion path, which need both images. */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  globalIndexes: [
    /** Launch by engine run id (+ uuid); recent batches. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** All launches of a sample across batches. */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** Launches of a workflow by creation time. */
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    /** Launches in a status by last update (also feeds the reconciler). */
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    /**
     * A team's batches and launches by creation time. Its partition key is the bare team name, so
     * an IAM policy can keep a team to its own (`dynamodb:LeadingKeys`).
     */
    { indexName: 'team', partitionKey: 'teamPk', sortKey: 'teamSk' },
    /** The launch queue: a team's waiting launches by batch and sample order, and its runs in flight. */
    { indexName: 'queue', partitionKey: 'queuePk', sortKey: 'queueSk' },
  ],
} as const;

export type IndexName = (typeof TABLE.globalIndexes)[number]['indexName'];

/** CreateTable input for DynamoDB Local (tests and the embedded runtime); on-demand, stream on. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const keyAttributes = [
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: TABLE.globalIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
  };
}
