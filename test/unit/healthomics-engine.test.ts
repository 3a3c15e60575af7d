import {
  AccessDeniedException,
  CancelRunCommand,
  ConflictException,
  GetRunCommand,
  InternalServerException,
  OmicsClient,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartRunCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-omics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRequest } from '../../domain/run-request.js';
import { makeHealthOmicsEngine } from '../../functions/adapters/healthomics-engine.js';
import { OFFLINE_AWS } from '../support/offline-aws.js';

const client = new OmicsClient(OFFLINE_AWS);
const omics = mockClient(client);
afterEach(() => omics.reset());

const request: RunRequest = {
  requestId: 'b1/S1/1',
  name: 'FC1-S1-1',
  workflowId: '1234567',
  workflowType: 'PRIVATE',
  roleArn: 'arn:aws:iam::123456789012:role/omics',
  outputUri: 's3://lab-results/FC1/',
  parameters: { input_fastq: 's3://lab-inputs/S1.fastq.gz' },
  storageType: 'DYNAMIC',
  tags: { 'gwm:launch-id': 'b1/S1' },
};

describe('HealthOmics engine adapter', () => {
  it('sends StartRun with the requestId, name, storage type, role, output and tags', async () => {
    omics.on(StartRunCommand).resolves({ id: '42', uuid: 'u-42', arn: 'arn:aws:omics:us-east-1:1:run/42' });
    const engine = makeHealthOmicsEngine({ client, retentionMode: 'REMOVE' });
    const result = await engine.startRun(request);
    expect(result).toEqual({
      ok: true,
      runId: '42',
      runUuid: 'u-42',
      runArn: 'arn:aws:omics:us-east-1:1:run/42',
    });
    expect(omics.commandCalls(StartRunCommand)[0]?.args[0].input).toMatchObject({
      requestId: 'b1/S1/1',
      name: 'FC1-S1-1',
      workflowId: '1234567',
      workflowType: 'PRIVATE',
      storageType: 'DYNAMIC',
      roleArn: 'arn:aws:iam::123456789012:role/omics',
      outputUri: 's3://lab-results/FC1/',
      parameters: { input_fastq: 's3://lab-inputs/S1.fastq.gz' },
      tags: { 'gwm:launch-id': 'b1/S1' },
      retentionMode: 'REMOVE',
    });
  });

  it("sends the run cache's id and behavior as StartRun's cacheId and cacheBehavior, and none without a cache", async () => {
    // Prepare
    omics.on(StartRunCommand).resolves({ id: '42', uuid: 'u-42', arn: 'arn:aws:omics:us-east-1:1:run/42' });
    const engine = makeHealthOmicsEngine({ client });

    // Act
    await engine.startRun({ ...request, runCache: { id: '5551234', behavior: 'CACHE_ON_FAILURE' } });
    await engine.startRun({ ...request, requestId: 'b1/S1/2', runCache: { id: '5551234' } });
    await engine.startRun({ ...request, requestId: 'b1/S1/3' });

    // Assess
    const sent = omics.commandCalls(StartRunCommand).map((call) => call.args[0].input);
    expect(sent[0]).toMatchObject({ cacheId: '5551234', cacheBehavior: 'CACHE_ON_FAILURE' });
    expect(sent[1]).toMatchObject({ cacheId: '5551234' });
    expect(sent[1]?.cacheBehavior).toBeUndefined();
    expect(sent[2]?.cacheId).toBeUndefined();
    expect(sent[2]?.cacheBehavior).toBeUndefined();
  });

  it.each([
    [new ThrottlingException({ message: 'slow down', $metadata: {} }), { retryable: true, throttled: true }],
    [new InternalServerException({ message: 'oops', $metadata: {} }), { retryable: true, throttled: false }],
    [new ValidationException({ message: 'bad', $metadata: {} }), { retryable: false, throttled: false }],
    [new AccessDeniedException({ message: 'no', $metadata: {} }), { retryable: false, throttled: false }],
    [
      new ResourceNotFoundException({ message: 'gone', $metadata: {} }),
      { retryable: false, throttled: false },
    ],
    [
      // Retryable later: the account's run quota frees up as runs end or are removed
      new ServiceQuotaExceededException({ message: 'quota', $metadata: {} }),
      { retryable: true, throttled: false },
    ],
  ])('classifies %s', async (error, expected) => {
    omics.on(StartRunCommand).rejects(error);
    const result = await makeHealthOmicsEngine({ client }).startRun(request);
    expect(result).toMatchObject({ ok: false, code: error.name, message: error.message, ...expected });
  });

  it('answers undefined for a run the engine no longer knows', async () => {
    omics.on(GetRunCommand).rejects(new ResourceNotFoundException({ message: 'no run', $metadata: {} }));
    expect(await makeHealthOmicsEngine({ client }).getRun('7')).toBeUndefined();
  });

  it('cancels a run, and tells a refusal from a fault worth asking again', async () => {
    const engine = makeHealthOmicsEngine({ client });
    omics.on(CancelRunCommand, { id: '42' }).resolves({});
    expect(await engine.cancelRun('42')).toEqual({ ok: true });
    expect(omics.commandCalls(CancelRunCommand)[0]?.args[0].input).toEqual({ id: '42' });

    omics.on(CancelRunCommand).rejects(new ConflictException({ message: 'run is COMPLETED', $metadata: {} }));
    expect(await engine.cancelRun('43')).toEqual({
      ok: false,
      retryable: false,
      code: 'ConflictException',
      message: 'run is COMPLETED',
    });
    omics.on(CancelRunCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    expect(await engine.cancelRun('44')).toMatchObject({ ok: false, retryable: true });
    omics.on(CancelRunCommand).rejects(new InternalServerException({ message: 'oops', $metadata: {} }));
    expect(await engine.cancelRun('45')).toMatchObject({ ok: false, retryable: true });
  });
});
