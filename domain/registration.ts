import type { Batch } from './batch.js';
import type { SampleEstimate } from './cost/types.js';
import { failedInput, waitingInputs } from './inputs/restore.js';
import {
  type ArchivedInput,
  effectiveStatus,
  historyEntry,
  type Launch,
  launchIdFor,
  touchLaunch,
  withHistory,
} from './launch.js';
import type { SampleLaunchSpec } from './manifest/types.js';

/**
 * The launch item of one sample as registration writes it. Everything is derived from the batch
 * and the manifest, so writing it again after a crash writes the very same item.
 */
export function registeredLaunch(
  batch: Pick<Batch, 'batchId' | 'name' | 'createdAt' | 'team'>,
  spec: SampleLaunchSpec,
  estimate?: SampleEstimate,
  archivedInputs: ArchivedInput[] = [],
  order?: number,
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
    runCache: spec.cache,
    priority: spec.priority,
    tags: spec.tags,
    ...(batch.team !== undefined && { team: batch.team }),
    ...(order !== undefined && { order }),
    ...(estimate?.inputBytes !== undefined && { inputBytes: estimate.inputBytes }),
    ...(estimate !== undefined && { estimate }),
    ...(archivedInputs.length > 0 && { archivedInputs }),
    status: 'REGISTERED',
    attempt: 1,
    statusHistory: [{ status: 'REGISTERED', at: batch.createdAt, source: 'gwm' }],
    attempts: [],
    createdAt: batch.createdAt,
    updatedAt: batch.createdAt,
    revision: 1,
  };
}

/**
 * REGISTERED -> QUEUED for a launch of a fully registered batch (WAITING_FOR_INPUTS while an
 * archived input is not restored yet); undefined when it is not waiting for release. A status a person typed over a REGISTERED launch (a typo, or a RETRY of a launch
 * that never ran) does not keep it from being released: the release is the gwm write that puts
 * the recorded status back. A CANCEL is left to the launcher, which ends the launch CANCELLED.
 */
export function releasedLaunch(launch: Launch, now: Date): Launch | undefined {
  if (effectiveStatus(launch) !== 'REGISTERED' || launch.status === 'CANCEL') return undefined;
  const failed = failedInput(launch);
  if (failed) {
    return touchLaunch(launch, now, {
      status: 'LAUNCH_FAILED',
      failureReason: `input ${failed.uri} could not be restored: ${failed.failure}`,
      finishedAt: now.toISOString(),
      statusHistory: withHistory(launch.statusHistory, historyEntry('LAUNCH_FAILED', now, 'gwm')),
    });
  }
  const status = waitingInputs(launch).length > 0 ? 'WAITING_FOR_INPUTS' : 'QUEUED';
  return touchLaunch(launch, now, {
    status,
    statusHistory: withHistory(launch.statusHistory, historyEntry(status, now, 'gwm')),
  });
}
