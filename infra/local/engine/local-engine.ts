import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { RUN_STATUSES, type RunStatus } from '../../../domain/launch.js';

/** Statuses the local engine moves a run through (the HealthOmics run lifecycle; it never deletes runs). */
export type LocalRunStatus = Exclude<RunStatus, 'DELETED'>;

/** What a workflow is given about the run it serves. */
export interface LocalRunContext {
  parameters: Record<string, unknown>;
  outputDir: string;
  runId: string;
}

/** A workflow the engine can run: one local program, started with an argv array and never through a shell. */
export interface ProcessWorkflow {
  name: string;
  command: string;
  args: (run: LocalRunContext) => string[];
  /** Added to the engine's own environment for the program (endpoints, credentials). */
  env?: Record<string, string>;
}

/** How a simulated run goes: how long it stays in each phase (real milliseconds) and how it ends. */
export interface SimulatedOutcome {
  startingMs?: number;
  runningMs: number;
  status: 'COMPLETED' | 'FAILED';
  failureReason?: string;
}

/**
 * A workflow that runs no program: the run moves through the same statuses, with the same events,
 * on a timetable (benchmarks compress hours of run time into seconds this way).
 */
export interface SimulatedWorkflow {
  name: string;
  simulate: (run: LocalRunContext) => SimulatedOutcome;
}

export type LocalWorkflow = ProcessWorkflow | SimulatedWorkflow;

export interface RunStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Run Status Change';
  source: 'aws.omics';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    omicsVersion: '1.0.0';
    arn: string;
    status: LocalRunStatus;
    uuid: string;
    runId: string;
    runName?: string;
    runOutputUri: string;
    workflowId: string;
    workflowName: string;
  };
}

/** What the engine knows about one run (a snapshot: changing it does not change the run). */
export interface LocalRun {
  id: string;
  arn: string;
  uuid: string;
  requestId: string;
  name?: string;
  status: LocalRunStatus;
  workflowId: string;
  workflowType?: string;
  workflowVersionName?: string;
  roleArn: string;
  parameters: Record<string, unknown>;
  outputUri: string;
  runOutputUri: string;
  storageType?: string;
  storageCapacity?: number;
  runGroupId?: string;
  priority?: number;
  tags: Record<string, string>;
  creationTime: Date;
  startTime?: Date;
  stopTime?: Date;
  failureReason?: string;
  statusMessage?: string;
  /** The child process id while (and after) it ran; absent when the run never started a process. */
  pid?: number;
  /** `<runsDir>/<id>`: holds run.log and out/. */
  runDir: string;
  logPath: string;
  outputDir: string;
}

export interface LocalEngineOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Keyed by workflow id, as StartRun's `workflowId` names them. */
  workflows: Record<string, LocalWorkflow>;
  /** StartRun calls accepted per rolling second; above it the engine answers ThrottlingException. */
  startRunRatePerSecond?: number;
  emit: (event: RunStatusChangeEvent) => void | Promise<void>;
  runsDir: string;
  region?: string;
  accountId?: string;
  /**
   * Called after a workflow's program ended successfully, before the run is COMPLETED: the place
   * to copy `outputDir` to `runOutputUri`, as HealthOmics exports a run's outputs. A throw fails the run.
   */
  exportOutputs?: (run: LocalRun) => Promise<void>;
  /** Every API request, by operation (StartRun, GetRun, ListRuns, CancelRun), for call counting. */
  onRequest?: (operation: EngineOperation) => void;
}

export type EngineOperation = 'StartRun' | 'GetRun' | 'ListRuns' | 'CancelRun';

export interface LocalEngine {
  endpoint: string;
  port: number;
  /** Stops the server and every workflow process still running, and waits for them to exit. */
  stop(): Promise<void>;
  runs(): LocalRun[];
}

/**
 * A configuration for the real `OmicsClient` that talks to the local engine. The host prefix
 * (`workflows-`) must be off, or the SDK would send requests to `workflows-127.0.0.1`; one attempt
 * because gwm paces and retries StartRun itself.
 */
export function localOmicsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    disableHostPrefix: true,
    maxAttempts: 1,
  };
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
  }
}

interface RunState extends LocalRun {
  workflow: LocalWorkflow;
  child?: ChildProcess;
  /** Ends the current phase of a simulated run early (cancel, stop). */
  wake?: () => void;
  cancelRequested: boolean;
  /** Status events of one run are delivered in order: each waits for the one before it. */
  emitChain: Promise<void>;
  /** Resolves when the run reached a terminal status (and its event was handed to `emit`). */
  finished: Promise<void>;
  markFinished: () => void;
}

const TERMINAL: ReadonlySet<LocalRunStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const LIST_STATUSES: ReadonlySet<string> = new Set(RUN_STATUSES);
const FIRST_RUN_ID = 1_000_001;
const MAX_LIST_RESULTS = 100;
/** The real API caps failure reasons; a long stderr line would otherwise flood GetRun and events. */
const MAX_REASON_LENGTH = 1000;

export async function startLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  await mkdir(options.runsDir, { recursive: true });
  // Runs of an earlier engine on the same runsDir keep their folders (and gwm keeps their ids):
  // numbering continues after them so a new run never reuses an id or overwrites old outputs.
  let nextRunId = await firstFreeRunId(options.runsDir);
  const runs = new Map<string, RunState>();
  const byRequestId = new Map<string, RunState>();
  const recentStarts: number[] = [];
  let stopping = false;

  function emitStatus(run: RunState, status: LocalRunStatus) {
    run.status = status;
    if (stopping) return;
    const event: RunStatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Run Status Change',
      source: 'aws.omics',
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [run.arn],
      detail: {
        omicsVersion: '1.0.0',
        arn: run.arn,
        status,
        uuid: run.uuid,
        runId: run.id,
        ...(run.name === undefined ? {} : { runName: run.name }),
        runOutputUri: run.runOutputUri,
        workflowId: run.workflowId,
        workflowName: run.workflow.name,
      },
    };
    run.emitChain = run.emitChain.then(async () => {
      try {
        await options.emit(event);
      } catch {
        // Like EventBridge, the engine does not undo a run because its event was not delivered:
        // gwm's reconciler finds the state with GetRun.
      }
    });
  }

  function finish(
    run: RunState,
    status: LocalRunStatus,
    details: { failureReason?: string; statusMessage?: string },
  ) {
    run.stopTime = new Date();
    if (details.failureReason !== undefined) run.failureReason = details.failureReason;
    if (details.statusMessage !== undefined) run.statusMessage = details.statusMessage;
    emitStatus(run, status);
    void run.emitChain.then(run.markFinished);
  }

  async function launch(run: RunState) {
    emitStatus(run, 'PENDING');
    // A later tick, so the StartRun answer leaves before the run moves on, as with the real service.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (run.cancelRequested)
      return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled before it started' });
    emitStatus(run, 'STARTING');
    const context: LocalRunContext = { parameters: run.parameters, outputDir: run.outputDir, runId: run.id };
    if ('simulate' in run.workflow) return simulate(run, run.workflow, context);
    const workflow = run.workflow;
    let args: string[];
    try {
      await mkdir(run.outputDir, { recursive: true });
      args = workflow.args(context);
    } catch (error) {
      const reason = truncate(`Could not prepare the run: ${errorMessage(error)}`);
      return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    }
    if (run.cancelRequested)
      return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled before it started' });
    const log = createWriteStream(run.logPath, { flags: 'a' });
    const child = spawn(workflow.command, args, {
      cwd: run.runDir,
      shell: false,
      env: { ...process.env, ...workflow.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    run.child = child;
    let stderrTail = '';
    child.stdout.pipe(log, { end: false });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      // Only the tail matters (the last line becomes the failure reason); keep it bounded.
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-64 * 1024);
    });
    let spawnError: Error | undefined;
    child.once('spawn', () => {
      run.pid = child.pid;
      run.startTime = new Date();
      emitStatus(run, 'RUNNING');
    });
    child.once('error', (error) => {
      spawnError = error;
    });
    child.once('close', (code, signal) => {
      run.child = undefined;
      log.end(() => {
        if (run.status === 'RUNNING') emitStatus(run, 'STOPPING');
        if (run.cancelRequested) {
          finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
        } else if (spawnError) {
          const reason = truncate(`Could not start ${workflow.command}: ${spawnError.message}`);
          finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
        } else if (code === 0) {
          void complete(run);
        } else {
          const exit = code === null ? `signal ${String(signal)}` : `exit code ${code}`;
          const lastLine = lastNonEmptyLine(stderrTail);
          finish(run, 'FAILED', {
            failureReason: truncate(lastLine ?? `Workflow process ended with ${exit}`),
            statusMessage: `Workflow process ended with ${exit}`,
          });
        }
      });
    });
  }

  /** Copies the outputs out (when asked to), then COMPLETED; an export that fails fails the run. */
  async function complete(run: RunState) {
    try {
      if (options.exportOutputs && !stopping) await options.exportOutputs(snapshot(run));
    } catch (error) {
      const reason = truncate(`Could not export the run's outputs: ${errorMessage(error)}`);
      return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    }
    finish(run, 'COMPLETED', {});
  }

  async function simulate(run: RunState, workflow: SimulatedWorkflow, context: LocalRunContext) {
    let plan: SimulatedOutcome;
    try {
      plan = workflow.simulate(context);
    } catch (error) {
      const reason = truncate(`Could not prepare the run: ${errorMessage(error)}`);
      return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    }
    const phase = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        run.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    await phase(plan.startingMs ?? 0);
    if (run.cancelRequested) return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
    run.startTime = new Date();
    emitStatus(run, 'RUNNING');
    await phase(plan.runningMs);
    emitStatus(run, 'STOPPING');
    if (run.cancelRequested) return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
    if (plan.status === 'FAILED') {
      const reason = truncate(plan.failureReason ?? 'Simulated failure');
      return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    }
    finish(run, 'COMPLETED', {});
  }

  function checkRate() {
    const limit = options.startRunRatePerSecond;
    if (limit === undefined) return;
    const now = Date.now();
    while (recentStarts.length > 0 && (recentStarts[0] ?? now) <= now - 1000) recentStarts.shift();
    if (recentStarts.length >= limit) {
      throw new ApiError('ThrottlingException', 429, 'Rate exceeded for StartRun');
    }
    recentStarts.push(now);
  }

  async function startRun(body: Record<string, unknown>) {
    checkRate();
    const requestId = optionalString(body, 'requestId') ?? randomUUID();
    const existing = byRequestId.get(requestId);
    if (existing) return startRunAnswer(existing);

    const roleArn = requiredString(body, 'roleArn');
    const outputUri = requiredString(body, 'outputUri');
    const workflowId = requiredString(body, 'workflowId');
    const parameters = body.parameters ?? {};
    if (!isRecord(parameters)) throw new ApiError('ValidationException', 400, 'parameters must be an object');
    const tags = body.tags ?? {};
    if (!isRecord(tags) || !Object.values(tags).every((value) => typeof value === 'string')) {
      throw new ApiError('ValidationException', 400, 'tags must map strings to strings');
    }
    const workflow = options.workflows[workflowId];
    if (!workflow) throw new ApiError('ResourceNotFoundException', 404, `Workflow ${workflowId} not found`);

    const id = String(nextRunId++);
    const runDir = join(options.runsDir, id);
    await mkdir(runDir, { recursive: true });
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => {
      markFinished = resolve;
    });
    const run: RunState = {
      id,
      arn: `arn:aws:omics:${region}:${accountId}:run/${id}`,
      uuid: randomUUID(),
      requestId,
      name: optionalString(body, 'name'),
      status: 'PENDING',
      workflowId,
      workflowType: optionalString(body, 'workflowType'),
      workflowVersionName: optionalString(body, 'workflowVersionName'),
      roleArn,
      parameters,
      outputUri,
      runOutputUri: `${outputUri.endsWith('/') ? outputUri : `${outputUri}/`}${id}/`,
      storageType: optionalString(body, 'storageType'),
      storageCapacity: optionalNumber(body, 'storageCapacity'),
      runGroupId: optionalString(body, 'runGroupId'),
      priority: optionalNumber(body, 'priority'),
      tags: tags as Record<string, string>,
      creationTime: new Date(),
      runDir,
      logPath: join(runDir, 'run.log'),
      outputDir: join(runDir, 'out'),
      workflow,
      cancelRequested: false,
      emitChain: Promise.resolve(),
      finished,
      markFinished,
    };
    runs.set(id, run);
    byRequestId.set(requestId, run);
    void launch(run);
    return startRunAnswer(run);
  }

  function getRunState(id: string) {
    const run = runs.get(id);
    if (!run) throw new ApiError('ResourceNotFoundException', 404, `Run ${id} not found`);
    return run;
  }

  function getRun(id: string) {
    const run = getRunState(id);
    return compact({
      arn: run.arn,
      id: run.id,
      uuid: run.uuid,
      name: run.name,
      status: run.status,
      workflowId: run.workflowId,
      workflowType: run.workflowType,
      workflowVersionName: run.workflowVersionName,
      roleArn: run.roleArn,
      runGroupId: run.runGroupId,
      priority: run.priority,
      parameters: run.parameters,
      storageType: run.storageType,
      storageCapacity: run.storageCapacity,
      outputUri: run.outputUri,
      runOutputUri: run.runOutputUri,
      tags: run.tags,
      failureReason: run.failureReason,
      statusMessage: run.statusMessage,
      creationTime: run.creationTime.toISOString(),
      startTime: run.startTime?.toISOString(),
      stopTime: run.stopTime?.toISOString(),
      logLocation: { runLogStream: `run/${run.id}` },
      startedBy: `arn:aws:iam::${accountId}:user/gwmlocal`,
    });
  }

  function listRuns(query: URLSearchParams) {
    const name = query.get('name') ?? undefined;
    const status = query.get('status') ?? undefined;
    if (status !== undefined && !LIST_STATUSES.has(status)) {
      throw new ApiError('ValidationException', 400, `Unknown status ${status}`);
    }
    const maxText = query.get('maxResults');
    const maxResults = maxText === null ? MAX_LIST_RESULTS : Number(maxText);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LIST_RESULTS) {
      throw new ApiError('ValidationException', 400, `maxResults must be between 1 and ${MAX_LIST_RESULTS}`);
    }
    const token = query.get('startingToken');
    const after = token === null ? undefined : decodeToken(token);
    // Newest first, like the real API; the token is the last id returned, so runs started
    // between two pages do not shift the pages after it.
    const matching = [...runs.values()]
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
          creationTime: run.creationTime.toISOString(),
          startTime: run.startTime?.toISOString(),
          stopTime: run.stopTime?.toISOString(),
        }),
      ),
      nextToken: matching.length > maxResults && last ? encodeToken(Number(last.id)) : undefined,
    });
  }

  function cancelRun(id: string) {
    const run = getRunState(id);
    if (TERMINAL.has(run.status) || run.cancelRequested) {
      throw new ApiError('ConflictException', 409, `Run ${id} is ${run.status} and cannot be cancelled`);
    }
    run.cancelRequested = true;
    if (run.child) {
      emitStatus(run, 'STOPPING');
      run.child.kill('SIGTERM');
    }
    run.wake?.();
  }

  async function route(request: IncomingMessage): Promise<{ status: number; body?: unknown }> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const segments = url.pathname.split('/').filter((segment) => segment !== '');
    const [first, id, action] = segments.map((segment) => decodeURIComponent(segment));
    if (first !== 'run')
      throw new ApiError('UnknownOperationException', 404, `No operation at ${url.pathname}`);
    if (request.method === 'POST' && segments.length === 1) {
      options.onRequest?.('StartRun');
      return { status: 201, body: await startRun(await readJson(request)) };
    }
    if (request.method === 'GET' && segments.length === 1) {
      options.onRequest?.('ListRuns');
      return { status: 200, body: listRuns(url.searchParams) };
    }
    if (request.method === 'GET' && segments.length === 2 && id !== undefined) {
      options.onRequest?.('GetRun');
      return { status: 200, body: getRun(id) };
    }
    if (request.method === 'POST' && segments.length === 3 && id !== undefined && action === 'cancel') {
      options.onRequest?.('CancelRun');
      cancelRun(id);
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
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      const running = [...runs.values()].filter((run) => !TERMINAL.has(run.status));
      for (const run of running) {
        run.cancelRequested = true;
        run.child?.kill('SIGTERM');
        run.wake?.();
      }
      await Promise.all([closed, ...running.map((run) => run.finished)]);
    },
    runs() {
      return [...runs.values()].map(snapshot);
    },
  };
}

function startRunAnswer(run: RunState) {
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

function snapshot(run: RunState): LocalRun {
  const {
    workflow: _workflow,
    child: _child,
    wake: _wake,
    cancelRequested: _cancel,
    emitChain: _chain,
    finished: _finished,
    markFinished: _mark,
    ...rest
  } = run;
  return structuredClone(rest);
}

async function firstFreeRunId(runsDir: string): Promise<number> {
  const names = await readdir(runsDir);
  const used = names.filter((name) => /^\d{7}$/.test(name)).map(Number);
  return Math.max(FIRST_RUN_ID, ...used.map((id) => id + 1));
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value === '') {
    throw new ApiError('ValidationException', 400, `${key} is required`);
  }
  return value;
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
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

function lastNonEmptyLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}

function truncate(text: string): string {
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
