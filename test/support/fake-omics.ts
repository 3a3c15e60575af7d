import { randomUUID } from 'node:crypto';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  GetRunCommand,
  type GetRunResponse,
  OmicsClient,
  ResourceNotFoundException,
  type RunStatus,
  StartRunCommand,
  type StartRunRequest,
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
        };
        runs.set(id, created);
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
    };
  });

  logs.on(GetLogEventsCommand).callsFake((input: { logStreamName?: string }) => ({
    events: [
      { timestamp: 1, message: `${input.logStreamName}: task fastqc started` },
      { timestamp: 2, message: `${input.logStreamName}: ERROR truncated gzip input` },
    ],
  }));

  return {
    client,
    logsClient,
    runs,
    startRunCalls,
    /** Distinct runs created per requestId: more than one would be a duplicate run. */
    runsCreated: () => runs.size,
    /** Sets the run's status as the engine would, and returns the event it emits. */
    transition(runId: string, status: RunStatus, details: { failureReason?: string; legacy?: boolean } = {}) {
      const run = runs.get(runId);
      if (!run) throw new Error(`no run ${runId}`);
      run.status = status;
      if (details.failureReason) run.failureReason = details.failureReason;
      return runStatusEvent(run, status, details.legacy ?? false);
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
