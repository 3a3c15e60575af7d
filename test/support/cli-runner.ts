import { join } from 'node:path';
import type { CliIo } from '../../cli/io.js';
import { runCli } from '../../cli/main.js';
import { type LocalEndpoints, writeEndpoints } from '../../infra/local/endpoints.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `gwm <args>` in this process, against the local stack described in the state folder `stateDir`,
 * with what it wrote and its exit code. `sleep` replaces the CLI's waits (5 ms by default).
 */
export async function runGwm(
  stateDir: string,
  args: string[],
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<CliRun> {
  const run: CliRun = { code: -1, stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      run.stdout += text;
    },
    stderr: (text) => {
      run.stderr += text;
    },
    env: {},
    isTTY: false,
    now: () => new Date(),
    sleep: options.sleep ?? (() => new Promise((done) => setTimeout(done, 5))),
  };
  run.code = await runCli(['--state-dir', stateDir, ...args], io);
  return run;
}

/**
 * `gwm <args>` in this process, against the local stack described in the state folder that
 * `stateDir` names at the call (or in `options.dir`).
 */
export function gwmIn(stateDir: () => string) {
  return (args: string[], options: { sleep?: (ms: number) => Promise<void>; dir?: string } = {}) =>
    runGwm(options.dir ?? stateDir(), args, options);
}

/**
 * What `gwm up` writes in its state folder, for a table on the tests' DynamoDB Local; this process
 * stands in for the stack, so the file counts as live. Endpoints nothing answers on by default.
 */
export async function writeLocalEndpoints(
  stateDir: string,
  endpoints: Pick<LocalEndpoints, 'dynamodbEndpoint' | 'tableName'> & Partial<LocalEndpoints>,
): Promise<void> {
  await writeEndpoints(stateDir, {
    region: 'us-east-1',
    s3Endpoint: 'http://127.0.0.1:9',
    omicsEndpoint: 'http://127.0.0.1:9',
    manifestBucket: 'gwm-manifests',
    inputBucket: 'gwm-lab-inputs',
    outputBucket: 'gwm-lab-results',
    runsDir: join(stateDir, 'runs'),
    outboxDir: join(stateDir, 'outbox'),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...endpoints,
  });
}
