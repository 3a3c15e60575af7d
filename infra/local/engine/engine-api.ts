import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '../../../domain/errors.js';
import { isRecord } from '../../../domain/is-record.js';
import { RUN_STATUSES } from '../../../domain/launch.js';
import { RUN_CACHE_ID } from '../../../domain/manifest/run-cache-schema.js';
import { CACHE_BEHAVIORS } from '../../../domain/workflow.js';
import { OMICS_LOG_GROUP } from '../../../functions/adapters/config.js';
import { cacheBehaviorOf } from './run-cache.js';
import type { EngineOperation, LocalRun, LocalTask, LocalTaskStatus } from './types.js';

/**
 * The local engine's HTTP face: the HealthOmics run operations (StartRun, GetRun, ListRuns,
 * CancelRun, ListRunTasks, GetRunTask) as the real `@aws-sdk/client-omics` sends them (REST paths
 * from its serializers: `GET /run/{id}/task`, `GET /run/{id}/task/{taskId}`), with the service's
 * error shapes.
 */

export class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A StartRun request, checked: the fields of the run it asks for, as the run keeps them. */
export type StartRunRequest = Pick<
  LocalRun,
  | 'name'
  | 'roleArn'
  | 'outputUri'
  | 'workflowId'
  | 'workflowType'
  | 'workflowVersionName'
  | 'parameters'
  | 'tags'
  | 'storageType'
  | 'storageCapacity'
  | 'runGroupId'
  | 'cacheId'
  | 'cacheBehavior'
  | 'priority'
>;

export interface EngineOperations {
  /** The request body as sent: the engine checks its rate and requestId before the rest (parseStartRun). */
  startRun(body: Record<string, unknown>): Promise<LocalRun>;
  /** Undefined when the engine has no such run. */
  getRun(id: string): LocalRun | undefined;
  /** Every run, in any order. */
  listRuns(): Iterable<LocalRun>;
  cancelRun(id: string): void;
  /** The run's tasks as they are now, in the order they were created; undefined when there is no such run. */
  listRunTasks(id: string): Promise<LocalTask[] | undefined>;
}

export interface EngineApiOptions {
  port?: number;
  accountId: string;
  region: string;
  operations: EngineOperations;
  onRequest?: (operation: EngineOperation) => void;
}

export interface EngineApi {
  port: number;
  close(): Promise<void>;
}

const LIST_STATUSES: ReadonlySet<string> = new Set(RUN_STATUSES);
const TASK_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'STARTING',
  'RUNNING',
  'STOPPING',
  'COMPLETED',
  'CANCELLED',
  'FAILED',
] satisfies LocalTaskStatus[]);
const MAX_LIST_RESULTS = 100;

export async function startEngineApi(options: EngineApiOptions): Promise<EngineApi> {
  const { operations, accountId, region } = options;

  async function route(request: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const segments = url.pathname.split('/').filter((segment) => segment !== '');
    const [first, id, action, taskId] = segments.map((segment) => decodeURIComponent(segment));
    if (first !== 'run')
      throw new ApiError('UnknownOperationException', 404, `No operation at ${url.pathname}`);
    if (request.method === 'POST' && segments.length === 1) {
      options.onRequest?.('StartRun');
      const run = await operations.startRun(await readJson(request));
      return { status: 201, body: startRunAnswer(run) };
    }
    if (request.method === 'GET' && segments.length === 1) {
      options.onRequest?.('ListRuns');
      return { status: 200, body: listRuns(operations.listRuns(), url.searchParams) };
    }
    if (request.method === 'GET' && segments.length === 2 && id !== undefined) {
      options.onRequest?.('GetRun');
      const run = operations.getRun(id);
      if (!run) throw new ApiError('ResourceNotFoundException', 404, `Run ${id} not found`);
      return { status: 200, body: getRunAnswer(run, accountId) };
    }
    if (request.method === 'GET' && id !== undefined && action === 'task' && segments.length <= 4) {
      const single = segments.length === 4 && taskId !== undefined;
      options.onRequest?.(single ? 'GetRunTask' : 'ListRunTasks');
      const tasks = await operations.listRunTasks(id);
      if (!tasks) throw new ApiError('ResourceNotFoundException', 404, `Run ${id} not found`);
      if (!single) return { status: 200, body: taskListAnswer(tasks, url.searchParams) };
      const task = tasks.find((candidate) => candidate.taskId === taskId);
      if (!task)
        throw new ApiError('ResourceNotFoundException', 404, `Task ${taskId} of run ${id} not found`);
      return { status: 200, body: taskAnswer(task, { runId: id, region, accountId }) };
    }
    if (request.method === 'POST' && segments.length === 3 && id !== undefined && action === 'cancel') {
      options.onRequest?.('CancelRun');
      operations.cancelRun(id);
      return { status: 202 };
    }
    throw new ApiError('UnknownOperationException', 404, `No operation ${request.method} ${url.pathname}`);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    try {
      const { status, body } = await route(request);
      if (body === undefined) {
        response.writeHead(status).end();
        return;
      }
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } catch (error) {
      const apiError =
        error instanceof ApiError ? error : new ApiError('InternalServerException', 500, errorMessage(error));
      // The SDK reads the error type from this header (and from __type in the body).
      response
        .writeHead(apiError.httpStatus, {
          'content-type': 'application/json',
          'x-amzn-errortype': apiError.type,
        })
        .end(JSON.stringify({ __type: apiError.type, message: apiError.message }));
    }
  }

  const server = createServer((request, response) => {
    void handle(request, response);
  });
  // Clients keep connections open between calls (the SDK's agent does); closing them after Node's
  // default 5 s races with a request being sent on them and ends it with a reset.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

export function parseStartRun(body: Record<string, unknown>): StartRunRequest {
  const parameters = body.parameters ?? {};
  if (!isRecord(parameters)) throw new ApiError('ValidationException', 400, 'parameters must be an object');
  const tags = body.tags ?? {};
  if (!isRecord(tags) || !Object.values(tags).every((value) => typeof value === 'string')) {
    throw new ApiError('ValidationException', 400, 'tags must map strings to strings');
  }
  return {
    roleArn: requiredString(body, 'roleArn'),
    outputUri: requiredString(body, 'outputUri'),
    workflowId: requiredString(body, 'workflowId'),
    parameters,
    tags: tags as Record<string, string>,
    name: optionalString(body, 'name'),
    workflowType: optionalString(body, 'workflowType'),
    workflowVersionName: optionalString(body, 'workflowVersionName'),
    storageType: optionalString(body, 'storageType'),
    storageCapacity: optionalNumber(body, 'storageCapacity'),
    runGroupId: optionalString(body, 'runGroupId'),
    ...runCacheOf(body),
    priority: optionalNumber(body, 'priority'),
  };
}

/** `cacheId` (1-18 digits, as HealthOmics run cache ids) and `cacheBehavior`, which needs a cacheId. */
function runCacheOf(body: Record<string, unknown>): Pick<StartRunRequest, 'cacheId' | 'cacheBehavior'> {
  const cacheId = optionalString(body, 'cacheId');
  const behavior = optionalString(body, 'cacheBehavior');
  if (cacheId !== undefined && !RUN_CACHE_ID.test(cacheId)) {
    throw new ApiError('ValidationException', 400, 'cacheId must be 1 to 18 digits');
  }
  if (behavior === undefined) return cacheId === undefined ? {} : { cacheId };
  const cacheBehavior = CACHE_BEHAVIORS.find((known) => known === behavior);
  if (cacheBehavior === undefined) {
    throw new ApiError(
      'ValidationException',
      400,
      `cacheBehavior must be one of ${CACHE_BEHAVIORS.join(', ')}`,
    );
  }
  if (cacheId === undefined) throw new ApiError('ValidationException', 400, 'cacheBehavior needs a cacheId');
  return { cacheId, cacheBehavior };
}

function startRunAnswer(run: LocalRun) {
  return {
    arn: run.arn,
    id: run.id,
    uuid: run.uuid,
    // A repeated requestId answers with the run as it is now, as the service does.
    status: run.status,
    tags: run.tags,
    runOutputUri: run.runOutputUri,
  };
}

/**
 * Run storage as HealthOmics reports it when StartRun set none: "By default, HealthOmics provides
 * static run storage" and "The default run storage is 1200 GiB, if you don't specify a value"
 * (https://docs.aws.amazon.com/omics/latest/dev/workflows-run-types.html).
 */
const DEFAULT_STORAGE_TYPE = 'STATIC';
const DEFAULT_STATIC_CAPACITY_GIB = 1200;

function getRunAnswer(run: LocalRun, accountId: string) {
  const storageType = run.storageType ?? DEFAULT_STORAGE_TYPE;
  return compact({
    arn: run.arn,
    id: run.id,
    uuid: run.uuid,
    name: run.name,
    status: run.status,
    workflowId: run.workflowId,
    // Every run of this engine is of a private workflow unless StartRun said otherwise.
    workflowType: run.workflowType ?? 'PRIVATE',
    workflowVersionName: run.workflowVersionName,
    roleArn: run.roleArn,
    runGroupId: run.runGroupId,
    cacheId: run.cacheId,
    cacheBehavior: cacheBehaviorOf(run),
    priority: run.priority,
    parameters: run.parameters,
    storageType,
    storageCapacity:
      run.storageCapacity ?? (storageType === 'STATIC' ? DEFAULT_STATIC_CAPACITY_GIB : undefined),
    outputUri: run.outputUri,
    runOutputUri: run.runOutputUri,
    tags: run.tags,
    failureReason: run.failureReason,
    statusMessage: run.statusMessage,
    ...runTimes(run),
    logLocation: { runLogStream: `run/${run.id}` },
    startedBy: `arn:aws:iam::${accountId}:user/gwmlocal`,
  });
}

/** A run's times as the API gives them (ISO 8601; start and stop once they happened). */
function runTimes(run: LocalRun) {
  return {
    creationTime: run.creationTime.toISOString(),
    startTime: run.startTime?.toISOString(),
    stopTime: run.stopTime?.toISOString(),
  };
}

function listRuns(runs: Iterable<LocalRun>, query: URLSearchParams) {
  const name = query.get('name') ?? undefined;
  const status = query.get('status') ?? undefined;
  if (status !== undefined && !LIST_STATUSES.has(status)) {
    throw new ApiError('ValidationException', 400, `Unknown status ${status}`);
  }
  const maxResults = maxResultsOf(query);
  const token = query.get('startingToken');
  const after = token === null ? undefined : decodeToken(token);
  // Newest first, like the real API; the token is the last id returned, so runs started
  // between two pages do not shift the pages after it.
  const matching = [...runs]
    .filter((run) => name === undefined || (run.name ?? '').startsWith(name))
    .filter((run) => status === undefined || run.status === status)
    .filter((run) => after === undefined || Number(run.id) < after)
    .sort((a, b) => Number(b.id) - Number(a.id));
  const page = matching.slice(0, maxResults);
  const last = page.at(-1);
  return compact({
    items: page.map((run) =>
      compact({
        arn: run.arn,
        id: run.id,
        name: run.name,
        status: run.status,
        workflowId: run.workflowId,
        workflowVersionName: run.workflowVersionName,
        priority: run.priority,
        storageType: run.storageType,
        storageCapacity: run.storageCapacity,
        ...runTimes(run),
      }),
    ),
    nextToken: matching.length > maxResults && last ? encodeToken(Number(last.id)) : undefined,
  });
}

/** A page size from the query: 1 to 100, 100 when absent. */
function maxResultsOf(query: URLSearchParams): number {
  const maxText = query.get('maxResults');
  const maxResults = maxText === null ? MAX_LIST_RESULTS : Number(maxText);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
    throw new ApiError('ValidationException', 400, `maxResults must be between 1 and ${MAX_LIST_RESULTS}`);
  }
  return maxResults;
}

/** A page of a run's tasks, in the order they were created; the token is the last task id returned. */
function taskListAnswer(tasks: readonly LocalTask[], query: URLSearchParams) {
  const status = query.get('status') ?? undefined;
  if (status !== undefined && !TASK_STATUSES.has(status)) {
    throw new ApiError('ValidationException', 400, `Unknown task status ${status}`);
  }
  const maxResults = maxResultsOf(query);
  const token = query.get('startingToken');
  const after = token === null ? undefined : decodeToken(token);
  const matching = tasks
    .filter((task) => status === undefined || task.status === status)
    .filter((task) => after === undefined || Number(task.taskId) > after);
  const page = matching.slice(0, maxResults);
  const last = page.at(-1);
  return compact({
    items: page.map(taskItem),
    nextToken: matching.length > maxResults && last ? encodeToken(Number(last.taskId)) : undefined,
  });
}

/** A task as ListRunTasks lists it (TaskListItem). */
function taskItem(task: LocalTask) {
  return compact({
    taskId: task.taskId,
    status: task.status,
    name: task.name,
    cpus: task.cpus,
    memory: task.memoryGiB,
    gpus: task.gpus,
    instanceType: task.instanceType,
    cacheHit: task.cacheHit === true,
    ...taskTimes(task),
  });
}

/**
 * GetRunTask: the list item's fields, and the status message, failure reason and log stream (its
 * ARN, as RunLogLocation gives the run's: https://docs.aws.amazon.com/omics/latest/api/API_RunLogLocation.html).
 */
function taskAnswer(task: LocalTask, where: { runId: string; region: string; accountId: string }) {
  const { runId, region, accountId } = where;
  return compact({
    ...taskItem(task),
    statusMessage: task.statusMessage,
    failureReason: task.failureReason,
    logStream: `arn:aws:logs:${region}:${accountId}:log-group:${OMICS_LOG_GROUP}:log-stream:run/${runId}/task/${task.taskId}`,
  });
}

function taskTimes(task: LocalTask) {
  return {
    creationTime: task.creationTime.toISOString(),
    startTime: task.startTime?.toISOString(),
    stopTime: task.stopTime?.toISOString(),
  };
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('ValidationException', 400, 'The request body is not valid JSON');
  }
  if (!isRecord(parsed)) throw new ApiError('ValidationException', 400, 'The request body must be an object');
  return parsed;
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new ApiError('ValidationException', 400, `${key} is required`);
  }
  return value;
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiError('ValidationException', 400, `${key} must be a string`);
  return value;
}

function optionalNumber(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new ApiError('ValidationException', 400, `${key} must be a number`);
  return value;
}

function encodeToken(afterId: number): string {
  return Buffer.from(JSON.stringify({ after: afterId })).toString('base64url');
}

function decodeToken(token: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(parsed) && typeof parsed.after === 'number') return parsed.after;
  } catch {
    // falls through to the validation error below
  }
  throw new ApiError('ValidationException', 400, 'Invalid startingToken');
}

/** Drops undefined fields so answers look like the service's (absent, not null). */
function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
