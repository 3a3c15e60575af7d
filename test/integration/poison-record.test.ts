import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { LAUNCHER_EVENT_SOURCE } from '../../functions/event-sources.js';
import { dispatchStreamRecords } from '../../infra/local/streams/stream-dispatch.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

describe('a poison stream record', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('of an item a console edit broke is skipped and reported, and does not block its neighbours', async () => {
    // Prepare: 5 launches released; one item is broken by a console edit before the launcher runs
    app = await makeTestApp();
    app.upload('lab-manifests', 'fc/poison.json', {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'POISON' },
      defaults: { workflow: { id: '1234567', type: 'PRIVATE' }, outputUri: 's3://lab-results/p/' },
      samples: ['S1', 'S2', 'S3', 'S4', 'S5'].map((id) => ({
        id,
        inputs: { fastq1: `s3://lab-inputs/${id}.fq` },
      })),
    });
    await app.onManifest(s3Put('lab-manifests', 'fc/poison.json'));
    const records = (await app.readStream()).filter(
      (record) => record.dynamodb?.NewImage?.status?.S === 'QUEUED',
    );
    const victim = records[1]?.dynamodb?.Keys;
    await app.table.client.send(
      new UpdateItemCommand({
        TableName: app.table.tableName,
        Key: { pk: { S: victim?.pk?.S ?? '' }, sk: { S: victim?.sk?.S ?? '' } },
        UpdateExpression: 'SET attempt = :a',
        ExpressionAttributeValues: { ':a': { S: 'two' } },
      }),
    );
    // Act
    const result = await dispatchStreamRecords(
      records,
      (event) => app.launcherHandler(event as never),
      LAUNCHER_EVENT_SOURCE,
    );
    // Assess: retrying cannot fix the item, so its record is done with (not failed, not
    // dead-lettered); the item carries a note and the fix, a new change, brings it back
    expect(result.failed).toEqual([]);
    expect(app.telemetry.get(METRICS.itemsUnreadable)).toBe(1);
    expect(app.omics.runsCreated()).toBe(4);
    expect(app.omics.startRunCalls).toHaveLength(4);
    expect(result.invocations).toBeLessThan(records.length * (LAUNCHER_EVENT_SOURCE.maxRetryAttempts + 2));
    const { Item } = await app.table.client.send(
      new GetItemCommand({
        TableName: app.table.tableName,
        Key: { pk: { S: victim?.pk?.S ?? '' }, sk: { S: victim?.sk?.S ?? '' } },
      }),
    );
    expect(Item?.note?.S).toMatch(/cannot read this launch .*attempt/);
  });
});
