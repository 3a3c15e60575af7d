import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { runManifestStream, storageUseOf } from '../../domain/cost/run-manifest.js';
import { makeCloudWatchRunManifestReader } from '../../functions/adapters/cloudwatch-run-manifest.js';
import { OFFLINE_AWS } from '../support/offline-aws.js';

const RUN_ARN = 'arn:aws:omics:us-east-1:123456789012:run/4000001';
const UUID = '0b4f8e44-5a2d-4a7c-9b1e-2f6c1d7e8a90';
const runRecord = (metrics: Record<string, unknown>) =>
  JSON.stringify({ arn: RUN_ARN, uuid: UUID, storageType: 'DYNAMIC', metrics });
const taskRecord = (n: number) =>
  JSON.stringify({
    arn: `arn:aws:omics:us-east-1:123456789012:task/${9000000 + n}`,
    metrics: { storageMaximumGiB: 999 },
  });

describe('a run manifest', () => {
  it('gives the storage of the run record, not of a task, from text or objects', () => {
    const records = [
      taskRecord(1),
      'not json',
      runRecord({ storageAverageGiB: 12.5, storageMaximumGiB: '40' }),
    ];
    expect(storageUseOf(records, '4000001')).toEqual({ averageGiB: 12.5, maximumGiB: 40 });
    expect(storageUseOf([JSON.parse(runRecord({ storageMaximumGiB: 3 }))], '4000001')).toEqual({
      maximumGiB: 3,
    });
  });

  it('gives nothing without a record of the run, and no figures from a record without them or with figures that are not numbers', () => {
    expect(storageUseOf([runRecord({ storageAverageGiB: 1 })], '4000002')).toBeUndefined();
    expect(storageUseOf([runRecord({ cpusReserved: 4 })], '4000001')).toEqual({});
    expect(
      storageUseOf([runRecord({ storageAverageGiB: 'lots', storageMaximumGiB: -1 })], '4000001'),
    ).toEqual({});
  });
});

describe('the CloudWatch run manifest reader', () => {
  const client = new CloudWatchLogsClient(OFFLINE_AWS);
  const logs = mockClient(client);
  afterEach(() => logs.reset());

  it('reads the manifest stream of the run id and UUID from its head, page by page, until the run record', async () => {
    // Prepare: the run record is on the second page
    logs
      .on(GetLogEventsCommand, { nextToken: undefined })
      .resolves({ events: [{ message: taskRecord(1) }], nextForwardToken: 'f/1' })
      .on(GetLogEventsCommand, { nextToken: 'f/1' })
      .resolves({
        events: [{ message: runRecord({ storageAverageGiB: 7, storageMaximumGiB: 9 }) }],
        nextForwardToken: 'f/2',
      });
    const reader = makeCloudWatchRunManifestReader({ client });
    // Act
    const use = await reader.storageUse('4000001', UUID);
    // Assess
    expect(use).toEqual({ averageGiB: 7, maximumGiB: 9 });
    const calls = logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      logGroupName: '/aws/omics/WorkflowLog',
      logStreamName: runManifestStream('4000001', UUID),
      startFromHead: true,
    });
  });

  it('gives nothing at the end of a stream without the run record, for a stream not written yet, or without a UUID', async () => {
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: taskRecord(1) }], nextForwardToken: 'same' });
    const reader = makeCloudWatchRunManifestReader({ client });
    expect(await reader.storageUse('4000001', UUID)).toBeUndefined();
    // The same token came back on the second page: the end.
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(2);

    logs.reset();
    logs
      .on(GetLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }));
    expect(await reader.storageUse('4000001', UUID)).toBeUndefined();
    expect(await reader.storageUse('4000001')).toBeUndefined();
    expect(logs.commandCalls(GetLogEventsCommand)).toHaveLength(1);
  });

  it('lets any other error through, so the request is tried again', async () => {
    logs
      .on(GetLogEventsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const reader = makeCloudWatchRunManifestReader({ client });
    await expect(reader.storageUse('4000001', UUID)).rejects.toThrow(/Rate exceeded/);
  });
});
