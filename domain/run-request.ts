import type { Launch } from './launch.js';
import { requestIdFor, runNameFor } from './launch.js';

/** Tag keys gwm puts on every run, so a run can be traced back to its launch from the engine alone. */
export const RUN_TAGS = {
  launchId: 'gwm:launch-id',
  batchId: 'gwm:batch-id',
  sampleId: 'gwm:sample-id',
  attempt: 'gwm:attempt',
} as const;

export const MAX_RUN_TAGS = 50;

/**
 * Everything StartRun needs, independent of the engine's SDK: the launch's run settings (its
 * `runCache` is StartRun's `cacheId` and `cacheBehavior`), the role, and the request's id, name
 * and tags.
 */
export interface RunRequest
  extends Pick<
    Launch,
    | 'workflowId'
    | 'workflowType'
    | 'workflowVersion'
    | 'outputUri'
    | 'parameters'
    | 'storageType'
    | 'storageCapacity'
    | 'runGroupId'
    | 'runCache'
    | 'priority'
  > {
  requestId: string;
  name: string;
  roleArn: string;
  tags: Record<string, string>;
}

export function buildRunRequest(launch: Launch, roleArn: string): RunRequest {
  const own = {
    [RUN_TAGS.launchId]: launch.launchId,
    [RUN_TAGS.batchId]: launch.batchId,
    [RUN_TAGS.sampleId]: launch.sampleId,
    [RUN_TAGS.attempt]: String(launch.attempt),
  };
  // gwm's own tags always fit: user tags are cut first.
  const user = Object.entries(launch.tags)
    .filter(([key]) => !key.startsWith('gwm:'))
    .slice(0, MAX_RUN_TAGS - Object.keys(own).length);
  return {
    requestId: launch.requestId ?? requestIdFor(launch.launchId, launch.attempt),
    name: launch.runName ?? runNameFor(launch.batchName, launch.sampleId, launch.attempt),
    workflowId: launch.workflowId,
    workflowType: launch.workflowType,
    workflowVersion: launch.workflowVersion,
    roleArn,
    outputUri: launch.outputUri,
    parameters: launch.parameters,
    storageType: launch.storageType,
    storageCapacity: launch.storageType === 'STATIC' ? launch.storageCapacity : undefined,
    runGroupId: launch.runGroupId,
    runCache: launch.runCache,
    priority: launch.priority,
    tags: { ...Object.fromEntries(user), ...own },
  };
}

export function attemptFromTags(tags: Record<string, string> | undefined): number | undefined {
  const raw = tags?.[RUN_TAGS.attempt];
  const attempt = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(attempt) && attempt > 0 ? attempt : undefined;
}
