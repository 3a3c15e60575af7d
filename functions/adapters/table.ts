import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** ElectroDB's entity markers: every read through ElectroDB checks them to know which entity an item is. */
const ENTITY_MARKERS = ['__edb_e__', '__edb_v__'] as const;

/**
 * What a global index copies of each item besides the keys. Launch items grow with their status
 * history and attempts, so an index copies only what the queries that read it use (a whole item
 * is read from the table by key after the index query), and a write that changes nothing an
 * index holds costs that index nothing.
 */
export type IndexProjection =
  | { type: 'ALL' }
  | { type: 'INCLUDE'; attributes: readonly string[] }
  | { type: 'KEYS_ONLY' };

const include = (...attributes: string[]): IndexProjection => ({
  type: 'INCLUDE',
  attributes: [...ENTITY_MARKERS, ...attributes],
});

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
    /**
     * Launch by engine run id (+ uuid); recent batches. Both read the whole item by key after the
     * index query: the tracker to apply an event, the command line to list batches.
     */
    {
      indexName: 'gsi1',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      projection: include('batchId', 'launchId'),
    },
    /**
     * All launches of a sample across batches (read whole by key: `gwm history --sample`); open
     * batches (the launcher's fair share reads team, priority and creation time from the index;
     * the reconciler's recount and resume read the batches whole by key).
     */
    {
      indexName: 'gsi2',
      partitionKey: 'gsi2pk',
      sortKey: 'gsi2sk',
      projection: include('batchId', 'launchId', 'team', 'priority', 'createdAt'),
    },
    /** Launches of a workflow by creation time (read whole by key: history, estimates). */
    {
      indexName: 'gsi3',
      partitionKey: 'gsi3pk',
      sortKey: 'gsi3sk',
      projection: include('batchId', 'launchId'),
    },
    /**
     * Launches in a status by last update, written to STATUS_SHARDS partitions per status
     * (functions/adapters/status-shards.ts). The reconciler reads the stale ones whole by key and
     * counts the waiting ones from the index alone (team, waitingSince); batches being notified
     * and restores due are read whole by key.
     */
    {
      indexName: 'gsi4',
      partitionKey: 'gsi4pk',
      sortKey: 'gsi4sk',
      projection: include('batchId', 'launchId', 'uri', 'updatedAt', 'team', 'waitingSince'),
    },
    /**
     * A team's batches and launches by creation time. Its partition key is the bare team name, so
     * an IAM policy can keep a team to its own (`dynamodb:LeadingKeys`). Whole items: this index is
     * the only thing a team's own credentials may read (infra/constructs/team-access.ts), so a
     * read of the table by key after the query is not open to them.
     */
    { indexName: 'team', partitionKey: 'teamPk', sortKey: 'teamSk', projection: { type: 'ALL' } },
    /**
     * The launch queue: a team's waiting launches by batch and sample order, and its runs in
     * flight. The launcher reads launch ids only.
     */
    { indexName: 'queue', partitionKey: 'queuePk', sortKey: 'queueSk', projection: include('launchId') },
  ],
} as const satisfies {
  partitionKey: string;
  sortKey: string;
  streamViewType: string;
  globalIndexes: readonly {
    indexName: string;
    partitionKey: string;
    sortKey: string;
    projection: IndexProjection;
  }[];
};

export type IndexName = (typeof TABLE.globalIndexes)[number]['indexName'];

/** The DynamoDB shape of an index projection (CreateTable, and the CDK stack's GlobalSecondaryIndexes). */
export function projectionOf(projection: IndexProjection): {
  ProjectionType: IndexProjection['type'];
  NonKeyAttributes?: string[];
} {
  return projection.type === 'INCLUDE'
    ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.attributes] }
    : { ProjectionType: projection.type };
}

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
      Projection: projectionOf(index.projection),
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
  };
}
