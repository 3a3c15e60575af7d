import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeBatchRepository } from '../functions/adapters/batch-repository.js';
import { makeEntities } from '../functions/adapters/entities.js';
import { makeLaunchRepository } from '../functions/adapters/launch-repository.js';
import { makeDocumentClient } from '../functions/dependencies/base.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../infra/local/stack.js';
import { fmtSeconds } from './stats.js';

// What the benches on the embedded runtime share: the clock, progress lines, each contender in a
// child process of its own, a fresh stack that is stopped whatever happens, and option parsing.

/** Epoch milliseconds with sub-millisecond precision, on the same clock in every process. */
export const now = () => performance.timeOrigin + performance.now();
export const progress = (line: string) => process.stderr.write(`${line}\n`);

/** The machine's load average (1, 5, 15 min), printed beside figures measured on it. */
export const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/**
 * Runs `entry` again in a child process with `--child <role>` added to this process's arguments
 * and resolves with the one message the child sends (see `replyToParent`). The child has its own
 * deadline and stops its stack; `guardMs` is for a child that hangs.
 */
export function runInChild<T>(entry: string, role: string, guardMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(entry, [...process.argv.slice(2), '--child', role], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: T | undefined;
    const guard = setTimeout(() => {
      progress(`${role}: no answer ${fmtSeconds(guardMs)} after it started; stopping it`);
      child.kill('SIGTERM');
    }, guardMs);
    child.once('message', (message) => {
      result = message as T;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(guard);
      if (code === 0 && result !== undefined) resolve(result);
      else reject(new Error(`the ${role} run failed (exit code ${code})`));
    });
  });
}

/** Sends a child's figures to its parent; run by hand (to look at one contender), prints them. */
export async function replyToParent(result: unknown): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) return console.log(JSON.stringify(result, null, 2));
  await new Promise<void>((resolve, reject) =>
    send(result, undefined, undefined, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** A bench's entry point: the parent judges (exit 1: a target missed; 2: the bench failed). */
export function runBench(
  child: string | undefined,
  asChild: (role: string) => Promise<void>,
  main: () => Promise<void>,
) {
  if (child) {
    asChild(child).catch((error) => {
      console.error(error);
      process.exit(1);
    });
  } else {
    main().catch((error) => {
      console.error(error);
      process.exit(2);
    });
  }
}

export interface PacingSettings {
  rate: number;
  burst: number;
  engineRate: number;
}

/**
 * A fresh embedded runtime for one measurement, with no persistence, no reconciler ticks and the
 * StartRun pacing of the settings, passed to `body`; stopped and its state folder removed after,
 * also when the process is stopped from outside (Ctrl-C, the parent's guard).
 */
export async function withBenchStack<T>(
  name: string,
  pacing: PacingSettings,
  options: Omit<LocalStackOptions, 'stateDir'>,
  body: (stack: LocalStack) => Promise<T>,
): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), `${name}-`));
  let stack: LocalStack | undefined;
  const stopOnSignal = () => {
    void (stack?.stop() ?? Promise.resolve())
      .then(() => rm(stateDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.once('SIGTERM', stopOnSignal);
  process.once('SIGINT', stopOnSignal);
  try {
    stack = await startLocalStack({
      persist: false,
      writeEndpointsFile: false,
      dynamoTuning: 'throughput',
      profiles: [],
      reconcileEveryMs: 0,
      engineStartRunRatePerSecond: pacing.engineRate,
      log: (level, message, details) => {
        if (level !== 'info')
          progress(`stack ${level}: ${message} ${details ? JSON.stringify(details) : ''}`);
      },
      ...options,
      settings: {
        STARTRUN_RATE_PER_SECOND: String(pacing.rate),
        STARTRUN_BURST: String(pacing.burst),
        ...options.settings,
      },
      stateDir,
    });
    return await body(stack);
  } finally {
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
    process.off('SIGTERM', stopOnSignal);
    process.off('SIGINT', stopOnSignal);
  }
}

/** Reads numeric options, naming the option in the error. */
export function numberOption(name: string, text: string | undefined, check: (n: number) => boolean): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || !check(value)) {
    throw new Error(`--${name} ${text} is not valid`);
  }
  return value;
}

export const positive = (n: number) => n > 0;
export const count = (n: number) => Number.isInteger(n) && n > 0;

/**
 * Real seconds a simulated workload should take: every launch at the paced rate, then the longest
 * run (STARTING up to 15 min, RUNNING + 10 %), compressed.
 */
function expectedSeconds(
  launches: number,
  rate: number,
  run: { hours: number; compression: number },
): number {
  return launches / rate + (run.hours * 3600 * 1.1 + 900) / run.compression;
}

interface RunTiming {
  hours: number;
  compression: number;
  timeoutMs: number;
}

/**
 * `--hours` and `--compression` of the simulated runs, and `--timeout-s` in milliseconds: when it
 * is not given, `minimumS` and `factor` times the time `launches` and the longest run should take,
 * rounded up.
 */
export function readRunTiming(
  values: { hours?: string; compression?: string; 'timeout-s'?: string },
  launches: number,
  rate: number,
  timeout: { minimumS: number; factor: number },
): RunTiming {
  const hours = numberOption('hours', values.hours, positive);
  const compression = numberOption('compression', values.compression, positive);
  const defaultS =
    timeout.minimumS + timeout.factor * expectedSeconds(launches, rate, { hours, compression });
  const timeoutS = numberOption('timeout-s', values['timeout-s'] ?? String(Math.ceil(defaultS)), positive);
  return { hours, compression, timeoutMs: timeoutS * 1000 };
}

/**
 * The engine's StartRun quota when none is given: above gwm's pace by the bucket's burst and a
 * margin, since a token bucket lets through at most rate + burst calls in any second and the
 * engine counts a rolling second.
 */
export function readPacing(values: {
  rate?: string;
  burst?: string;
  'engine-rate'?: string;
}): PacingSettings {
  const rate = numberOption('rate', values.rate, positive);
  const burst = numberOption('burst', values.burst, count);
  const engineRate = numberOption(
    'engine-rate',
    values['engine-rate'] ?? String(Math.ceil(rate * 1.1) + burst + 1),
    (n) => n > rate,
  );
  return { rate, burst, engineRate };
}

/**
 * The bench's own view of the table, through a client of its own, so that its polling is not
 * counted as gwm's requests.
 */
export function observeTable(stack: LocalStack) {
  const client = new DynamoDBClient({
    endpoint: stack.endpoints.dynamodbEndpoint,
    region: stack.endpoints.region,
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
  });
  const entities = makeEntities(makeDocumentClient(client), stack.endpoints.tableName);
  return {
    batches: makeBatchRepository(entities),
    launches: makeLaunchRepository(entities),
    close: () => client.destroy(),
  };
}
