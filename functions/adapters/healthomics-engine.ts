import {
  CancelRunCommand,
  GetRunCommand,
  ListRunsCommand,
  ListRunTasksCommand,
  OmicsClient,
  type OmicsClientConfig,
  type RunRetentionMode,
  StartRunCommand,
} from '@aws-sdk/client-omics';
import type { RunTaskPage, RunUsage } from '../../domain/cost/types.js';
import { RUN_STATUSES, type RunStatus } from '../../domain/launch.js';
import type {
  CancelRunResult,
  RunDetails,
  RunSummary,
  StartRunResult,
  WorkflowEngine,
} from '../../domain/ports.js';
import type { RunRequest } from '../../domain/run-request.js';
import { isResourceNotFound } from './not-found.js';

/** Engine errors that no retry will fix: the launch ends LAUNCH_FAILED with the engine's message. */
const PERMANENT = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ConflictException',
  'NotSupportedOperationException',
]);
const THROTTLED = new Set(['ThrottlingException', 'TooManyRequestsException', 'ThrottledException']);

export interface HealthOmicsEngineOptions {
  client: OmicsClient;
  retentionMode?: RunRetentionMode;
}

/**
 * gwm paces and retries StartRun itself (shared token bucket, counted throttles), so the client
 * given here should not retry on its own: see `makeOmicsClient`.
 */
/**
 * One attempt per call (gwm paces and retries StartRun itself) and a bounded wait for each answer:
 * the launcher's timeout is sized on it (infra/function-settings.ts).
 */
export function makeOmicsClient(config: OmicsClientConfig = {}): OmicsClient {
  return new OmicsClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: OMICS_REQUEST_TIMEOUT_MS },
    ...config,
  });
}

export const OMICS_REQUEST_TIMEOUT_MS = 10_000;

export function makeHealthOmicsEngine(options: HealthOmicsEngineOptions): WorkflowEngine {
  const { client } = options;
  return {
    async startRun(request: RunRequest): Promise<StartRunResult> {
      try {
        const response = await client.send(
          new StartRunCommand({
            requestId: request.requestId,
            name: request.name,
            workflowId: request.workflowId,
            workflowType: request.workflowType,
            workflowVersionName: request.workflowVersion,
            roleArn: request.roleArn,
            outputUri: request.outputUri,
            parameters: request.parameters as Record<string, never>,
            storageType: request.storageType,
            storageCapacity: request.storageCapacity,
            runGroupId: request.runGroupId,
            cacheId: request.runCache?.id,
            cacheBehavior: request.runCache?.behavior,
            priority: request.priority,
            tags: request.tags,
            retentionMode: options.retentionMode,
          }),
        );
        if (!response.id) {
          return {
            ok: false,
            retryable: true,
            throttled: false,
            code: 'NoRunId',
            message: 'StartRun returned no run id',
          };
        }
        return { ok: true, runId: response.id, runUuid: response.uuid, runArn: response.arn };
      } catch (error) {
        return classify(error);
      }
    },

    async listRunsByName(name: string): Promise<RunSummary[]> {
      const runs: RunSummary[] = [];
      let startingToken: string | undefined;
      do {
        const page = await client.send(new ListRunsCommand({ name, startingToken, maxResults: 100 }));
        for (const item of page.items ?? []) {
          // ListRuns matches names by prefix: keep only this exact name.
          if (item.name !== name || !item.id) continue;
          const status = RUN_STATUSES.includes(item.status as RunStatus)
            ? (item.status as RunStatus)
            : 'PENDING';
          runs.push({ runId: item.id, runArn: item.arn, name: item.name, status });
        }
        startingToken = page.nextToken;
      } while (startingToken);
      return runs;
    },

    async cancelRun(runId: string): Promise<CancelRunResult> {
      try {
        await client.send(new CancelRunCommand({ id: runId }));
        return { ok: true };
      } catch (error) {
        // ConflictException: the run already ended (or is being cancelled); not found: it is gone.
        const { retryable, code, message } = classify(error);
        return { ok: false, retryable, code, message };
      }
    },

    async getRun(runId: string): Promise<RunDetails | undefined> {
      try {
        const run = await client.send(new GetRunCommand({ id: runId }));
        const status = RUN_STATUSES.includes(run.status as RunStatus) ? (run.status as RunStatus) : 'PENDING';
        return {
          runId: run.id ?? runId,
          runUuid: run.uuid,
          runArn: run.arn,
          status,
          name: run.name,
          failureReason: run.failureReason,
          statusMessage: run.statusMessage,
          runOutputUri: run.runOutputUri,
          tags: run.tags ?? {},
          usage: usageOf(runId, run),
        };
      } catch (error) {
        if (isResourceNotFound(error)) return undefined;
        throw error;
      }
    },

    async listRunTasks(runId, page): Promise<RunTaskPage> {
      const response = await client.send(
        new ListRunTasksCommand({
          id: runId,
          startingToken: page.startingToken,
          maxResults: page.maxResults ?? 100,
        }),
      );
      return {
        tasks: (response.items ?? []).map((task) => ({
          taskId: task.taskId ?? '',
          status: task.status ?? 'UNKNOWN',
          name: task.name,
          cpus: task.cpus,
          memory: task.memory,
          gpus: task.gpus,
          instanceType: task.instanceType,
          cacheHit: task.cacheHit,
          creationTime: task.creationTime?.toISOString(),
          startTime: task.startTime?.toISOString(),
          stopTime: task.stopTime?.toISOString(),
        })),
        ...(response.nextToken ? { nextToken: response.nextToken } : {}),
      };
    },
  };
}

function usageOf(
  runId: string,
  run: {
    uuid?: string;
    workflowId?: string;
    workflowType?: string;
    storageType?: string;
    storageCapacity?: number;
    startTime?: Date;
    stopTime?: Date;
  },
): RunUsage {
  return {
    runId,
    ...(run.uuid === undefined ? {} : { runUuid: run.uuid }),
    workflowId: run.workflowId,
    workflowType: run.workflowType === 'READY2RUN' ? 'READY2RUN' : 'PRIVATE',
    storageType: run.storageType === 'DYNAMIC' ? 'DYNAMIC' : 'STATIC',
    storageCapacity: run.storageCapacity,
    startTime: run.startTime?.toISOString(),
    stopTime: run.stopTime?.toISOString(),
  };
}

function classify(error: unknown): Extract<StartRunResult, { ok: false }> {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name ?? 'UnknownError';
  const message = e.message ?? String(error);
  if (THROTTLED.has(code) || e.$metadata?.httpStatusCode === 429) {
    return { ok: false, retryable: true, throttled: true, code, message };
  }
  if (PERMANENT.has(code)) return { ok: false, retryable: false, throttled: false, code, message };
  // 5xx, timeouts, network faults: the requestId makes sending the same request again safe.
  // ServiceQuotaExceededException too: the account's runs are full (retained runs, active runs)
  // until some end or are removed; the launch waits THROTTLED and is tried again, not failed.
  return { ok: false, retryable: true, throttled: false, code, message };
}
