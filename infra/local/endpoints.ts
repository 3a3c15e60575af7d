import { rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { readTextIfExists } from './read-if-exists.js';

/** The state folder of the embedded runtime (data, runs, outbox, endpoints), relative to the working directory. */
export const DEFAULT_STATE_DIR = '.gwm';
export const ENDPOINTS_FILE = 'endpoints.json';

/** Where the stream pump writes the records a consumer gave up on (`<consumer>.jsonl`), and `gwm redrive` reads them. */
export function deadLetterDirOf(stateDir: string): string {
  return join(stateDir, 'dead-letters');
}

/** What `gwm up` writes for other tools (the CLI, the AWS CLI, scripts) to find the local stack. */
export const localEndpointsSchema = z.object({
  region: z.string(),
  s3Endpoint: z.string().url(),
  dynamodbEndpoint: z.string().url(),
  omicsEndpoint: z.string().url(),
  tableName: z.string(),
  manifestBucket: z.string(),
  inputBucket: z.string(),
  outputBucket: z.string(),
  /** Each run's folder (`<runsDir>/<runId>/run.log`, `out/`). */
  runsDir: z.string(),
  /** Notifications as files: sns.jsonl and events.jsonl. */
  outboxDir: z.string(),
  /** The `gwm up` process, so a second one can tell whether this file is still live. */
  pid: z.number().int(),
  startedAt: z.string(),
});

export type LocalEndpoints = z.infer<typeof localEndpointsSchema>;

export function stateDirFrom(value: string | undefined): string {
  return resolve(value ?? process.env.GWM_STATE_DIR ?? DEFAULT_STATE_DIR);
}

/** Written atomically: a reader never sees half a file. */
export async function writeEndpoints(stateDir: string, endpoints: LocalEndpoints): Promise<string> {
  const path = join(stateDir, ENDPOINTS_FILE);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(endpoints, null, 2)}\n`);
  await rename(partial, path);
  return path;
}

export async function removeEndpoints(stateDir: string): Promise<void> {
  await rm(join(stateDir, ENDPOINTS_FILE), { force: true });
}

/**
 * The endpoints of a running local stack, or undefined when there is none: no file, or a file
 * left by a `gwm up` that is no longer running.
 */
export async function readEndpoints(stateDir: string): Promise<LocalEndpoints | undefined> {
  const text = await readTextIfExists(join(stateDir, ENDPOINTS_FILE));
  if (text === undefined) return undefined;
  const parsed = localEndpointsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  return isAlive(parsed.data.pid) ? parsed.data : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
