import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Entity } from 'electrodb';
import { INDEXED_BATCH_STATUSES } from '../../domain/batch.js';
import { TABLE } from './table.js';

/**
 * ElectroDB entities over the single table. Attribute names are the plain names a person sees
 * and edits in the console; key attributes (pk, sk, gsiNpk, gsiNsk) are derived and rewritten
 * by every write that goes through the repositories. Keys keep their case: ids differ in case.
 */
export const SERVICE = 'gwm';

const [gsi1, gsi2, gsi3, gsi4] = TABLE.globalIndexes;
const key = <const F extends string, const C extends readonly string[]>(field: F, composite: C) => ({
  field,
  composite: [...composite] as [...C],
  casing: 'none' as const,
});

export function makeEntities(client: DynamoDBDocumentClient, table: string) {
  const launch = new Entity(
    {
      model: { entity: 'launch', version: '1', service: SERVICE },
      attributes: {
        launchId: { type: 'string', required: true },
        batchId: { type: 'string', required: true },
        sampleId: { type: 'string', required: true },
        kind: { type: 'string', required: true },
        batchName: { type: 'string', required: true },
        workflowId: { type: 'string', required: true },
        workflowType: { type: 'string', required: true },
        workflowVersion: { type: 'string' },
        profile: { type: 'string' },
        inputs: { type: 'any' },
        parameters: { type: 'any' },
        outputUri: { type: 'string', required: true },
        storageType: { type: 'string', required: true },
        storageCapacity: { type: 'number' },
        runGroupId: { type: 'string' },
        priority: { type: 'number' },
        tags: { type: 'any' },
        status: { type: 'string', required: true },
        attempt: { type: 'number', required: true },
        requestId: { type: 'string' },
        runName: { type: 'string' },
        runId: { type: 'string' },
        runUuid: { type: 'string' },
        runArn: { type: 'string' },
        runOutputUri: { type: 'string' },
        failureReason: { type: 'string' },
        statusMessage: { type: 'string' },
        logLocation: { type: 'string' },
        logExcerpt: { type: 'string' },
        inputBytes: { type: 'number' },
        archivedInputs: { type: 'any' },
        estimate: { type: 'any' },
        note: { type: 'string' },
        cancelRequestedAt: { type: 'string' },
        statusHistory: { type: 'any' },
        attempts: { type: 'any' },
        cost: { type: 'any' },
        claimToken: { type: 'string' },
        claimExpiresAt: { type: 'string' },
        throttledCount: { type: 'number' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        submittedAt: { type: 'string' },
        finishedAt: { type: 'string' },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byBatch: {
          pk: key(TABLE.partitionKey, ['batchId']),
          sk: key(TABLE.sortKey, ['launchId']),
        },
        byRun: {
          index: gsi1.indexName,
          pk: key(gsi1.partitionKey, ['runId']),
          sk: key(gsi1.sortKey, []),
          // Sparse: only launches that have a run are found by run id.
          condition: (attr) => attr.runId !== undefined,
        },
        bySample: {
          index: gsi2.indexName,
          pk: key(gsi2.partitionKey, ['sampleId']),
          sk: key(gsi2.sortKey, ['createdAt', 'launchId']),
        },
        byWorkflow: {
          index: gsi3.indexName,
          pk: key(gsi3.partitionKey, ['workflowId']),
          sk: key(gsi3.sortKey, ['createdAt', 'launchId']),
        },
        byStatus: {
          index: gsi4.indexName,
          pk: key(gsi4.partitionKey, ['status']),
          sk: key(gsi4.sortKey, ['updatedAt', 'launchId']),
        },
      },
    },
    { client, table },
  );

  const batch = new Entity(
    {
      model: { entity: 'batch', version: '1', service: SERVICE },
      attributes: {
        batchId: { type: 'string', required: true },
        name: { type: 'string', required: true },
        format: { type: 'string' },
        sourceUri: { type: 'string', required: true },
        sourceVersionId: { type: 'string' },
        sourceETag: { type: 'string' },
        contentSha256: { type: 'string', required: true },
        team: { type: 'string' },
        submitter: { type: 'string' },
        status: { type: 'string', required: true },
        sampleCount: { type: 'number', required: true },
        releasedCount: { type: 'number', required: true },
        qc: { type: 'any' },
        qcArchivedInputs: { type: 'any' },
        notifications: { type: 'any' },
        problems: { type: 'any' },
        problemCount: { type: 'number' },
        registrationOwner: { type: 'string' },
        registrationExpiresAt: { type: 'string' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        registeredAt: { type: 'string' },
        estimate: { type: 'any' },
        budgetMaxUsd: { type: 'number' },
        heldAt: { type: 'string' },
        releasedAt: { type: 'string' },
        counts: { type: 'any' },
        round: { type: 'number' },
        retriesCounted: { type: 'number' },
        roundRetries: { type: 'number' },
        qcState: { type: 'string' },
        qcReason: { type: 'string' },
        qcAttempt: { type: 'number' },
        notifiedRound: { type: 'number' },
        notificationState: { type: 'string' },
        notificationAt: { type: 'string' },
        notificationError: { type: 'string' },
        notificationFailures: { type: 'number' },
        finishedAt: { type: 'string' },
        cost: { type: 'any' },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byId: {
          pk: key(TABLE.partitionKey, ['batchId']),
          sk: key(TABLE.sortKey, []),
        },
        recent: {
          index: gsi1.indexName,
          pk: key(gsi1.partitionKey, []),
          sk: key(gsi1.sortKey, ['createdAt', 'batchId']),
        },
        // Sparse: only batches with work left, for the reconciler: the recount of quiet open
        // batches, and the resume of registrations whose intake stopped. REGISTERING is here too,
        // one partition per status, rather than in an index of its own: a query names its status,
        // so each reader lists only its own statuses (the recount never sees REGISTERING), and no
        // table needs another GSI.
        open: {
          index: gsi2.indexName,
          pk: key(gsi2.partitionKey, ['status']),
          sk: key(gsi2.sortKey, ['createdAt', 'batchId']),
          condition: (attr) => (INDEXED_BATCH_STATUSES as readonly string[]).includes(String(attr.status)),
        },
        // Sparse: only batches whose notification is being sent, for the reconciler to resume.
        // One composite, so a batch without a notification state writes no keys (ElectroDB
        // refuses a sparse index whose composites are only partly present).
        sending: {
          index: gsi4.indexName,
          pk: key(gsi4.partitionKey, ['notificationState']),
          sk: key(gsi4.sortKey, []),
          condition: (attr) => attr.notificationState === 'SENDING',
        },
      },
    },
    { client, table },
  );

  const profile = new Entity(
    {
      model: { entity: 'workflowProfile', version: '1', service: SERVICE },
      attributes: {
        name: { type: 'string', required: true },
        description: { type: 'string' },
        workflow: { type: 'any', required: true },
        parameterTemplate: { type: 'any', required: true },
        defaults: { type: 'any', required: true },
        updatedAt: { type: 'string' },
      },
      indexes: {
        byName: {
          pk: key(TABLE.partitionKey, []),
          sk: key(TABLE.sortKey, ['name']),
        },
      },
    },
    { client, table },
  );

  const rateLimit = new Entity(
    {
      model: { entity: 'rateLimit', version: '1', service: SERVICE },
      attributes: {
        name: { type: 'string', required: true },
        tokens: { type: 'number', required: true },
        refilledAt: { type: 'number', required: true },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byName: {
          pk: key(TABLE.partitionKey, ['name']),
          sk: key(TABLE.sortKey, []),
        },
      },
    },
    { client, table },
  );

  /** Which attempt of a launch the batch counters have counted, and as what (one per launch). */
  const outcome = new Entity(
    {
      model: { entity: 'outcome', version: '1', service: SERVICE },
      attributes: {
        batchId: { type: 'string', required: true },
        launchId: { type: 'string', required: true },
        attempt: { type: 'number', required: true },
        outcome: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byLaunch: {
          pk: key(TABLE.partitionKey, ['batchId']),
          sk: key(TABLE.sortKey, ['launchId']),
        },
      },
    },
    { client, table },
  );

  /**
   * Pricing progress of one run attempt (one per launch attempt, beside the launch): the cost
   * collector's pages read so far, then the final cost once it has been added to the batch.
   */
  const costMark = new Entity(
    {
      model: { entity: 'costMark', version: '1', service: SERVICE },
      attributes: {
        batchId: { type: 'string', required: true },
        launchId: { type: 'string', required: true },
        attempt: { type: 'number', required: true },
        runId: { type: 'string', required: true },
        state: { type: 'string', required: true },
        usage: { type: 'any' },
        compute: { type: 'any' },
        pagesRead: { type: 'number', required: true },
        nextToken: { type: 'string' },
        cost: { type: 'any' },
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byAttempt: {
          pk: key(TABLE.partitionKey, ['batchId']),
          sk: key(TABLE.sortKey, ['launchId', 'attempt']),
        },
      },
    },
    { client, table },
  );

  /** The restore of one archived input object, shared by every launch that waits for it. */
  const restore = new Entity(
    {
      model: { entity: 'restore', version: '1', service: SERVICE },
      attributes: {
        uri: { type: 'string', required: true },
        storageClass: { type: 'string', required: true },
        tier: { type: 'string', required: true },
        days: { type: 'number', required: true },
        state: { type: 'string', required: true },
        requestedAt: { type: 'string', required: true },
        dueAt: { type: 'string', required: true },
        requests: { type: 'number', required: true },
        askedAt: { type: 'string' },
        restoredAt: { type: 'string' },
        expiresAt: { type: 'string' },
        failureReason: { type: 'string' },
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      },
      indexes: {
        byUri: {
          pk: key(TABLE.partitionKey, ['uri']),
          sk: key(TABLE.sortKey, []),
        },
        // Sparse: only restores gwm still waits for, soonest due first (the reconciler's sweep).
        due: {
          index: gsi4.indexName,
          pk: key(gsi4.partitionKey, ['state']),
          sk: key(gsi4.sortKey, ['dueAt', 'uri']),
          condition: (attr) => attr.state === 'REQUESTED',
        },
      },
    },
    { client, table },
  );

  /** A launch waiting for an object's restore (one item per object and launch). */
  const restoreWaiter = new Entity(
    {
      model: { entity: 'restoreWaiter', version: '1', service: SERVICE },
      attributes: {
        uri: { type: 'string', required: true },
        batchId: { type: 'string', required: true },
        launchId: { type: 'string', required: true },
      },
      indexes: {
        byUri: {
          pk: key(TABLE.partitionKey, ['uri']),
          sk: key(TABLE.sortKey, ['batchId', 'launchId']),
        },
      },
    },
    { client, table },
  );

  return { launch, batch, profile, rateLimit, outcome, costMark, restore, restoreWaiter };
}

export type Entities = ReturnType<typeof makeEntities>;

/** ElectroDB's entity marker attribute; the stream filters match on it. */
export const ENTITY_ATTRIBUTE = '__edb_e__';
export const ENTITY_NAMES = { launch: 'launch', batch: 'batch', costMark: 'costMark' } as const;
