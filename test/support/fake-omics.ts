import { randomUUID } from 'node:crypto';
import {
  CloudWatchLogsClient,
  ResourceNotFoundException as CloudWatchResourceNotFound,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CancelRunCommand,
  ConflictException,
  GetRunCommand,
  type GetRunResponse,
  ListRunsCommand,
  type ListRunsRequest,
  type ListRunsResponse,
  ListRunTasksCommand,
  type ListRunTasksRequest,
  type ListRunTasksResponse,
  OmicsClient,
  ResourceNotFoundException,
  type RunStatus,
  StartRunCommand,
  type StartRunRequest,
  type TaskListItem,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-omics';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeRun {
  id: string;
  uuid: string;
  arn: string;
  requestId?: string;
  name?: string;
  status: RunStatus;
  request: StartRunRequest;
  failureReason?: string;
  statusMessage?: string;
  runOutputUri: string;
  /** What ListRunTasks reports for the run (set with `setUsage`). */
  tasks: TaskListItem[];
  /** When the run started RUNNING and stopped (GetRun's startTime and stopTime). */
  startTime?: Date;
  stopTime?: Date;
  /** The storage figures of the run's manifest (written when the run ends); absent: none reported. */
  storageUse?: { storageAverageGiB?: number; storageMaximumGiB?: number };
}

export interface FakeOmicsOptions {
  /** Fraction of StartRun calls answered with ThrottlingException (decided by `random`). */
  throttleRate?: number;
  random?: () => number;
  /** Workflow ids StartRun refuses with ValidationException. */
  invalidWorkflows?: string[];
}

/**
 * HealthOmics as the SDK sees it, mocked at the client: StartRun honours requestId idempotency
 * (the same requestId returns the same run), GetRun answers from the runs it made, and run status
 * events are built with the real EventBridge envelope.
 */
export function makeFakeOmics(options: FakeOmicsOptions = {}) {
  const endpointless = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
  };
  const client = new OmicsClient({ ...endpointless, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  const logsClient = new CloudWatchLogsClient({ ...endpointless, endpoint: 'http://127.0.0.1:9' });
  const omics = mockClient(client);
  const logs = mockClient(logsClient);
  const runs = new Map<string, FakeRun>();
  const byRequestId = new Map<string, FakeRun>();
  const startRunCalls: StartRunRequest[] = [];
  const random = options.random ?? Math.random;
  let nextId = 4_000_000;
  let runsEverCreated = 0;

  omics.on(StartRunCommand).callsFake((input: StartRunRequest) => {
    startRunCalls.push(input);
    if ((options.throttleRate ?? 0) > 0 && random() < (options.throttleRate ?? 0)) {
      throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });
    }
    if (input.workflowId && options.invalidWorkflows?.includes(input.workflowId)) {
      throw new ValidationException({ message: `Workflow ${input.workflowId} is not ACTIVE`, $metadata: {} });
    }
    const existing = input.requestId ? byRequestId.get(input.requestId) : undefined;
    const run =
      existing ??
      (() => {
        const id = String(nextId++);
        const created: FakeRun = {
          id,
          uuid: randomUUID(),
          arn: `arn:aws:omics:us-east-1:123456789012:run/${id}`,
          requestId: input.requestId,
          name: input.name,
          status: 'PENDING',
          request: input,
          runOutputUri: `${input.outputUri}${id}`,
          tasks: [],
        };
        runs.set(id, created);
        runsEverCreated++;
        if (input.requestId) byRequestId.set(input.requestId, created);
        return created;
      })();
    return { id: run.id, uuid: run.uuid, arn: run.arn, status: run.status, tags: input.tags };
  });

  omics.on(GetRunCommand).callsFake((input: { id?: string }): GetRunResponse => {
    const run = input.id ? runs.get(input.id) : undefined;
    if (!run) throw new ResourceNotFoundException({ message: `run ${input.id} not found`, $metadata: {} });
    return {
      id: run.id,
      uuid: run.uuid,
      arn: run.arn,
      status: run.status,
      name: run.name,
      tags: run.request.tags,
      failureReason: run.failureReason,
      statusMessage: run.statusMessage,
      runOutputUri: run.runOutputUri,
      outputUri: run.request.outputUri,
      workflowId: run.request.workflowId,
      workflowType: run.request.workflowType ?? 'PRIVATE',
      storageType: run.request.storageType,
      storageCapacity: run.request.storageCapacity,
      startTime: run.startTime,
      stopTime: run.stopTime,
    };
  });

  // Like the real API: pages of `maxResults` (at most 100) with a `nextToken`; an unknown run is not found.
  const listRunTasksCalls: ListRunTasksRequest[] = [];
  omics.on(ListRunTasksCommand).callsFake((input: ListRunTasksRequest): ListRunTasksResponse => {
    listRunTasksCalls.push(input);
    const run = input.id ? runs.get(input.id) : undefined;
    if (!run) throw new ResourceNotFoundException({ message: `run ${input.id} not found`, $metadata: {} });
    const start = Number(input.startingToken ?? 0);
    const end = start + Math.min(input.maxResults ?? 100, 100);
    return {
      items: run.tasks.slice(start, end),
      nextToken: end < run.tasks.length ? String(end) : undefined,
    };
  });

  // Like the real API: `name` matches by prefix, pages of `maxResults` with a `nextToken`.
  omics.on(ListRunsCommand).callsFake((input: ListRunsRequest): ListRunsResponse => {
    const matching = [...runs.values()].filter((run) => !input.name || run.name?.startsWith(input.name));
    const start = Number(input.startingToken ?? 0);
    const end = start + (input.maxResults ?? 100);
    return {
      items: matching
        .slice(start, end)
        .map((run) => ({ id: run.id, arn: run.arn, name: run.name, status: run.status })),
      nextToken: end < matching.length ? String(end) : undefined,
    };
  });

  // Like the real API: a run that ended cannot be cancelled; the run then stops on its own time
  // (a test says when with `transition(id, 'CANCELLED')`).
  const cancelRunCalls: string[] = [];
  omics.on(CancelRunCommand).callsFake((input: { id?: string }) => {
    cancelRunCalls.push(input.id ?? '');
    const run = input.id ? runs.get(input.id) : undefined;
    if (!run) throw new ResourceNotFoundException({ message: `run ${input.id} not found`, $metadata: {} });
    if (['COMPLETED', 'FAILED', 'CANCELLED', 'DELETED'].includes(run.status)) {
      throw new ConflictException({ message: `Run ${run.id} is ${run.status}`, $metadata: {} });
    }
    return {};
  });

  logs.on(GetLogEventsCommand).callsFake((input: { logStreamName?: string }) => {
    // A run manifest (`manifest/run/<id>/<uuid>`): written once the run has ended, the run's record first.
    const manifest = /^manifest\/run\/(\d+)\/(.+)$/.exec(input.logStreamName ?? '');
    if (manifest) {
      const run = runs.get(manifest[1] ?? '');
      if (!run || run.uuid !== manifest[2] || !['COMPLETED', 'FAILED', 'CANCELLED'].includes(run.status)) {
        throw new CloudWatchResourceNotFound({
          message: 'The specified log stream does not exist.',
          $metadata: {},
        });
      }
      const record = {
        arn: run.arn,
        uuid: run.uuid,
        storageType: run.request.storageType,
        metrics: run.storageUse ?? {},
      };
      return { events: [{ timestamp: 1, message: JSON.stringify(record) }], nextForwardToken: 'f/end' };
    }
    return runLogEvents(input);
  });
  const runLogEvents = (input: { logStreamName?: string }) => ({
    events: [
      { timestamp: 1, message: `${input.logStreamName}: task fastqc started` },
      { timestamp: 2, message: `${input.logStreamName}: ERROR truncated gzip input` },
    ],
  });

  return {
    client,
    logsClient,
    runs,
    startRunCalls,
    /** Run ids CancelRun was called with, in order. */
    cancelRunCalls,
    /** Runs ever created (forgotten ones included): more than one per requestId would be a duplicate run. */
    runsCreated: () => runsEverCreated,
    /** GetRun calls so far (engine read quota spent). */
    getRunCalls: () => omics.commandCalls(GetRunCommand).length,
    /**
     * Sets the run's status as the engine would, and returns the event it emits. A test loses the
     * event by not delivering it: GetRun and ListRuns still tell the new status.
     */
    transition(
      runId: string,
      status: RunStatus,
      details: { failureReason?: string; statusMessage?: string; legacy?: boolean } = {},
    ) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      run.status = status;
      if (details.failureReason) run.failureReason = details.failureReason;
      if (details.statusMessage) run.statusMessage = details.statusMessage;
      return runStatusEvent(run, status, details.legacy ?? false);
    },
    /** ListRunTasks calls so far (engine read quota spent), with their page tokens. */
    listRunTasksCalls,
    /** Sets what the run used: its tasks (ListRunTasks) and its RUNNING start and stop (GetRun). */
    setUsage(
      runId: string,
      usage: {
        tasks: TaskListItem[];
        startTime?: Date;
        stopTime?: Date;
        storageUse?: { storageAverageGiB?: number; storageMaximumGiB?: number };
      },
    ) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      run.tasks = usage.tasks;
      run.startTime = usage.startTime;
      run.stopTime = usage.stopTime;
      run.storageUse = usage.storageUse;
    },
    /** The engine no longer knows the run (run retention removed it): GetRun answers not found. */
    forget(runId: string) {
      runs.delete(runId);
    },
    restore() {
      omics.restore();
      logs.restore();
    },
  };
}

let eventCounter = 0;

export function runStatusEvent(run: FakeRun, status: RunStatus, legacy = false) {
  eventCounter++;
  const time = new Date(Date.UTC(2026, 10, 20, 12, 0, eventCounter % 60)).toISOString().replace('.000', '');
  const detail = legacy
    ? { omicsVersion: '1.0.0', arn: run.arn, status }
    : {
        omicsVersion: '1.0.0',
        arn: run.arn,
        status,
        uuid: run.uuid,
        runId: run.id,
        runName: run.name,
        runOutputUri: status === 'COMPLETED' ? run.runOutputUri : undefined,
        workflowId: run.request.workflowId,
        workflowName: 'fastq-stats',
      };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Run Status Change' as const,
    source: 'aws.omics' as const,
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [run.arn],
    detail,
  };
}
