import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { type Batch, NO_COUNTS } from '../../domain/batch.js';
import type { Restore } from '../../domain/inputs/restore.js';
import type { Launch } from '../../domain/launch.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { makeRestoreRepository } from '../../functions/adapters/restore-repository.js';
import { aBatch, aLaunch, aRunCost } from '../support/launch-factory.js';
import { useTestTable } from '../support/local-aws.js';

const AT = '2026-11-20T10:00:00.000Z';
const range = (expected: number) => ({ expected, low: expected / 2, high: expected * 2 });

/** A launch with every field gwm stores set (`Required`: a field added to Launch must be added here). */
const everyLaunchField: Required<Omit<Launch, 'typedStatus'>> = {
  ...aLaunch(),
  workflowVersion: 'v2',
  profile: 'wgs-germline',
  inputs: { fastq1: 's3://lab-in/S1_R1.fq.gz' },
  parameters: { threads: 8, nested: { depth: [1, 2] } },
  storageCapacity: 1200,
  runGroupId: '4815162',
  runCache: { id: '1234567', behavior: 'CACHE_ALWAYS' },
  priority: 7,
  tags: { project: 'cohort-7' },
  team: 'lab-a',
  order: 3,
  status: 'FAILED',
  attempt: 2,
  requestId: 'b1-S1-2',
  runName: 'HK3H3BBXY-S1-2',
  runId: '9876543',
  runUuid: 'e3b0c442-98fc-1c14-9afb-f4c8996fb924',
  runArn: 'arn:aws:omics:us-east-1:123456789012:run/9876543',
  runOutputUri: 's3://lab-out/runs/9876543/',
  failureReason: 'TASK_FAILED',
  statusMessage: 'task align failed',
  logLocation: 'run/9876543',
  logExcerpt: 'exit code 137',
  cost: { ...aRunCost(2, 1.25), cachedTaskCount: 1, estimated: true, missingPrices: ['omics.x.big'] },
  inputBytes: 5_000_000_000,
  archivedInputs: [
    {
      uri: 's3://lab-in/S1_R2.fq.gz',
      storageClass: 'GLACIER',
      restoredAt: AT,
      expiresAt: AT,
      dueAt: AT,
      failure: 'gone',
    },
  ],
  estimate: { costUsd: range(1), durationSeconds: range(3600), basedOnRuns: 12, inputBytes: 4_000_000_000 },
  note: 'retried by hand',
  cancelRequestedAt: AT,
  statusHistory: [
    { status: 'RUNNING', at: AT, source: 'event' },
    { status: 'FAILED', at: AT, source: 'reconciler' },
  ],
  attempts: [
    {
      attempt: 1,
      status: 'FAILED',
      requestId: 'b1-S1-1',
      runId: '1111111',
      runUuid: 'u-1',
      failureReason: 'TASK_FAILED',
      logLocation: 'run/1111111',
      finishedAt: AT,
      cost: aRunCost(1, 0.5),
    },
  ],
  claimToken: 'claim-1',
  claimExpiresAt: AT,
  throttledCount: 2,
  submittedAt: AT,
  finishedAt: AT,
};

/** A batch with every field gwm stores set (`Required`, as above). */
const everyBatchField: Required<Batch> = {
  ...aBatch(),
  format: 'native-v1',
  sourceVersionId: 'v-3',
  sourceETag: '"abc"',
  team: 'lab-a',
  submitter: 'ana@lab-a',
  submittedBy: 'AIDAEXAMPLE',
  priority: 'urgent',
  status: 'COMPLETED',
  qc: {
    workflow: { id: '7654321', type: 'PRIVATE', version: 'v1' },
    profile: 'qc',
    outputUri: 's3://lab-out/qc/',
    storageType: 'DYNAMIC',
    storageCapacity: 100,
    runGroupId: '4815162',
    cache: { id: '1234567' },
    priority: 1,
    tags: { project: 'cohort-7' },
    inputs: { report: 's3://lab-in/qc.cfg' },
    parameterTemplate: { samples: '{{batch.sampleOutputUris}}' },
    policy: { kind: 'min-succeeded-fraction', fraction: 0.75 },
    rerunOnRetry: true,
  },
  qcArchivedInputs: [{ uri: 's3://lab-in/qc.cfg', storageClass: 'DEEP_ARCHIVE', dueAt: AT }],
  notifications: { onBatchCompleted: true, onLaunchFailed: false, onRejected: true },
  problems: [{ path: '$.samples[0].id', code: 'DUPLICATE_SAMPLE_ID', message: 'S1 twice' }],
  problemCount: 1,
  registrationOwner: 'intake-1',
  registrationExpiresAt: AT,
  registeredAt: AT,
  counts: { succeeded: 3, failed: 1, cancelled: 1, launchFailed: 1, deleted: 1 },
  round: 2,
  retriesCounted: 2,
  roundRetries: 1,
  qcState: 'COMPLETED',
  qcReason: 'fraction met',
  qcAttempt: 1,
  notifiedRound: 2,
  notificationState: 'SENT',
  notificationAt: AT,
  notificationError: 'SNS throttled',
  notificationFailures: 1,
  finishedAt: AT,
  cost: { totalUsd: 3, computeUsd: 2.5, storageUsd: 0.5, runsPriced: 4, runsEstimated: 1 },
  estimate: { costUsd: range(3), samplesEstimated: 3, samplesWithoutHistory: 1, estimatedAt: AT },
  budgetMaxUsd: 50,
  heldAt: AT,
  releasedAt: AT,
};

const everyRestoreField: Required<Restore> = {
  uri: 's3://lab-in/S1_R2.fq.gz',
  storageClass: 'GLACIER',
  tier: 'Bulk',
  days: 7,
  state: 'RESTORED',
  requestedAt: AT,
  dueAt: AT,
  requests: 2,
  askedAt: AT,
  restoredAt: AT,
  expiresAt: AT,
  failureReason: 'none',
  updatedAt: AT,
  revision: 3,
};

describe('item shapes', () => {
  const table = useTestTable('gwm-item-shapes');
  const setup = () => {
    const entities = makeEntities(table.doc, table.tableName);
    return {
      entities,
      launches: makeLaunchRepository(entities),
      batches: makeBatchRepository(entities),
      restores: makeRestoreRepository(entities),
    };
  };
  const setToNull = async (key: Record<string, unknown> | undefined, names: string[]) =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :null`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#n${i}`, name])),
        ExpressionAttributeValues: { ':null': null },
      }),
    );

  it('reads back every field of a launch, a batch and a restore as it was written', async () => {
    const { launches, batches, restores } = setup();
    await launches.putMany([everyLaunchField]);
    expect(await batches.create(everyBatchField)).toBe('written');
    expect(await restores.create(everyRestoreField)).toBe('written');

    expect(await launches.get(everyLaunchField.batchId, everyLaunchField.launchId)).toEqual(everyLaunchField);
    expect(await batches.get(everyBatchField.batchId)).toEqual(everyBatchField);
    expect(await restores.get(everyRestoreField.uri)).toEqual(everyRestoreField);
  });

  it('reads an attribute a person set to NULL in the console as absent, not as an unreadable item', async () => {
    const { entities, launches, batches } = setup();
    const launch = { ...everyLaunchField, batchId: 'b-null', launchId: 'b-null/S1' };
    await launches.putMany([launch]);
    await batches.create({ ...everyBatchField, batchId: 'b-null' });
    const launchKey = entities.launch.get({ batchId: 'b-null', launchId: 'b-null/S1' }).params().Key;
    const batchKey = entities.batch.get({ batchId: 'b-null' }).params().Key;
    await setToNull(launchKey, ['runCache', 'statusHistory', 'archivedInputs', 'estimate', 'tags']);
    await setToNull(batchKey, ['counts', 'qcArchivedInputs', 'estimate', 'cost']);

    const read = await launches.get('b-null', 'b-null/S1');
    expect(read).toEqual({
      ...launch,
      runCache: undefined,
      statusHistory: [],
      archivedInputs: undefined,
      estimate: undefined,
      tags: {},
    });
    const batch = await batches.get('b-null');
    expect(batch).toEqual({
      ...everyBatchField,
      batchId: 'b-null',
      counts: NO_COUNTS,
      qcArchivedInputs: undefined,
      estimate: undefined,
      cost: undefined,
    });
  });
});
