import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Entity } from 'electrodb';
import {
  BATCH_STATUSES,
  type Batch,
  INDEXED_BATCH_STATUSES,
  NOTIFICATION_STATES,
  QC_STATES,
} from '../../domain/batch.js';
import { COUNTED_OUTCOMES, type OutcomeMark } from '../../domain/completion.js';
import { RESTORE_STATES, RESTORE_TIERS, type Restore } from '../../domain/inputs/restore.js';
import { LAUNCH_KINDS, LAUNCH_STATUSES, type Launch } from '../../domain/launch.js';
import { MANIFEST_FORMATS } from '../../domain/manifest/types.js';
import { COST_MARK_STATES, type CostMark } from '../../domain/ports.js';
import { BATCH_PRIORITIES, type Team } from '../../domain/teams/team.js';
import { STORAGE_TYPES, WORKFLOW_TYPES, type WorkflowProfile } from '../../domain/workflow.js';
import { type AttributesOf, bare, key, stored, storedRequired } from './entity-attributes.js';
import { TABLE } from './table.js';

/**
 * ElectroDB entities over the single table. Attribute names are the plain names a person sees
 * and edits in the console; key attributes (pk, sk, gsiNpk, gsiNsk) are derived and rewritten
 * by every write that goes through the repositories. Keys keep their case: ids differ in case.
 */
export const SERVICE = 'gwm';

const [gsi1, gsi2, gsi3, gsi4, teamIndex, queueIndex] = TABLE.globalIndexes;
/** The launch's key attributes, derived on every write (launch-repository.ts). */
type DerivedLaunchKey = 'teamOrder' | 'queuePart' | 'queueOrder' | 'statusShard' | 'waitingSince';

export function makeEntities(client: DynamoDBDocumentClient, table: string) {
  const launch = new Entity(
    {
      model: { entity: 'launch', version: '1', service: SERVICE },
      attributes: {
        launchId: { type: 'string', required: true },
        batchId: { type: 'string', required: true },
        sampleId: { type: 'string', required: true },
        kind: { type: LAUNCH_KINDS, required: true },
        batchName: { type: 'string', required: true },
        workflowId: { type: 'string', required: true },
        workflowType: { type: WORKFLOW_TYPES, required: true },
        workflowVersion: { type: 'string' },
        profile: { type: 'string' },
        inputs: stored<Launch['inputs']>(),
        parameters: stored<Launch['parameters']>(),
        outputUri: { type: 'string', required: true },
        storageType: { type: STORAGE_TYPES, required: true },
        storageCapacity: { type: 'number' },
        runGroupId: { type: 'string' },
        runCache: stored<Launch['runCache']>(),
        priority: { type: 'number' },
        tags: stored<Launch['tags']>(),
        team: { type: 'string' },
        order: { type: 'number' },
        /** Derived on every write: `<createdAt>#<launchId>`, the team index's sort key. */
        teamOrder: { type: 'string' },
        /** Derived on every write (domain/scheduling/launch-queue.ts): the launch's slot in the queue. */
        queuePart: { type: 'string' },
        queueOrder: { type: 'string' },
        /** Derived on every write (functions/adapters/status-shards.ts): the launch's partition in the status index. */
        statusShard: { type: 'string' },
        /** Derived on every write while QUEUED or THROTTLED (domain/scheduling/waiting.ts): since when it waits to start. */
        waitingSince: { type: 'string' },
        status: { type: LAUNCH_STATUSES, required: true },
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
        archivedInputs: stored<Launch['archivedInputs']>(),
        estimate: stored<Launch['estimate']>(),
        note: { type: 'string' },
        cancelRequestedAt: { type: 'string' },
        statusHistory: stored<Launch['statusHistory']>(),
        attempts: stored<Launch['attempts']>(),
        cost: stored<Launch['cost']>(),
        claimToken: { type: 'string' },
        claimExpiresAt: { type: 'string' },
        throttledCount: { type: 'number' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        submittedAt: { type: 'string' },
        finishedAt: { type: 'string' },
        revision: { type: 'number', required: true },
      } satisfies AttributesOf<Launch, DerivedLaunchKey, 'typedStatus'>,
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
        // One status is spread over STATUS_SHARDS partitions (functions/adapters/status-shards.ts).
        byStatus: {
          index: gsi4.indexName,
          pk: key(gsi4.partitionKey, ['status', 'statusShard']),
          sk: key(gsi4.sortKey, ['updatedAt', 'launchId']),
        },
        // Sparse: launches of a team, newest first (`gwm history --team`, a team's own reads).
        byTeam: {
          index: teamIndex.indexName,
          pk: bare(teamIndex.partitionKey, 'team'),
          sk: key(teamIndex.sortKey, ['teamOrder']),
          condition: (attr) => attr.team !== undefined,
        },
        // Sparse: waiting launches by batch and sample order; runs in flight by team.
        inQueue: {
          index: queueIndex.indexName,
          pk: bare(queueIndex.partitionKey, 'queuePart'),
          sk: bare(queueIndex.sortKey, 'queueOrder'),
          condition: (attr) => attr.queuePart !== undefined,
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
        format: { type: MANIFEST_FORMATS },
        sourceUri: { type: 'string', required: true },
        sourceVersionId: { type: 'string' },
        sourceETag: { type: 'string' },
        contentSha256: { type: 'string', required: true },
        team: { type: 'string' },
        submitter: { type: 'string' },
        submittedBy: { type: 'string' },
        priority: { type: BATCH_PRIORITIES },
        /** Derived on every write: `<createdAt>#<batchId>`, the team index's sort key. */
        teamOrder: { type: 'string' },
        status: { type: BATCH_STATUSES, required: true },
        sampleCount: { type: 'number', required: true },
        releasedCount: { type: 'number', required: true },
        qc: stored<Batch['qc']>(),
        qcArchivedInputs: stored<Batch['qcArchivedInputs']>(),
        notifications: stored<Batch['notifications']>(),
        problems: stored<Batch['problems']>(),
        problemCount: { type: 'number' },
        registrationOwner: { type: 'string' },
        registrationExpiresAt: { type: 'string' },
        createdAt: { type: 'string', required: true },
        updatedAt: { type: 'string', required: true },
        registeredAt: { type: 'string' },
        estimate: stored<Batch['estimate']>(),
        budgetMaxUsd: { type: 'number' },
        heldAt: { type: 'string' },
        releasedAt: { type: 'string' },
        counts: storedRequired<Batch['counts']>(),
        round: { type: 'number', required: true },
        retriesCounted: { type: 'number' },
        roundRetries: { type: 'number' },
        qcState: { type: QC_STATES, required: true },
        qcReason: { type: 'string' },
        qcAttempt: { type: 'number', required: true },
        notifiedRound: { type: 'number', required: true },
        notificationState: { type: NOTIFICATION_STATES },
        notificationAt: { type: 'string' },
        notificationError: { type: 'string' },
        notificationFailures: { type: 'number' },
        finishedAt: { type: 'string' },
        cost: stored<Batch['cost']>(),
        revision: { type: 'number', required: true },
      } satisfies AttributesOf<Batch, 'teamOrder'>,
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
        // Sparse: a team's batches, newest first (beside its launches: `gwm status --team`).
        byTeam: {
          index: teamIndex.indexName,
          pk: bare(teamIndex.partitionKey, 'team'),
          sk: key(teamIndex.sortKey, ['teamOrder']),
          condition: (attr) => attr.team !== undefined,
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
        workflow: storedRequired<WorkflowProfile['workflow']>(),
        parameterTemplate: storedRequired<WorkflowProfile['parameterTemplate']>(),
        defaults: storedRequired<WorkflowProfile['defaults']>(),
        updatedAt: { type: 'string' },
      } satisfies AttributesOf<WorkflowProfile, 'updatedAt'>,
      indexes: {
        byName: {
          pk: key(TABLE.partitionKey, []),
          sk: key(TABLE.sortKey, ['name']),
        },
      },
    },
    { client, table },
  );

  const team = new Entity(
    {
      model: { entity: 'team', version: '1', service: SERVICE },
      attributes: {
        name: { type: 'string', required: true },
        description: { type: 'string' },
        readPrefixes: { type: 'list', items: { type: 'string' }, required: true },
        writePrefixes: { type: 'list', items: { type: 'string' }, required: true },
        weight: { type: 'number', required: true },
        maxInFlight: { type: 'number' },
        runGroupId: { type: 'string' },
        updatedAt: { type: 'string' },
      } satisfies AttributesOf<Team, 'updatedAt'>,
      indexes: {
        byName: {
          pk: key(TABLE.partitionKey, []),
          sk: key(TABLE.sortKey, ['name']),
        },
      },
    },
    { client, table },
  );

  /** A flow's pass in the fair share of the launch rate (domain/scheduling/fair-share.ts). */
  const sharePass = new Entity(
    {
      model: { entity: 'sharePass', version: '1', service: SERVICE },
      attributes: {
        flow: { type: 'string', required: true },
        pass: { type: 'number', required: true },
      },
      indexes: {
        byFlow: {
          pk: key(TABLE.partitionKey, ['flow']),
          sk: key(TABLE.sortKey, []),
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
        outcome: { type: COUNTED_OUTCOMES, required: true },
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      } satisfies AttributesOf<OutcomeMark, 'updatedAt'>,
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
        state: { type: COST_MARK_STATES, required: true },
        usage: stored<CostMark['usage']>(),
        compute: stored<CostMark['compute']>(),
        pagesRead: { type: 'number', required: true },
        nextToken: { type: 'string' },
        cost: stored<CostMark['cost']>(),
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      } satisfies AttributesOf<CostMark, 'updatedAt'>,
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
        tier: { type: RESTORE_TIERS, required: true },
        days: { type: 'number', required: true },
        state: { type: RESTORE_STATES, required: true },
        requestedAt: { type: 'string', required: true },
        dueAt: { type: 'string', required: true },
        requests: { type: 'number', required: true },
        askedAt: { type: 'string' },
        restoredAt: { type: 'string' },
        expiresAt: { type: 'string' },
        failureReason: { type: 'string' },
        updatedAt: { type: 'string', required: true },
        revision: { type: 'number', required: true },
      } satisfies AttributesOf<Restore>,
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

  return { launch, batch, profile, team, sharePass, rateLimit, outcome, costMark, restore, restoreWaiter };
}

export type Entities = ReturnType<typeof makeEntities>;

/** ElectroDB's entity marker attribute; the stream filters match on it. */
export const ENTITY_ATTRIBUTE = '__edb_e__';
export const ENTITY_NAMES = { launch: 'launch', batch: 'batch', costMark: 'costMark' } as const;
