import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createStreamReader } from '../../infra/local/streams/stream-reader.js';
import { assertLoopback, localClientConfig, useTestTable } from '../support/local-aws.js';

describe('stream reader on DynamoDB Local', () => {
  const table = useTestTable('gwm-stream');

  it('reads INSERT, MODIFY and REMOVE records with their images, in order, shaped as Lambda delivers them', async () => {
    // Prepare
    const reader = createStreamReader({ client: table.streams, streamArn: table.streamArn });
    await reader.drain();
    const key = { pk: 'LAUNCH#order-1', sk: 'LAUNCH' };
    const before = Math.floor(Date.now() / 1000);

    // Act
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { ...key, status: 'REGISTERED' } }),
    );
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'SET #status = :status, attempt = :attempt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'SUBMITTING', ':attempt': 1 },
      }),
    );
    await table.doc.send(new DeleteCommand({ TableName: table.tableName, Key: key }));
    const records = await reader.drain();

    // Assess
    expect(records.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [inserted, modified, removed] = records;
    expect(inserted).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      eventSourceARN: table.streamArn,
      dynamodb: {
        Keys: { pk: { S: key.pk }, sk: { S: key.sk } },
        NewImage: { pk: { S: key.pk }, sk: { S: key.sk }, status: { S: 'REGISTERED' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(inserted?.dynamodb?.OldImage).toBeUndefined();
    expect(modified?.dynamodb?.OldImage).toMatchObject({ status: { S: 'REGISTERED' } });
    expect(modified?.dynamodb?.NewImage).toMatchObject({ status: { S: 'SUBMITTING' }, attempt: { N: '1' } });
    expect(removed?.dynamodb?.OldImage).toMatchObject({ status: { S: 'SUBMITTING' } });
    expect(removed?.dynamodb?.NewImage).toBeUndefined();
    for (const record of records) {
      expect(typeof record.eventID).toBe('string');
      expect(record.dynamodb?.ApproximateCreationDateTime).toBeGreaterThanOrEqual(before - 60);
      expect(record.dynamodb?.ApproximateCreationDateTime).toBeLessThan(Date.now() / 1000 + 60);
      expect(Number(record.dynamodb?.SizeBytes)).toBeGreaterThan(0);
    }
    const sequenceNumbers = records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect(sequenceNumbers).toEqual([...sequenceNumbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('returns only records written since the previous poll', async () => {
    // Prepare
    const reader = createStreamReader({ client: table.streams, streamArn: table.streamArn });
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: 'BATCH#poll-1', sk: 'BATCH' } }),
    );
    const first = await reader.drain();
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: 'BATCH#poll-2', sk: 'BATCH' } }),
    );

    // Act
    const second = await reader.drain();
    const third = await reader.poll();

    // Assess
    expect(first.map((record) => record.dynamodb?.Keys?.pk?.S)).toContain('BATCH#poll-1');
    expect(second.map((record) => record.dynamodb?.Keys?.pk?.S)).toEqual(['BATCH#poll-2']);
    expect(third).toEqual([]);
  });

  it('reads the whole stream from its oldest record when it starts', async () => {
    // Prepare
    const earlier = createStreamReader({ client: table.streams, streamArn: table.streamArn });
    const before = await earlier.drain();
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: 'BATCH#late', sk: 'BATCH' } }),
    );
    const afterwards = await earlier.drain();

    // Act
    const late = createStreamReader({ client: table.streams, streamArn: table.streamArn });
    const everything = await late.drain();

    // Assess
    expect(everything.map((record) => record.eventID)).toEqual(
      [...before, ...afterwards].map((record) => record.eventID),
    );
  });

  it('keeps per-item order across many writes that span several GetRecords pages', async () => {
    // Prepare: pages of 50 records, so 260 writes span six pages
    const reader = createStreamReader({ client: table.streams, streamArn: table.streamArn, pageSize: 50 });
    await reader.drain();
    const key = { pk: 'LAUNCH#many', sk: 'LAUNCH' };
    const writes = 260;

    // Act
    for (let version = 1; version <= writes; version++) {
      await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { ...key, version } }));
    }
    const records = await reader.drain({ idleMs: 300 });

    // Assess
    expect(records.map((record) => Number(record.dynamodb?.NewImage?.version?.N))).toEqual(
      Array.from({ length: writes }, (_, index) => index + 1),
    );
  });

  it('reports the configured region instead of the one DynamoDB Local makes up', async () => {
    // Prepare
    const reader = createStreamReader({
      client: table.streams,
      streamArn: table.streamArn,
      region: 'eu-west-1',
    });
    await reader.drain();
    await table.doc.send(
      new PutCommand({ TableName: table.tableName, Item: { pk: 'BATCH#region', sk: 'BATCH' } }),
    );

    // Act
    const records = await reader.drain();

    // Assess
    expect(records.map((record) => record.awsRegion)).toEqual(['eu-west-1']);
  });
});

describe('local endpoints', () => {
  it('refuses an endpoint that is not a loopback address', () => {
    // Prepare
    const endpoint = 'http://10.0.0.1:8000';

    // Act / Assess
    expect(() => assertLoopback(endpoint)).toThrow(/loopback/);
    expect(() => localClientConfig(endpoint)).toThrow(/loopback/);
  });

  it('accepts 127.0.0.1, localhost and ::1', () => {
    // Prepare
    const endpoints = ['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000'];

    // Act
    const configs = endpoints.map(localClientConfig);

    // Assess
    expect(configs.map((config) => config.endpoint)).toEqual(endpoints);
    expect(configs.every((config) => config.region === 'us-east-1')).toBe(true);
  });
});
