import type { CliIo } from '../../cli/io.js';
import { runCli } from '../../cli/main.js';

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
