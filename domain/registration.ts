import type { Batch } from './batch.js';
import { type Launch, launchIdFor } from './launch.js';
import type { SampleLaunchSpec } from './manifest/types.js';

/**
 * The launch item of one sample as registration writes it. Everything is derived from the batch
 * and the manifest, so writing it again after a crash writes the very same item.
 */
export function registeredLaunch(
  batch: Pick<Batch, 'batchId' | 'name' | 'createdAt'>,
  spec: SampleLaunchSpec,
): Launch {
  return {
    launchId: launchIdFor(batch.batchId, spec.sampleId),
    batchId: batch.batchId,
    sampleId: spec.sampleId,
    kind: 'SAMPLE',
    batchName: batch.name,
    workflowId: spec.workflow.id,
    workflowType: spec.workflow.type,
    workflowVersion: spec.workflow.version,
    profile: spec.profile,
    inputs: spec.inputs,
    parameters: spec.parameters,
    outputUri: spec.outputUri,
    storageType: spec.storageType,
    storageCapacity: spec.storageCapacity,
    runGroupId: spec.runGroupId,
    priority: spec.priority,
    tags: spec.tags,
    status: 'REGISTERED',
    attempt: 1,
    statusHistory: [{ status: 'REGISTERED', at: batch.createdAt, source: 'gwm' }],
    attempts: [],
    createdAt: batch.createdAt,
    updatedAt: batch.createdAt,
    revision: 1,
  };
}
