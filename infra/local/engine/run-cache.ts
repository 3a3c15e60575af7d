import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { CacheBehavior } from '../../../domain/workflow.js';
import type { LocalRun, LocalRunStatus } from './types.js';

/**
 * The local engine's run caches, kept as HealthOmics call caching keeps them
 * (https://docs.aws.amazon.com/omics/latest/dev/how-run-cache.html): a task of a run started with a
 * `cacheId` whose definition and inputs match an entry of that cache is not run; its outputs are
 * restored from the entry and ListRunTasks reports it with `cacheHit`. Entries are written when a
 * run ends, and only as its cache behavior says: CACHE_ON_FAILURE keeps the completed tasks of a run
 * that failed, CACHE_ALWAYS those of every run that ended COMPLETED or FAILED; a cancelled run, or a
 * run without a cache, leaves nothing.
 *
 * On disk, in the runs folder, so the entries outlive the engine: `run-caches/<cacheId>/<key>/` holds
 * `entry.json` (the task, its result as JSON, the files it wrote) and `files/` (those files, by their
 * path under the run's `out/`). A program learns of its run's cache from three environment variables
 * (RUN_CACHE_VARIABLES): it looks entries up itself, and stages the entry of each task it completed in
 * its run's `cache-stage/<key>/`, which the engine moves into the cache when the run ends. Each
 * stage and each move is a rename, so a reader never sees half an entry.
 *
 * The key of a task is a SHA-256 of the workflow (its id and version: the task's definition), the
 * task's name and its inputs as the program declares them (the content version of every file it
 * reads, as HealthOmics uses S3 ETags, and every parameter it uses).
 */

export const RUN_CACHES_DIR = 'run-caches';
export const CACHE_STAGE_DIR = 'cache-stage';
export const RUN_CACHE_VARIABLES = {
  /** The folder of the run's cache, where entries are looked up. */
  cache: 'GWM_RUN_CACHE_DIR',
  /** The run's staging folder, where entries of the tasks it completes are written. */
  stage: 'GWM_RUN_CACHE_STAGE',
  /** The workflow (id and version) the run's tasks belong to: part of every key. */
  scope: 'GWM_RUN_CACHE_SCOPE',
} as const;

/** A run cache's behavior when it was created without one, and so a run's when StartRun names none. */
export const DEFAULT_CACHE_BEHAVIOR: CacheBehavior = 'CACHE_ON_FAILURE';

const ENTRY_FILE = 'entry.json';
const FILES_DIR = 'files';
const ENTRY_VERSION = 1;

/** One cached task: what it returned and the files it wrote under the run's output folder. */
export interface CacheEntry {
  version: typeof ENTRY_VERSION;
  task: string;
  key: string;
  /** The step's result as JSON (what later steps of the program read from it). */
  result: unknown;
  /** Paths under the run's `out/` folder, `/`-separated. */
  files: string[];
}

/** The behavior a run with a cache goes by: its own, else the cache's default; none without a cache. */
export function cacheBehaviorOf(run: Pick<LocalRun, 'cacheId' | 'cacheBehavior'>): CacheBehavior | undefined {
  if (run.cacheId === undefined) return undefined;
  return run.cacheBehavior ?? DEFAULT_CACHE_BEHAVIOR;
}

/** Whether a run that ended in `status` leaves its completed tasks in its cache. */
export function keepsTasks(behavior: CacheBehavior | undefined, status: LocalRunStatus): boolean {
  if (behavior === 'CACHE_ALWAYS') return status === 'COMPLETED' || status === 'FAILED';
  if (behavior === 'CACHE_ON_FAILURE') return status === 'FAILED';
  return false;
}

export function runCacheDir(runsDir: string, cacheId: string): string {
  return join(runsDir, RUN_CACHES_DIR, cacheId);
}

/**
 * The variables a run's program gets: the cache's folders for a run with a cache, empty values
 * otherwise (so a value inherited from the engine's own environment never turns a cache on).
 */
export function runCacheEnvironment(
  run: Pick<LocalRun, 'cacheId' | 'workflowId' | 'workflowVersionName' | 'runDir'>,
  runsDir: string,
): Record<string, string> {
  if (run.cacheId === undefined) {
    return {
      [RUN_CACHE_VARIABLES.cache]: '',
      [RUN_CACHE_VARIABLES.stage]: '',
      [RUN_CACHE_VARIABLES.scope]: '',
    };
  }
  return {
    [RUN_CACHE_VARIABLES.cache]: runCacheDir(runsDir, run.cacheId),
    [RUN_CACHE_VARIABLES.stage]: join(run.runDir, CACHE_STAGE_DIR),
    [RUN_CACHE_VARIABLES.scope]: `${run.workflowId}@${run.workflowVersionName ?? ''}`,
  };
}

/** A task's cache key: the same workflow, task name and inputs always give the same key. */
export function taskCacheKey(scope: string, task: string, inputs: unknown): string {
  return createHash('sha256').update(canonicalJson({ scope, task, inputs })).digest('hex');
}

/** JSON with object keys sorted at every level, so equal inputs hash the same whatever their order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The entry of `key` in a cache folder, whole and with every file; undefined otherwise (a miss). */
export async function findCacheEntry(cacheDir: string, key: string): Promise<CacheEntry | undefined> {
  const dir = join(cacheDir, key);
  let entry: unknown;
  try {
    entry = JSON.parse(await readFile(join(dir, ENTRY_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isEntry(entry) || entry.key !== key) return undefined;
  if (!entry.files.every((file) => existsSync(join(dir, FILES_DIR, file)))) return undefined;
  return entry;
}

/** Copies an entry's files into the run's output folder, where the task would have written them. */
export async function restoreCacheFiles(
  cacheDir: string,
  entry: CacheEntry,
  outputDir: string,
): Promise<void> {
  for (const file of entry.files) {
    const target = join(outputDir, file);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(cacheDir, entry.key, FILES_DIR, file), target);
  }
}

/**
 * Stages the entry of a task the program completed: its result and copies of its files, written
 * aside and renamed into place whole. The engine moves it into the cache if the run's end says so.
 */
export async function stageCacheEntry(
  stageDir: string,
  entry: Omit<CacheEntry, 'version'>,
  outputDir: string,
): Promise<void> {
  for (const file of entry.files) {
    if (!isInside(file)) throw new Error(`a cached file must be under the output folder: ${file}`);
  }
  const target = join(stageDir, entry.key);
  const temporary = `${target}.${process.pid}.tmp`;
  await rm(temporary, { recursive: true, force: true });
  for (const file of entry.files) {
    const copy = join(temporary, FILES_DIR, file);
    await mkdir(dirname(copy), { recursive: true });
    await copyFile(join(outputDir, file), copy);
  }
  await mkdir(temporary, { recursive: true });
  await writeFile(join(temporary, ENTRY_FILE), `${JSON.stringify({ version: ENTRY_VERSION, ...entry })}\n`);
  await rm(target, { recursive: true, force: true });
  await rename(temporary, target);
}

/**
 * When a run ends: moves the staged entries of the tasks it completed into its cache, if its cache
 * behavior keeps tasks of a run that ended so (keepsTasks), then drops what is staged. An entry the
 * cache has already is kept as it is. Returns the keys added. Synchronous: it runs as the run ends,
 * before its terminal status is told.
 */
export function exportToRunCache(run: LocalRun, runsDir: string, status: LocalRunStatus): string[] {
  const stageDir = join(run.runDir, CACHE_STAGE_DIR);
  if (!existsSync(stageDir)) return [];
  const added: string[] = [];
  try {
    if (run.cacheId === undefined || !keepsTasks(cacheBehaviorOf(run), status)) return added;
    const completed = new Set(
      (run.tasks ?? [])
        .filter((task) => task.status === 'COMPLETED' && !task.cacheHit)
        .map((task) => task.name),
    );
    const cacheDir = runCacheDir(runsDir, run.cacheId);
    for (const name of readdirSync(stageDir)) {
      if (name.endsWith('.tmp')) continue;
      const entry = readStagedEntry(join(stageDir, name));
      if (entry === undefined || entry.key !== name || !completed.has(entry.task)) continue;
      const target = join(cacheDir, name);
      if (existsSync(target)) continue;
      mkdirSync(cacheDir, { recursive: true });
      try {
        renameSync(join(stageDir, name), target);
        added.push(name);
      } catch {
        // Another run put the same entry there first: it is the same task with the same inputs.
      }
    }
    return added;
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
}

function readStagedEntry(dir: string): CacheEntry | undefined {
  try {
    const entry: unknown = JSON.parse(readFileSync(join(dir, ENTRY_FILE), 'utf8'));
    return isEntry(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

function isEntry(value: unknown): value is CacheEntry {
  const entry = value as Partial<CacheEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    entry.version === ENTRY_VERSION &&
    typeof entry.task === 'string' &&
    typeof entry.key === 'string' &&
    Array.isArray(entry.files) &&
    entry.files.every((file) => typeof file === 'string' && isInside(file))
  );
}

/** A relative path that stays under its folder (no `..`, not absolute). */
function isInside(file: string): boolean {
  if (file === '' || isAbsolute(file)) return false;
  const normalized = normalize(file);
  return normalized !== '..' && !normalized.startsWith(`..${sep}`);
}
