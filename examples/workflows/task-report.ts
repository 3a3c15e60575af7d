import { appendFileSync } from 'node:fs';
import { errorMessage } from '../../domain/errors.js';
import {
  findCacheEntry,
  RUN_CACHE_VARIABLES,
  restoreCacheFiles,
  stageCacheEntry,
  taskCacheKey,
} from '../../infra/local/engine/run-cache.js';
import { TASKS_FILE_VARIABLE } from '../../infra/local/engine/run-tasks.js';

/**
 * A workflow program's steps, reported as the run's tasks: the local engine names a file in
 * GWM_TASKS_FILE, and each step adds a line when it starts and one when it stops, with the real
 * times, so ListRunTasks shows what ran, how long, and on which instance type the request would
 * run on HealthOmics. Outside the engine (no variable) nothing is written.
 *
 * A step that says what it reads and writes (`StepCache`) takes part in the run's cache when the
 * run has one (infra/local/engine/run-cache.ts): a step an earlier run completed with the same
 * inputs is not run, its result and files are restored and it is reported as a cache hit; a step
 * that runs is staged for the cache, which keeps it if the run's cache behavior says so.
 */

/** What a step asks for, as a task's runtime block does in a workflow definition. */
export interface StepResources {
  cpus: number;
  memoryGiB: number;
}

/** How a step is cached: what its result depends on, the files it writes, its result as JSON. */
export interface StepCache<T> {
  /** Everything the step reads (each file's content version, every parameter it uses): the cache key. */
  inputs: unknown;
  /** The run's output folder, and the files the step writes there (relative, `/`-separated). */
  outputDir: string;
  files?: string[];
  save(result: T): unknown;
  /** The result again from what `save` gave; throws when it cannot (the step then runs). */
  load(saved: unknown): T;
  /** Told when the step was taken from the cache (for the program's log). */
  onHit?: () => void;
}

interface RunCache {
  dir: string;
  stage: string;
  scope: string;
}

/** The run's cache, when the engine gave the program one. */
export function runCacheOf(env: NodeJS.ProcessEnv = process.env): RunCache | undefined {
  const dir = env[RUN_CACHE_VARIABLES.cache];
  const stage = env[RUN_CACHE_VARIABLES.stage];
  const scope = env[RUN_CACHE_VARIABLES.scope];
  if (!dir || !stage || !scope) return undefined;
  return { dir, stage, scope };
}

export async function runStep<T>(
  name: string,
  resources: StepResources,
  step: () => Promise<T>,
  cache?: StepCache<T>,
): Promise<T> {
  const runCache = cache === undefined ? undefined : runCacheOf();
  const key = runCache === undefined ? undefined : taskCacheKey(runCache.scope, name, cache?.inputs);
  if (runCache !== undefined && cache !== undefined && key !== undefined) {
    const hit = await fromCache(runCache, key, cache);
    if (hit !== undefined) {
      const at = new Date().toISOString();
      report({ event: 'start', task: name, at, ...resources, cacheHit: true });
      report({ event: 'stop', task: name, at, status: 'COMPLETED' });
      cache?.onHit?.();
      return hit.value;
    }
  }
  report({ event: 'start', task: name, at: new Date().toISOString(), ...resources });
  try {
    const result = await step();
    if (runCache !== undefined && cache !== undefined && key !== undefined) {
      // A step that could not be staged is only a miss for a later run: the run goes on.
      await stageCacheEntry(
        runCache.stage,
        { task: name, key, result: cache.save(result), files: cache.files ?? [] },
        cache.outputDir,
      ).catch(() => {});
    }
    report({ event: 'stop', task: name, at: new Date().toISOString(), status: 'COMPLETED' });
    return result;
  } catch (error) {
    const message = errorMessage(error);
    report({ event: 'stop', task: name, at: new Date().toISOString(), status: 'FAILED', message });
    throw error;
  }
}

/** The step's result from the cache, its files put back; undefined on a miss (or an entry that cannot be used). */
async function fromCache<T>(
  runCache: RunCache,
  key: string,
  cache: StepCache<T>,
): Promise<{ value: T } | undefined> {
  const entry = await findCacheEntry(runCache.dir, key);
  if (entry === undefined) return undefined;
  try {
    const value = cache.load(entry.result);
    await restoreCacheFiles(runCache.dir, entry, cache.outputDir);
    return { value };
  } catch {
    return undefined;
  }
}

function report(line: Record<string, unknown>): void {
  const file = process.env[TASKS_FILE_VARIABLE];
  // One short append per line: it lands whole, so the engine never reads half a line it keeps.
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(line)}\n`);
}
